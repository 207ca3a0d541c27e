"""After a batch: the roster's students, each one's grade per assignment, the LMS files, and what needs a look.

``run`` reads only the folder's file names and times (``intake``), the roster, the grades
CSV and, where given, the instructor's written-answer scores; it writes into ``out``:

- ``<assignment>.students.csv``: the plain CSV keyed by student id;
- ``<assignment>.canvas.csv`` and ``<assignment>.moodle.csv``: for the LMS's import;
- ``unmatched.csv``: every notebook no student got, and earlier submissions, with reasons.

It returns the lines the instructor must read (unmatched files, files not graded); an
empty list means nothing needs them.
"""

import csv
from pathlib import Path

from . import gradebook, intake, manual, notebooks, roster as rosters
from .export import canvas, moodle
from .policy import Policy


def assignments_of_masters():
    """(questions, titles) per assignment, from the masters, without computing expected answers."""
    import nbformat
    questions, titles = {}, {}
    for master in notebooks.masters():
        nb = nbformat.read(master, as_version=4)
        meta = nb.metadata["assignment"]
        cases = notebooks.hidden_tests(nb)
        questions[meta["name"]] = list(dict.fromkeys(c["question"] for c in cases))
        titles[meta["name"]] = meta["title"]
    return questions, titles


def _written(term, folder, titles, policies, roster, log):
    """Review pages for the written answers; the instructor's points, where given, into the entries."""
    import nbformat
    maxima = {}
    for master in notebooks.masters():
        nb = nbformat.read(master, as_version=4)
        maxima[nb.metadata["assignment"]["name"]] = manual.questions(nb)
    for a, entries in term.entries.items():
        if not maxima.get(a):
            continue
        where = folder / a
        answers = manual.collect({e.student.id: e.path for e in entries if e.path is not None})
        manual.review(where, titles.get(a, a), answers, maxima[a])
        given = manual.scores(where, [s.id for s in roster.students], maxima[a])
        for e in entries:
            e.written_max = sum(maxima[a].values())
            e.written = {q: given[e.student.id, q] for q in maxima[a] if (e.student.id, q) in given}
            if e.submission:
                e.penalty = policies[a].deduction(e.auto + e.manual, e.late_days)
        log(f"{a}: written answers to review in {where}/ ({len(given)} graded so far)")


def run(roster_path, folder, grades_paths, out, policy=None, canvas_ids=None, written=None, written_max=None,
        log=print):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    roster = rosters.read(roster_path)
    found, skipped = intake.walk(folder)
    rows = gradebook.read_grades(grades_paths)
    questions, titles = assignments_of_masters()
    graded = {r["assignment"] for r in rows.values() if r.get("assignment")}
    questions = {a: q for a, q in questions.items() if a in graded}
    policies = {a: policy or Policy() for a in questions}
    term = gradebook.build(roster, found, skipped, rows, questions, policies, written, written_max)
    _written(term, out / "written", titles, policies, roster, log)
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
