"""Class statistics for the instructor: per question the mean, the spread and the checks most often failed.

One HTML page per assignment, with its plots (matplotlib, as PNG inside the page). It reads
only the grades CSV's rows (``status``, ``total``, one column per question, ``failed``: the
numbers of the checks that did not pass) and the assignment's checks as the master lists
them. Only submissions that ran count; rows of other statuses (unreadable, refused) are
counted apart. A run writes it from every row; with a roster, the term writes it again from
each student's graded submission alone, so that a student's older file is not counted.
"""

import base64
import html
import io
import os
import statistics
import sys
import tempfile
from collections import Counter

from .model import Status, status_of

MOST_FAILED = 3
# What the page's rows are: every notebook (a run without a roster) or each student's graded one (``term``).
EVERY_NOTEBOOK = "notebooks (every notebook of the folder: without a roster, a student's other submissions count too)"
PER_STUDENT = "students' graded submissions (one per student of the roster: their other submissions do not count)"
RAN = {Status.OK, Status.SYNTAX_ERROR, Status.NO_MODULE, Status.UNDEFINED, Status.TIMED_OUT, Status.OUT_OF_MEMORY,
       Status.CRASHED}


def summary(rows, questions, tests, expected=None):
    """{question: {"n", "mean", "sd", "max", "full", "failed": [(check number, count, description)]}};
    `expected`: the bundle's expected answers (one per test), shown for the public tests."""
    ran = [r for r in rows if status_of(r.get("status", "")) in RAN]
    failures = Counter(int(n) for r in ran for n in (r.get("failed") or "").split())
    out = {}
    for q in questions:
        points = [float(r[q]) for r in ran if r.get(q) not in (None, "")]
        mine = [k for k, t in enumerate(tests, 1) if t.question == q]
        worst = sorted(((k, failures[k]) for k in mine if failures[k]), key=lambda kc: (-kc[1], kc[0]))[:MOST_FAILED]
        out[q] = {"n": len(points), "mean": statistics.fmean(points) if points else 0.0,
                  "sd": statistics.pstdev(points) if len(points) > 1 else 0.0,
                  "max": sum(t.points for t in tests if t.question == q),
                  "full": sum(p == sum(t.points for t in tests if t.question == q) for p in points),
                  "failed": [(k, n, describe(tests[k - 1], expected[k - 1] if expected else None))
                             for k, n in worst]}
    return out, len(rows) - len(ran)


def describe(test, expected=None):
    """A check as the instructor reads it: the call as written, keyword arguments included, and for a
    public test (whose answer the students see) what it expects."""
    from .checks import shows
    from .feedback import call_text
    text = call_text(test)
    text = text if len(text) <= 120 else text[:117] + "..."
    if test.public and expected is not None:
        wanted = shows(test, expected, condition=False)
        text += f" (public): {wanted if len(wanted) <= 120 else wanted[:117] + '...'}"
    return text


def _png(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def _pyplot():
    """matplotlib's pyplot (Agg), its configuration and font cache kept out of the grader's HOME."""
    if "matplotlib" in sys.modules or "MPLCONFIGDIR" in os.environ:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        return plt
    with tempfile.TemporaryDirectory(prefix="autograde-matplotlib-") as config:
        os.environ["MPLCONFIGDIR"] = config
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        finally:
            del os.environ["MPLCONFIGDIR"]
    return plt


def figure(per, totals):
    """The page's plots: a histogram of the totals (whole numbers of submissions on its axis) and each
    question's mean share of its points."""
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
    left.hist(totals, bins=min(20, max(5, len(set(totals)))), color="#4477aa")
    left.set(title="total points", xlabel="points", ylabel="submissions")
    left.yaxis.set_major_locator(MaxNLocator(integer=True))
    right.bar(list(per), [per[q]["mean"] / per[q]["max"] if per[q]["max"] else 0 for q in per],
              yerr=[per[q]["sd"] / per[q]["max"] if per[q]["max"] else 0 for q in per], color="#66ccee")
    right.set(title="mean share of each question's points (bars: spread)", ylim=(0, 1.05))
    return fig


def write(path, title, rows, questions, tests, expected=None, counted="submissions"):
    """The statistics page of one assignment at `path`: `rows` are the grades CSV's rows that count
    (with a roster, each student's graded submission once), `counted` says what they are."""
    per, apart = summary(rows, questions, tests, expected)
    totals = [float(r["total"]) for r in rows if r.get("total") not in (None, "")]
    fig = figure(per, totals)
    image = _png(fig)
    _pyplot().close(fig)
    lines = ["<!doctype html>", '<meta charset="utf-8">', f"<title>{html.escape(title)}: class statistics</title>",
             f"<h1>{html.escape(title)}: class statistics</h1>",
             f"<p>{len(rows)} {html.escape(counted, quote=False)}; {apart} did not run (unreadable, refused, another assignment) "
             "and count only in the totals.</p>",
             f'<img alt="histogram of totals and mean per question" src="data:image/png;base64,{image}">',
             "<table><tr><th>question</th><th>submissions</th><th>mean</th><th>spread (sd)</th><th>full marks</th>"
             "<th>checks most often failed</th></tr>"]
    for q, s in per.items():
        failed = "<br>".join(f"check {k}: {n}× <code>{html.escape(d)}</code>" for k, n, d in s["failed"]) or "none"
        lines.append(f"<tr><td>{html.escape(q)}</td><td>{s['n']}</td><td>{s['mean']:.2f} / {s['max']:g}</td>"
                     f"<td>{s['sd']:.2f}</td><td>{s['full']}</td><td>{failed}</td></tr>")
    lines.append("</table>")
    path.write_text("\n".join(lines) + "\n")
    return per
