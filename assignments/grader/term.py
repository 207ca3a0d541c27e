"""After a batch: the roster's students, each one's grade per assignment, the LMS files, and what needs a look.

``run`` reads the folder's file names and times (``intake``), the roster, the grades CSV,
the bundles (questions, titles, written answers), the written answers of the students'
notebooks (as data) and the instructor's score sheets; it writes into ``term/`` beside the CSV:

- ``<assignment>.students.csv``: the plain CSV keyed by student id;
- ``<assignment>.canvas.csv`` and ``<assignment>.moodle.csv``: for the LMS's import;
- ``unmatched.csv``: every notebook no student got, and a student's other submissions, with reasons;
- ``written/<assignment>/``: a review page and a score sheet per written answer (``manual``);

and beside the CSV the class statistics again (``stats.<assignment>.html``), from each student's
graded submission alone (a run without a roster counts every notebook);

and into each graded submission's feedback file (``feedback/`` beside the CSV) its last
section, "Your grade": the tests' points, each written answer's points and comment, the
penalty for lateness and the final grade. It returns the lines the instructor must read
(unmatched files, a student's other submissions, lateness to check); an empty list means nothing
needs them. Everything it writes comes from the folder, the CSV and the instructor's files
alone, so a merge of a sharded run's parts writes the same as one run.
"""

import csv
from pathlib import Path

from . import feedback, gradebook, intake, manual, stats
from .export import canvas, moodle
from .gradebook import number
from .policy import Policy
from .submissions import feedback_file


def _written(term, folder, bundles, policies, roster, log):
    """Review pages for the written answers; the instructor's points, where given, into the entries.
    Returns the lines that need the instructor: answers not scored yet."""
    waiting = []
    for a, entries in term.entries.items():
        written = bundles[a].written if a in bundles else {}
        if not written:
            continue
        maxima = {w: spec["points"] for w, spec in written.items()}
        where = folder / a
        answers = manual.collect({e.student.id: e.path for e in entries if e.path is not None}, written)
        manual.review(where, bundles[a].title, answers, maxima, {w: spec["prompt"] for w, spec in written.items()})
        given = manual.scores(where, [s.id for s in roster.students], maxima)
        key = manual.read_key(where)
        for e in entries:
            e.written_max = sum(maxima.values())
            e.written = {w: given[e.student.id, w] for w in maxima if (e.student.id, w) in given}
            e.labels = {w: manual.label(key, w, e.student.id) for w in maxima if e.student.id in answers.get(w, {})}
            if e.submission:   # an answer left empty is 0 without waiting for a score (the sheet's points, if any, count)
                e.unanswered = {w for w in maxima if w not in e.written and answers.get(w, {}).get(e.student.id) == ""}
                e.written.update({w: (0.0, "") for w in e.unanswered})
                e.waiting = sum(w not in e.written for w in maxima)
                e.penalty = policies[a].deduction(e.auto + e.manual, e.late_days)
        log(f"{a}: written answers to review in {where}/ ({len(given)} graded so far)")
        pending = sum(e.waiting for e in entries)
        if pending:
            waiting.append(f"{a}: {pending} written answer{'s' * (pending != 1)} not scored yet: review them in "
                           f"term/written/{a}/ beside the grades file and give their points in its score sheet")
    return waiting


def check_sheets(roster, csv_path, bundles, assignments):
    """Refused (file, line, field) where a score sheet of the written answers cannot be used: read before
    anything is graded or merged, so that a bad sheet costs no run and leaves nothing half written.
    `assignments`: those whose sheets to read."""
    for a in sorted(a for a in assignments if a in bundles and bundles[a].written):
        folder = Path(csv_path).parent / "term" / "written" / a
        if (folder / manual.KEY).exists():
            manual.scores(folder, [s.id for s in roster.students],
                          {w: spec["points"] for w, spec in bundles[a].written.items()})


def grade_lines(entry, written):
    """The feedback's "Your grade" section of one entry: `written` is its bundle's {id: spec}."""
    lines = [f"- Tests: {number(entry.auto)} / {number(entry.maximum)}"]
    for w, spec in written.items():
        said = f"- Written answer {w} (up to {spec['points']} points): "
        if w not in entry.written:
            lines.append(said + "not graded yet")
            continue
        if w in entry.unanswered:
            lines.append(said + "0, no answer was given")
            continue
        points, comment = entry.written[w]
        comment = feedback.inert(" ".join(comment.split()))
        lines.append(said + number(points) + (f". Your instructor's comment: {comment}" if comment else ""))
    if entry.late_days:
        when = (f"submitted {entry.submitted:%Y-%m-%d %H:%M} UTC, {entry.late_days} started day"
                f"{'s' * (entry.late_days != 1)} after the due date" if entry.submitted else
                "Canvas marked the submission late (counted as 1 day)")
        lines.append(f"- Late: {when}: -{number(entry.penalty)}")
    final = f"{number(entry.final)} / {number(entry.out_of)}"
    if entry.waiting:
        which = "a written answer is" if entry.waiting == 1 else f"{entry.waiting} written answers are"
        lines.append(f"- **Provisional final: {final}** ({which} not graded yet)")
    else:
        lines.append(f"- **Final: {final}**")
    return lines


def _feedback(term, folder, bundles):
    """Each graded submission's feedback file gets its "Your grade" section; another of the student's says it
    does not count."""
    for a, entries in term.entries.items():
        written = bundles[a].written if a in bundles else {}
        for e in entries:
            path = folder / feedback_file(e.submission)
            if e.submission and path.exists():
                feedback.with_grade(path, grade_lines(e, written))
    for older, newer in term.superseded.items():
        path = folder / feedback_file(older)
        if path.exists():
            feedback.with_grade(path, [f"- Not counted: your submission {feedback.code(newer)} is the one graded."])


def run(roster, folder, csv_path, bundles, policy=None, canvas_ids=None, log=print):
    """The term's files from the graded folder; `roster`: ``roster.read``'s; `bundles`: {name: bundle.Bundle}
    (questions, titles, written answers)."""
    csv_path = Path(csv_path)
    out = csv_path.parent / "term"
    out.mkdir(parents=True, exist_ok=True)
    found, skipped = intake.walk(folder, roster)
    rows = gradebook.read_grades([csv_path])
    graded = {r["assignment"] for r in rows.values() if r.get("assignment")}
    questions = {a: b.questions for a, b in bundles.items() if a in graded}
    titles = {a: b.title for a, b in bundles.items()}
    policies = {a: policy or Policy() for a in questions}
    term = gradebook.build(roster, found, skipped, rows, questions, policies)
    waiting = _written(term, out / "written", bundles, policies, roster, log)
    for a, entries in term.entries.items():
        gradebook.write_plain(out / f"{a}.students.csv", entries, questions.get(a, []), roster,
                              bundles[a].written if a in bundles else ())
        canvas.write(out / f"{a}.canvas.csv", entries, titles.get(a, a), (canvas_ids or {}).get(a))
        moodle.write(out / f"{a}.moodle.csv", entries, titles.get(a, a))
    with open(out / "unmatched.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["file", "reason"])
        w.writerows(term.unmatched + term.others + term.skipped)
    _feedback(term, csv_path.parent / "feedback", bundles)
    for a, entries in term.entries.items():   # each student once: the submission graded, not their others
        if a in bundles:
            b = bundles[a]
            stats.write(csv_path.parent / f"stats.{a}.html", b.title,
                        [rows[e.submission] for e in entries if e.submission in rows], b.questions, b.tests,
                        b.expected, stats.PER_STUDENT)
    for a, entries in term.entries.items():
        missing = sum(not e.submission for e in entries)
        late = sum(e.late_days > 0 for e in entries)
        log(f"{a}: {len(entries)} students, {len(entries) - missing} with a submission, "
            f"{missing} without, {late} late; wrote {out}/{a}.students.csv, .canvas.csv, .moodle.csv")
    lines = [f"{name}: matched to no student: {why}" for name, why in term.unmatched]
    lines += [f"{name}: {why}" for name, why in term.others + term.doubtful + term.by_name] + waiting
    return term, lines
