"""After a batch: the roster's students, each one's grade per assignment, the LMS files, and what needs a look.

``run`` reads the folder's file names and times (``intake``), the roster, the grades CSV,
the bundles (questions, titles, written answers), the written answers of the students'
notebooks (as data) and the instructor's score sheets; it writes into ``out``:

- ``<assignment>.students.csv``: the plain CSV keyed by student id;
- ``<assignment>.canvas.csv`` and ``<assignment>.moodle.csv``: for the LMS's import;
- ``unmatched.csv``: every notebook no student got, and earlier submissions, with reasons;
- ``written/<assignment>/``: a review page and a score sheet per written answer (``manual``).

It returns the lines the instructor must read (unmatched files, files not graded); an
empty list means nothing needs them.
"""

import csv
from pathlib import Path

from . import gradebook, intake, manual, roster as rosters
from .export import canvas, moodle
from .policy import Policy


def _written(term, folder, bundles, policies, roster, log):
    """Review pages for the written answers; the instructor's points, where given, into the entries."""
    for a, entries in term.entries.items():
        written = bundles[a].written if a in bundles else {}
        if not written:
            continue
        maxima = {w: spec["points"] for w, spec in written.items()}
        where = folder / a
        answers = manual.collect({e.student.id: e.path for e in entries if e.path is not None}, written)
        manual.review(where, bundles[a].title, answers, maxima, {w: spec["prompt"] for w, spec in written.items()})
        given = manual.scores(where, [s.id for s in roster.students], maxima)
        for e in entries:
            e.written_max = sum(maxima.values())
            e.written = {w: given[e.student.id, w] for w in maxima if (e.student.id, w) in given}
            if e.submission:
                e.penalty = policies[a].deduction(e.auto + e.manual, e.late_days)
        log(f"{a}: written answers to review in {where}/ ({len(given)} graded so far)")


def run(roster_path, folder, grades_paths, out, bundles, policy=None, canvas_ids=None, log=print):
    """The term's files from the graded folder; `bundles`: {name: bundle.Bundle} (questions, titles,
    written answers)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    roster = rosters.read(roster_path)
    found, skipped = intake.walk(folder)
    rows = gradebook.read_grades(grades_paths)
    graded = {r["assignment"] for r in rows.values() if r.get("assignment")}
    questions = {a: b.questions for a, b in bundles.items() if a in graded}
    titles = {a: b.title for a, b in bundles.items()}
    policies = {a: policy or Policy() for a in questions}
    term = gradebook.build(roster, found, skipped, rows, questions, policies)
    _written(term, out / "written", bundles, policies, roster, log)
    for a, entries in term.entries.items():
        gradebook.write_plain(out / f"{a}.students.csv", entries, questions.get(a, []), roster)
        canvas.write(out / f"{a}.canvas.csv", entries, titles.get(a, a), (canvas_ids or {}).get(a))
        moodle.write(out / f"{a}.moodle.csv", entries, titles.get(a, a))
    with open(out / "unmatched.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["file", "reason"])
        w.writerows(term.unmatched + term.earlier + term.skipped)
    for a, entries in term.entries.items():
        missing = sum(not e.submission for e in entries)
        late = sum(e.late_days > 0 for e in entries)
        log(f"{a}: {len(entries)} students, {len(entries) - missing} with a submission, "
            f"{missing} without, {late} late; wrote {out}/{a}.students.csv, .canvas.csv, .moodle.csv")
    lines = [f"{name}: matched to no student: {why}" for name, why in term.unmatched]
    lines += [f"{name}: {why}" for name, why in term.earlier]
    return term, lines
