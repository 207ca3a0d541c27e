"""A submissions folder as an LMS downloads it: every file, whose it is, when it came, or why it is not graded.

Layouts read (they may be mixed in one folder):

- Canvas's "Download Submissions": files at the top, named
  ``<name>_<canvas user id>_<file id>_<file>``, with ``_LATE`` (in any case) after the name
  of a submission Canvas counted late (``lovelaceada_LATE_1234_56789_a1.ipynb``); ``<name>``
  is the student's sortable name, lower case, without spaces or punctuation (canvas-lms,
  ``ContentZipper#get_filename``). Canvas writes the zip's entries when it makes the zip,
  so their times are the download's, not the submissions': such a file has no submission
  time, and Canvas's ``LATE`` is what says whether it came late. Both the name (which may
  keep ``_`` and digits) and the student's own file name may hold ``_<digits>_<digits>_``,
  so a name can read as more than one user (``mal_1001_1_1003_7721_a1.ipynb``): such a
  name is the user's that every reading names, or, with a roster, the one reading whose
  user id and name are a student's; otherwise it is matched to no student, with that
  reason, and never to the user of its first reading.
- Moodle's "Download all submissions" (with "download submissions in folders"): a folder
  per submission, ``<Full Name>_<participant id>_assignsubmission_file_``.
- Canvas's download of an assignment with anonymous grading on: ``anon_<anonymous id>_<file
  id>_<file>`` (``LATE_anon_...`` when late), which names no student: such a file is listed as
  matched to no student, with that reason.
- A folder per student, named by the student's id, email, login or name.
- Files at the top named by the student's id (``s1234567.ipynb``).

``walk`` lists every file under the folder: the notebooks (``.ipynb`` in any case) to
grade, and everything else with the reason it is not graded. ``match`` gives each notebook
a student of the roster, or the reason it has none. Nothing is run or opened here
beyond ``stat``.
"""

import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .model import Refused

CANVAS_FORM = "<name>_[LATE_]<user id>_<file id>_<file>"
ANONYMOUS = re.compile(r"(?P<late>(?i:LATE)_)?anon_(?P<anon>[0-9A-Za-z]+)_(?P<file_id>\d+)_(?P<file>[^/]+)")
LOOKS_CANVAS = re.compile(r"[^_\s]+_((?i:LATE)_?)?\d")  # a name that starts like Canvas's
MOODLE = re.compile(r"(?P<name>.+)_(?P<pid>\d+)_assign(?:submission|feedback)_[a-z]+_?", re.I)
MOODLE_FORM = "<Full Name>_<participant id>_assignsubmission_<plugin>_"
CHECKPOINT = "a Jupyter checkpoint or lock file"
LOOKS_MOODLE = re.compile(r"(?P<before>.*)_assign(?:submission|feedback)_", re.I)


@dataclass(frozen=True)
class Found:
    """One notebook of the folder, before it is matched."""
    path: Path
    name: str                   # its path under the folder, as the grades CSV spells it
    modified: datetime          # the file's modification time
    lms: str = ""               # "canvas", "moodle", "folder" or "file"
    key: str = ""               # what the LMS name says the student is (an id, a name)
    who: str = ""               # the student's name as the LMS spells it, where it does
    late: bool = False          # Canvas said late
    anonymous: str = ""         # Canvas's anonymous id, where anonymous grading hid the student
    readings: tuple = ()        # every Reading of a Canvas name that reads as more than one user (its key
                                # is then the user of the one that counts, or empty: see _reading)

    @property
    def handed_in(self):
        """Its place in the order the notebooks were handed in: the file's time, then its name as a person
        reads it (Canvas's zip gives every file one time, and its file ids say which came last)."""
        return self.modified, natural(self.name)

    @property
    def submitted(self):
        """When it was submitted, as far as the folder says: the file's time, except for Canvas's files
        (whose times are the zip's): None."""
        return None if self.lms == "canvas" else self.modified


def natural(text):
    """A name's sort key as a person reads a list: numbers by value, letters without regard to case or
    accents (a, B, c; Émile beside Emmy; a.ipynb, a2.ipynb, a10.ipynb); names that differ only there in a
    fixed order."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()
    return re.sub(r"[0-9]+", lambda digits: digits[0].zfill(30), plain), text


@dataclass(frozen=True)
class Reading:
    """One way to read a file name as Canvas's ``<name>_[LATE_]<user id>_<file id>_<file>``."""
    user: str
    who: str
    late: bool


def canvas_readings(name):
    """Every Reading of a file name as Canvas's (each part not empty, the ids ASCII digits, ``LATE`` in any
    case), the one whose ids come first first, and at one place the one with ``LATE`` first."""
    parts = name.split("_")
    readings = []
    for i in range(1, len(parts)):
        who = "_".join(parts[:i])
        for late in (True, False):
            ids, rest = parts[i + late:i + late + 2], "_".join(parts[i + late + 2:])
            if (who and rest and (not late or parts[i].lower() == "late") and len(ids) == 2
                    and all(x.isascii() and x.isdigit() for x in ids)):
                readings.append(Reading(ids[0], who, late))
    return readings


@dataclass(frozen=True)
class Skipped:
    name: str
    reason: str


def spelt(relative):
    """A path under the folder as the grades CSV spells it: each part one to one (see submissions.display_name)."""
    from .submissions import display_name
    return "/".join(display_name(os.fsencode(part)) for part in Path(relative).parts)


def walk(folder, roster=None):
    """(notebooks as Found, other files as Skipped), both in name order; Refused for a missing folder.

    roster: the class list (``roster.Roster``), which decides between the readings of a Canvas name that
    reads as more than one user (see the module's docstring); without it, no such name names a user."""
    folder = Path(folder)
    if not folder.is_dir():
        raise Refused(f"the submissions folder {folder} does not exist or is not a folder")
    found, skipped = [], []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        root = Path(root)
        for entry in sorted(dirs):
            if (root / entry).is_symlink():
                skipped.append(Skipped(spelt((root / entry).relative_to(folder)), "a link to a folder: not followed"))
        for entry in sorted(files):
            path = root / entry
            relative = path.relative_to(folder)
            name = spelt(relative)
            if path.is_symlink():
                skipped.append(Skipped(name, "a link: not followed"))
            elif not path.is_file():
                skipped.append(Skipped(name, "not a regular file"))
            elif not entry.lower().endswith(".ipynb"):   # `.ipynb` alone too, which has no suffix to pathlib
                skipped.append(Skipped(name, f"not a notebook ({path.suffix or 'no extension'})"))
            elif entry.startswith(".~") or "/.ipynb_checkpoints/" in f"/{relative.as_posix()}":
                skipped.append(Skipped(name, CHECKPOINT))
            else:
                found.append(_found(path, relative, name, roster))
    return found, skipped


def _found(path, relative, name, roster):
    when = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
    parts = relative.parts
    if len(parts) == 1:
        m = ANONYMOUS.fullmatch(parts[0])
        if m:
            return Found(path, name, when, "canvas", late=bool(m["late"]), anonymous=m["anon"])
        readings = canvas_readings(parts[0])
        if len({r.user for r in readings}) == 1:
            return Found(path, name, when, "canvas", readings[0].user, readings[0].who, readings[0].late)
        if readings:
            chosen = _reading(readings, roster)
            return Found(path, name, when, "canvas", chosen.user, chosen.who, chosen.late, readings=tuple(readings)) \
                if chosen else Found(path, name, when, "canvas", readings=tuple(readings))
        return Found(path, name, when, "file", path.stem)
    m = MOODLE.fullmatch(parts[0])
    if m:
        return Found(path, name, when, "moodle", m["pid"], m["name"])
    return Found(path, name, when, "folder", parts[0])


def _reading(readings, roster):
    """The reading that counts of a Canvas name that reads as more than one user: where exactly one of its user ids
    is a student's ``canvas_id`` in the roster, the reading of that id whose name is that student's; else None."""
    users = {r.user for r in readings if roster is not None and roster.find("canvas_id", r.user)}
    if len(users) != 1:
        return None
    student = roster.find("canvas_id", next(iter(users)))[0]
    return next((r for r in readings if r.user in users and student in roster.find("name", r.who)), None)


def _readings(found):
    return ", ".join(f"user {r.user} named {r.who!r}" for r in dict.fromkeys(
        Reading(r.user, r.who, False) for r in found.readings))


def owner(found, roster):
    """(the student, None), (the student, a note for the instructor to check) where only a name matched
    (a student may change their LMS name) or a Canvas name reads as more than one user, or (None, why no
    student or more than one) for one notebook."""
    if found.anonymous:
        return None, (f"Canvas's anonymous grading is on for this assignment: the name says anon_{found.anonymous}, "
                      "not the student; Canvas names the files once the assignment's grades are posted or anonymous "
                      "grading is turned off: download the submissions again then")
    if found.lms == "canvas" and not found.key:
        return None, (f"its name reads as Canvas's download of more than one user ({_readings(found)}), and the "
                      "grader does not guess whose it is: find the file in Canvas and rename it so that it reads "
                      f"one way ({CANVAS_FORM}, with no _<number>_<number>_ in the name or the file), then grade again")
    if found.lms == "canvas":
        tries = [("canvas_id", found.key), ("name", found.who)]
        said = f"Canvas user {found.key} ({found.who})"
    elif found.lms == "moodle":
        tries = [("moodle_id", found.key), ("name", found.who)]
        said = f"Moodle participant {found.key} ({found.who})"
    elif found.lms == "folder":
        looks = LOOKS_MOODLE.match(found.key)
        if looks:
            pid = looks["before"].rpartition("_")[2] if "_" in looks["before"] else ""
            return None, (f"its folder's name looks like Moodle's ({MOODLE_FORM}), but its field participant id "
                          + (f"{pid!r} is not a number" if pid else "is missing"))
        tries = [("id", found.key), ("email", found.key), ("login", found.key), ("name", found.key)]
        said = f"the folder {found.key!r}"
    else:
        if LOOKS_CANVAS.match(found.path.name):
            return None, _canvas_problem(found.path.name)
        tries = [("id", found.key), ("login", found.key)]
        said = f"the file name {found.key!r}"
    for key, value in tries:
        students = roster.find(key, value)
        if len(students) == 1:
            if found.readings:
                return students[0], (f"its name reads as Canvas's download of more than one user "
                                     f"({_readings(found)}); counted for {students[0].id} ({students[0].name}, line "
                                     f"{students[0].line}), the one student of the roster whose Canvas id and name "
                                     "it holds; check that it is theirs")
            if key == "name":
                return students[0], (f"matched by name alone: {said} is {students[0].id} ({students[0].name}, "
                                     f"line {students[0].line}); check that it is theirs")
            return students[0], None
        if len(students) > 1:
            return None, f"{said} fits {len(students)} students of the roster (lines " + \
                ", ".join(str(s.line) for s in students) + ")"
    return None, f"no student of the roster is {said}"


def _canvas_problem(name):
    """Why a file name that starts like a Canvas download's does not follow it, naming the field."""
    parts = name.split("_")[1:]
    if parts and parts[0].lower() == "late":
        parts = parts[1:]
    for field, value in zip(("user id", "file id"), parts):
        if not value.isdigit():
            return f"its name starts like a Canvas download's ({CANVAS_FORM}), but its field {field}, {value!r}, " \
                   "is not a number"
    return f"its name starts like a Canvas download's ({CANVAS_FORM}), but it has no file name after the ids"
