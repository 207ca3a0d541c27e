"""A term's grades: the grader's rows joined with the roster, the deadlines and the written answers' points.

It reads the grader only through the grades CSV (``submission``, ``assignment``, ``status``,
``total``, ``max_total``, one column per question) and the masters' question lists. Every
notebook of the folder ends in one student's entry, as another submission of theirs,
or in the unmatched list with its reason; every student of the roster gets an entry per
assignment, "no submission" where there is none.
"""

import csv
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import intake
from .intake import natural
from .model import Refused
from .policy import Policy
from .roster import read_csv, where
from .submissions import as_text

NO_SUBMISSION = "no submission"
NOT_GRADED = "not graded yet"


@dataclass
class Entry:
    """One student's grade for one assignment."""
    student: object
    assignment: str
    maximum: float
    submission: str = ""
    path: object = None                            # the notebook's file, for its written answers
    status: str = NO_SUBMISSION
    submitted: object = None                      # None where nothing says when (Canvas's files)
    late_days: int = 0
    lms_late: bool = False                        # Canvas's name said LATE
    points: dict = field(default_factory=dict)    # automatic points per question
    written: dict = field(default_factory=dict)   # question -> (points, comment)
    written_max: float = 0.0
    unanswered: set = field(default_factory=set)  # written answers left empty and not scored: 0 points
    waiting: int = 0                              # written answers that wait for the instructor's points
    labels: dict = field(default_factory=dict)    # written answer -> the label of the student's on its review page
    penalty: float = 0.0

    @property
    def auto(self):
        return round(sum(self.points.values()), 4)

    @property
    def manual(self):
        return round(sum(p for p, _ in self.written.values()), 4)

    @property
    def final(self):
        return round(max(0.0, self.auto + self.manual - self.penalty), 4) if self.submission else 0.0

    @property
    def out_of(self):
        return self.maximum + self.written_max


@dataclass
class Term:
    entries: dict                                  # assignment -> [Entry], in the roster's id order
    unmatched: list = field(default_factory=list)  # (file name, reason)
    others: list = field(default_factory=list)     # (file name, reason): another of the student's is graded
    superseded: dict = field(default_factory=dict) # such a file's name -> the name of the one graded
    skipped: list = field(default_factory=list)    # (file name, reason): not notebooks
    doubtful: list = field(default_factory=list)   # (file name, reason): lateness the instructor should check
    by_name: list = field(default_factory=list)    # (file name, note): matched by the student's name alone


def read_grades(paths):
    """Rows of the grades CSVs by submission name; Refused naming the file and line of a malformed one."""
    rows = {}
    for path in paths:
        header, lines = read_csv(path, "grades file")
        for needed in ("submission", "assignment", "status", "total", "max_total"):
            if needed not in header:
                raise Refused(f"{where(path, 1, needed)}: the grades file has no such column")
        for line, row in lines:
            for key in ["total", "max_total"] + [h for h in header if re.fullmatch(r"q\d+\w*", h)]:
                try:
                    float(row.get(key) or 0)
                except ValueError:
                    raise Refused(f"{where(path, line, key)}: {row[key]!r} is not a number") from None
            rows[row["submission"]] = row
    return rows


def build(roster, found, skipped, rows, questions, policies=None, written=None, written_max=None):
    """The term's entries. Of a student's notebooks, the one graded is the latest of those graded as the
    assignment (an unreadable one, or one of another assignment, never replaces it); the others are listed.
    A notebook the grader refused (its row names no assignment) is never the one graded: listed beside the
    student's graded one, or where there is none as unmatched with its status (no submission, not a 0).

    found/skipped: intake.walk of the folder; rows: read_grades; questions: assignment ->
    its questions (from the masters); policies: assignment -> Policy; written: (student id,
    assignment) -> {question: (points, comment)}; written_max: assignment -> points of its
    written answers.
    """
    policies, written, written_max = policies or {}, written or {}, written_max or {}
    assignments = sorted({r["assignment"] for r in rows.values() if r.get("assignment")} | set(questions), key=natural)
    maxima = {a: max((float(r["max_total"] or 0) for r in rows.values() if r.get("assignment") == a), default=0.0)
              for a in assignments}
    term = Term({}, skipped=[(s.name, s.reason) for s in skipped])
    chosen = {}   # (student id, assignment) -> (Found, row)
    others = {}   # file name -> (student id, assignment) of a file that another of theirs replaced
    refused = []  # (Found, student, row) of a file the grader refused: never a submission, even of 0 points
    for f in found:
        student, why = intake.owner(f, roster)
        if student is None:
            term.unmatched.append((f.name, why))
            continue
        if why:
            term.by_name.append((f.name, why))
        row = rows.get(f.name)
        if row is not None and not row.get("assignment"):
            refused.append((f, student, row))
            continue
        assignment = (row or {}).get("assignment") or (assignments[0] if len(assignments) == 1 else "")
        if not assignment:
            term.unmatched.append((f.name, f"of {student.id}, but of no assignment the grades name"
                                   f" ({(row or {}).get('status', NOT_GRADED)})"))
            continue
        key = (student.id, assignment)
        if key in chosen:
            older, chosen[key] = sorted([chosen[key], (f, row)], key=lambda fr: (
                bool((fr[1] or {}).get("assignment")), fr[0].handed_in))
            others[older[0].name] = key
        else:
            chosen[key] = (f, row)
    for f, student, row in refused:
        graded = sorted((k for k in chosen if k[0] == student.id), key=lambda k: natural(k[1]))
        if graded:
            others[f.name] = graded[0]
        else:
            term.unmatched.append((f.name, f"of {student.id}, counted as no submission: {row.get('status', '')}"))
    term.superseded = {name: chosen[key][0].name for name, key in others.items()}
    term.others = [(name, f"not counted: {term.superseded[name]} is the submission of {key[0]} graded")
                    for name, key in others.items()]
    for a in assignments:
        policy = policies.get(a, Policy())
        entries = []
        for student in sorted(roster.students, key=lambda s: natural(s.id)):
            entry = Entry(student, a, maxima[a], written_max=written_max.get(a, 0.0))
            if (student.id, a) in chosen:
                f, row = chosen[student.id, a]
                entry.submission, entry.submitted, entry.lms_late, entry.path = f.name, f.submitted, f.late, f.path
                if row is None:
                    entry.status = NOT_GRADED
                else:
                    entry.status = row["status"]
                    entry.points = {q: float(row.get(q) or 0) for q in questions.get(a, [])}
                entry.written = written.get((student.id, a), {})
                entry.late_days = policy.late_days(student, f.submitted, f.late)
                if f.submitted is None and f.late and student.extension.strip():
                    term.doubtful.append((f.name, f"Canvas marked it late and the roster gives {student.id} an "
                                          f"extension (line {student.line}), but no time says whether it came "
                                          "within it: counted 1 day late"))
                entry.penalty = policy.deduction(entry.auto + entry.manual, entry.late_days)
            entries.append(entry)
        term.entries[a] = entries
    term.unmatched.sort(key=lambda u: natural(u[0]))
    term.others.sort(key=lambda u: natural(u[0]))
    term.by_name.sort(key=lambda u: natural(u[0]))
    return term


def number(x):
    x = round(float(x), 4)
    return str(int(x)) if x == int(x) else f"{x:g}"


def write_plain(path, entries, questions, roster, written=()):
    """The plain CSV keyed by student id: who, which file, status, times, points per question and in all,
    and the label of the student's answer on each written answer's review page (`written`: their ids)."""
    columns = (["id", "name", "email"] + roster.columns +
               ["submission", "status", "submitted", "canvas_late", "late_days", "auto"] + list(questions) +
               ["written", "penalty", "final", "out_of"] + [f"{w} label" for w in written])
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(columns)
        for e in entries:
            s = e.student
            graded = bool(e.submission)
            out.writerow([s.id, as_text(s.name), s.email] + [v for _, v in s.extra] + [
                e.submission, e.status, e.submitted.isoformat(timespec="seconds") if e.submitted else "",
                "yes" if e.lms_late else "", e.late_days if graded else "", number(e.auto) if graded else ""] +
                [number(e.points[q]) if q in e.points else "" for q in questions] +
                [number(e.manual) if e.written else "", number(e.penalty) if graded else "",
                 number(e.final), number(e.out_of)] + [e.labels.get(w, "") for w in written])


def part_file(csv_path):
    """Where a part of a sharded run says which part it is: ``grades.part.json`` beside ``grades.csv``."""
    csv_path = Path(csv_path)
    return csv_path.with_name(f"{csv_path.stem}.part.json")


def mark_part(csv_path, shard):
    """Record beside a grades CSV which part of a sharded run it holds (shard = (k, n)); a whole run's
    CSV has no such record (an earlier part's is removed)."""
    marker = part_file(csv_path)
    if shard is None:
        marker.unlink(missing_ok=True)
    else:
        marker.write_text(json.dumps({"part": shard[0], "of": shard[1]}) + "\n")


def read_part(csv_path):
    """(k, n): which part of a sharded run the grades CSV at `csv_path` holds; Refused where nothing says."""
    marker = part_file(csv_path)
    try:
        record = json.loads(marker.read_text())
        k, n = record["part"], record["of"]
        if not (type(k) is int and type(n) is int and 1 <= k <= n):
            raise ValueError
    except FileNotFoundError:
        raise Refused(f"{csv_path} is not a part of a sharded run: {marker.name} beside it, which a run with "
                      "SHARD=k/n writes, is missing") from None
    except (OSError, ValueError, KeyError, TypeError):
        raise Refused(f"{marker}: it does not say which part {csv_path} is (write SHARD=k/n and grade the part "
                      "again)") from None
    return k, n


def _refuse_overlap(parts, path, folder):
    """The merge's output neither one of the parts, nor in a part's folder, nor inside the submissions folder."""
    out = Path(path).resolve()
    for part in parts:
        if Path(part).resolve() == out:
            raise Refused(f"the merged grades file {path} is also one of the parts: write the merge to another file")
        if Path(part).resolve().parent == out.parent:
            raise Refused(f"the merged grades file {path} is in the folder of the part {part}, whose feedback/ it "
                          "would overwrite: write the merge to a folder of its own")
    if folder is not None:
        inside(path, folder)


def inside(path, folder):
    """Refused where the grades file `path` is inside the submissions folder (the next run would read the
    grader's own files as submissions)."""
    if Path(folder).resolve() in Path(path).resolve().parents:
        raise Refused(f"the grades file {path} is inside the submissions folder {folder}: the next run would read "
                      "its feedback and statistics as submissions; write it outside that folder")


def read_parts(parts, path, names=None, folder=None):
    """(columns, rows) of a sharded run's parts, checked before anything is written: every part of k of n
    there once, each row in its own part and in no other, the same columns, and (`names`: the notebooks of
    the folder) a row for every notebook. Refused, naming the file, the line and the part, otherwise."""
    from .batch import in_shard

    _refuse_overlap(parts, path, folder)
    which = {}
    for part in parts:
        k, n = read_part(part)
        if (k, n) in which:
            raise Refused(f"{part} and {which[k, n]} are both part {k} of {n}: give each part once")
        which[k, n] = part
    counts = sorted({n for _, n in which})
    if len(counts) > 1:
        first, second = (next(p for (_, n), p in which.items() if n == c) for c in counts[:2])
        raise Refused(f"{first} is a part of {counts[0]} and {second} a part of {counts[1]}: the parts of one run "
                      "are all of the same number")
    n = counts[0]
    missing = [k for k in range(1, n + 1) if (k, n) not in which]
    if missing:
        said = ", ".join(map(str, missing))
        raise Refused(f"part{'s' * (len(missing) > 1)} {said} of {n} {'are' if len(missing) > 1 else 'is'} missing "
                      f"(given: {', '.join(f'{k} of {n}' for k, _ in sorted(which))}): the merge needs every part")
    label = {part: f"part {k} of {n} ({part})" for (k, n), part in which.items()}
    columns, rows = None, {}
    for (k, n), part in sorted(which.items()):
        read_grades([part])   # refused, naming the file, line and field, where it cannot be used
        with open(part, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)   # as written: read_csv strips the values
            if columns is not None and reader.fieldnames != columns:
                raise Refused(f"{part}, line 1: its columns are not those of {which[1, n]} (the parts of one "
                              "run have the same)")
            columns = reader.fieldnames
            for row in reader:
                name = row.get("submission", "")
                if name in rows:
                    raise Refused(f"{part}, line {reader.line_num}, field submission: {name!r} is also in "
                                  f"{label[rows[name][0]]}")
                if not in_shard(name, (k, n)):
                    raise Refused(f"{part}, line {reader.line_num}, field submission: {name!r} is not of "
                                  f"part {k} of {n}: the part was graded with another SHARD; grade it again")
                rows[name] = (part, row)
    for name in names or []:
        if name not in rows:
            part = next(p for (k, n), p in which.items() if in_shard(name, (k, n)))
            raise Refused(f"{label[part]} has no row for {name!r}: that part did not finish, or the folder changed "
                          "since; grade the part again")
    return columns, [row for _, row in rows.values()]


def merge(parts, path, bundles, columns, rows):
    """Write what one run writes (``batch.finish``) from the parts' rows (``read_parts``) and their feedback
    folders; returns the rows. It writes into a folder beside `path` and moves the files into place only
    once all are written, so that a merge that fails leaves nothing of itself. `bundles`: {name: Bundle}."""
    import os
    import shutil
    import tempfile

    from .batch import finish, read_rows

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".merging-", dir=path.parent))
    try:
        for part in parts:
            feedback = Path(part).parent / "feedback"
            if feedback.is_dir():
                shutil.copytree(feedback, stage / "feedback", dirs_exist_ok=True)
        finish(stage / path.name, columns, rows, bundles)
        for item in sorted(stage.rglob("*")):
            if item.is_file():
                target = path.parent / item.relative_to(stage)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(item, target)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return read_rows(path)
