"""A term's grades: the grader's rows joined with the roster, the deadlines and the written answers' points.

It reads the grader only through the grades CSV (``submission``, ``assignment``, ``status``,
``total``, ``max_total``, one column per question) and the masters' question lists. Every
notebook of the folder ends in one student's entry, as an earlier submission of theirs,
or in the unmatched list with its reason; every student of the roster gets an entry per
assignment, "no submission" where there is none.
"""

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import intake
from .model import Refused
from .policy import Policy
from .roster import read_csv, where

NO_SUBMISSION = "no submission"
NOT_GRADED = "not graded yet"


def natural(text):
    import re
    return [(0, int(t)) if t.isdigit() else (1, t) for t in re.split(r"(\d+)", text) if t]


@dataclass
class Entry:
    """One student's grade for one assignment."""
    student: object
    assignment: str
    maximum: float
    submission: str = ""
    path: object = None                            # the notebook's file, for its written answers
    status: str = NO_SUBMISSION
    submitted: object = None
    late_days: int = 0
    lms_late: bool = False
    points: dict = field(default_factory=dict)    # automatic points per question
    written: dict = field(default_factory=dict)   # question -> (points, comment)
    written_max: float = 0.0
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
    earlier: list = field(default_factory=list)    # (file name, reason): superseded by a later one
    skipped: list = field(default_factory=list)    # (file name, reason): not notebooks


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
    """The term's entries.

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
    for f in found:
        student, why = intake.owner(f, roster)
        if student is None:
            term.unmatched.append((f.name, why))
            continue
        row = rows.get(f.name)
        assignment = (row or {}).get("assignment") or (assignments[0] if len(assignments) == 1 else "")
        if not assignment:
            term.unmatched.append((f.name, f"of {student.id}, but of no assignment the grades name"
                                   f" ({(row or {}).get('status', NOT_GRADED)})"))
            continue
        key = (student.id, assignment)
        if key in chosen:
            older, newer = sorted([chosen[key], (f, row)], key=lambda fr: (fr[0].submitted, fr[0].name))
            term.earlier.append((older[0].name, f"an earlier submission of {student.id}; {newer[0].name} is graded"))
            chosen[key] = newer
        else:
            chosen[key] = (f, row)
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
                entry.late_days = policy.late_days(student, f.submitted)
                entry.penalty = policy.deduction(entry.auto + entry.manual, entry.late_days)
            entries.append(entry)
        term.entries[a] = entries
    term.unmatched.sort(key=lambda u: natural(u[0]))
    term.earlier.sort(key=lambda u: natural(u[0]))
    return term


def number(x):
    x = round(float(x), 4)
    return str(int(x)) if x == int(x) else f"{x:g}"


def write_plain(path, entries, questions, roster):
    """The plain CSV keyed by student id: who, which file, status, times, points per question and in all."""
    columns = (["id", "name", "email"] + roster.columns +
               ["submission", "status", "submitted", "late_days", "auto"] + list(questions) +
               ["written", "penalty", "final", "out_of"])
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(columns)
        for e in entries:
            s = e.student
            graded = bool(e.submission)
            out.writerow([s.id, s.name, s.email] + [v for _, v in s.extra] + [
                e.submission, e.status, e.submitted.isoformat(timespec="seconds") if e.submitted else "",
                e.late_days if graded else "", number(e.auto) if graded else ""] +
                [number(e.points[q]) if q in e.points else "" for q in questions] +
                [number(e.manual) if e.written else "", number(e.penalty) if graded else "",
                 number(e.final), number(e.out_of)])


def merge(parts, path):
    """Join the grades CSVs of a sharded run (and their feedback folders) into what one run writes, with the
    class statistics of each assignment whose bundle is built."""
    import shutil

    from . import build, bundle as bundles_io
    from .batch import read_rows, write_sorted, write_stats

    columns, rows = None, {}
    for part in parts:
        with open(part, newline="") as f:
            header = next(csv.reader(f), None)
        if columns is not None and header != columns:
            raise Refused(f"{where(part, 1)}: its columns are not those of {Path(parts[0]).name}")
        columns = header
        for row in read_rows(part):
            if row["submission"] in rows:
                raise Refused(f"{Path(part).name}: {row['submission']} is also in another part")
            rows[row["submission"]] = row
        feedback = Path(part).parent / "feedback"
        if feedback.is_dir():
            target = Path(path).parent / "feedback"
            target.mkdir(parents=True, exist_ok=True)
            for item in feedback.iterdir():
                shutil.copy2(item, target / item.name)
    write_sorted(path, columns, rows.values())
    assignments = {r["assignment"] for r in rows.values() if r["assignment"]}
    found = {a: bundles_io.read(build.OUT / "grader" / a) for a in assignments}
    write_stats(path, {a: b for a, b in found.items() if b is not None})
    if len(assignments) > 1:
        first = columns.index("max_total") + 1
        for a in assignments:
            mine = [r for r in rows.values() if r["assignment"] == a]
            used = [c for c in columns[first:-3] if any(r.get(c) for r in mine)]
            write_sorted(Path(path).with_name(f"{Path(path).stem}.{a}.csv"), columns[:first] + used + columns[-3:], mine)
