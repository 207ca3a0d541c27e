"""The class list: who the students are, and the ids each LMS knows them by.

A roster is a CSV file with a header. ``id`` (the student's id, Canvas's "SIS User ID",
Moodle's "ID number") is required and unique; ``name`` and ``email`` are expected. Other
columns the grader knows, all optional:

- ``canvas_id``: Canvas's own user id (its gradebook's "ID" column, and the number in
  the names of the files Canvas's "Download Submissions" gives);
- ``moodle_id``: Moodle's participant id (the number in the folder names of Moodle's
  "Download all submissions");
- ``login``: Canvas's "SIS Login ID"; ``section``: Canvas's "Section";
- ``extension``: a due date of the student's own (``2025-03-03T23:59``), or a number of
  days added to the assignment's.

Any other column is the instructor's and is carried to the plain export as it is.
Headers are matched without regard to case, spaces or underscores. A malformed roster
is refused with one sentence naming the file, the line and the field.

Canvas's gradebook export (Grades, Export) is a roster as it is: its columns ``Student``
("Last, First"), ``ID`` (Canvas's user id, read as ``canvas_id``), ``SIS User ID`` (the
student's id), ``SIS Login ID`` and ``Section`` are read; the rows of no student (``Points
Possible``, and any other with no Canvas ``ID``) are skipped, and so are its grade columns.
"""

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .model import Refused
from .policy import when

KNOWN = ("id", "name", "email", "canvas_id", "moodle_id", "login", "section", "extension")
ALIASES = {"studentid": "id", "sisuserid": "id", "idnumber": "id", "fullname": "name", "student": "name",
           "emailaddress": "email", "canvasid": "canvas_id", "moodleid": "moodle_id", "participantid": "moodle_id",
           "sisloginid": "login", "username": "login"}
MAX_BYTES = 16 << 20


@dataclass(frozen=True)
class Student:
    id: str
    name: str = ""
    email: str = ""
    canvas_id: str = ""
    moodle_id: str = ""
    login: str = ""
    section: str = ""
    extension: str = ""
    extra: tuple = ()       # (column, value) pairs of the instructor's own columns, in the file's order
    line: int = 0           # where it is in the roster file


def where(path, line, field_name=None):
    """The start of a sentence about a place in an input file: 'roster.csv, line 4, field email'."""
    return f"{Path(path).name}, line {line}" + (f", field {field_name}" if field_name else "")


def folded(text):
    """A name as two spellings of it compare: case folded, accents and everything but letters and digits (of
    every script: Иван, Νίκος, 王) gone."""
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c) and c.isalnum())


def _column(header):
    key = re.sub(r"[\s_\-]", "", header.strip().lower())
    key = ALIASES.get(key, key)
    return next((k for k in KNOWN if k.replace("_", "") == key.replace("_", "")), header.strip())


SEPARATORS = ",;\t"


def delimiter(text):
    """The separator of a CSV text: of ``,``, ``;`` (as a spreadsheet writes CSV where the decimal mark is a
    comma) and tab, the one that splits its first line into the most fields (``,`` where none does)."""
    first = text.split("\n", 1)[0]
    return max(SEPARATORS, key=lambda d: (len(next(csv.reader([first], delimiter=d), [])), d == ","))


def read_csv(path, what):
    """(header, [(line, row), ...]) of a CSV the instructor gives; Refused, naming it, where it cannot be read."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise Refused(f"{path.name}: the {what} is larger than {MAX_BYTES >> 20} MiB")
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise Refused(f"the {what} {path} does not exist") from None
    except UnicodeDecodeError as error:
        raise Refused(f"{path.name}: the {what} is not UTF-8 text (byte {error.start})") from None
    except OSError as error:
        raise Refused(f"the {what} {path} cannot be read ({error.strerror})") from None
    reader = csv.reader(text.splitlines(), delimiter=delimiter(text))
    try:
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise Refused(f"{where(path, 1)}: the {what} has no header")
        rows = []
        for row in reader:
            if any(cell.strip() for cell in row):
                if len(row) > len(header):
                    raise Refused(f"{where(path, reader.line_num)}: the row has {len(row)} fields, "
                                  f"the header {len(header)}")
                rows.append((reader.line_num, dict(zip(header, [c.strip() for c in row]))))
    except csv.Error as error:
        raise Refused(f"{where(path, reader.line_num)}: the {what} is not a readable CSV ({error})") from None
    return header, rows


@dataclass
class Roster:
    path: Path
    students: list = field(default_factory=list)
    columns: list = field(default_factory=list)     # the instructor's own columns

    def __post_init__(self):
        self.by_id = {s.id: s for s in self.students}

    def find(self, key, value):
        """The students whose `key` (a Student field) is `value`; names compare folded."""
        if not value:
            return []
        if key == "name":   # a name of no letter or digit matches no one
            want = folded(value)
            return [s for s in self.students if want and (folded(s.name) == want or _sortable(s.name) == want)]
        if key == "email":
            return [s for s in self.students if s.email.lower() == value.lower()]
        return [s for s in self.students if getattr(s, key) == value]


def _sortable(name):
    """'Ada Lovelace' as Canvas spells a student in file names: 'lovelaceada'."""
    if "," in name:
        last, first = name.split(",", 1)
        return folded(last + first)
    parts = name.split()
    return folded("".join(parts[-1:] + parts[:-1]))


CANVAS_EXPORT = ("Student", "ID", "SIS User ID")   # the columns that say a file is Canvas's gradebook export


def _canvas_export(header):
    """Whether a header is Canvas's gradebook export's (its ``ID`` is then Canvas's user id)."""
    return all(name in [h.strip() for h in header] for name in CANVAS_EXPORT)


def read(path):
    """The roster at `path`; Refused (file, line, field) on a missing id, a duplicate id or email, a bad email,
    an extension that is neither a date nor a number of days."""
    header, rows = read_csv(path, "roster")
    canvas = _canvas_export(header)
    columns = {h: "canvas_id" if canvas and h.strip() == "ID" else _column(h) for h in header}
    if "id" not in columns.values():
        raise Refused(f"{where(path, 1)}: the roster has no id column (its header is {', '.join(header)})")
    own = [] if canvas else [h for h, c in columns.items() if c not in KNOWN]   # not Canvas's grade columns
    students, seen = [], {}
    for line, row in rows:
        if canvas and not row.get(next(h for h in header if h.strip() == "ID")):
            continue   # Canvas's "Points Possible" row (and any other row of no student)
        known = {c: row.get(h, "") for h, c in columns.items() if c in KNOWN}
        if not known.get("id"):
            raise Refused(f"{where(path, line, 'id')}: the student has no id")
        email = known.get("email", "")
        if email and not re.fullmatch(r"[^@\s]+@[^@\s]+", email):
            raise Refused(f"{where(path, line, 'email')}: {email!r} is not an email address")
        extension = known.get("extension", "")
        if extension and not re.fullmatch(r"\d+(\.\d+)?", extension):
            try:
                when(extension)
            except Refused:
                raise Refused(f"{where(path, line, 'extension')}: {extension!r} is neither a date and time such "
                              "as 2025-03-03T23:59 nor a number of days") from None
        for key in ("id", "email", "canvas_id", "moodle_id"):
            value = known.get(key, "").lower()
            if value and (key, value) in seen:
                raise Refused(f"{where(path, line, key)}: {known[key]!r} is also the {key} of line {seen[key, value]}")
            seen[key, value] = line
        students.append(Student(**known, extra=tuple((h, row.get(h, "")) for h in own), line=line))
    if not students:
        raise Refused(f"{Path(path).name}: the roster lists no student")
    return Roster(Path(path), students, own)
