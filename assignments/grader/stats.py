"""Class statistics for the instructor: per question the mean, the spread and the checks most often failed.

One HTML page per assignment, with its plots (matplotlib, as PNG inside the page). It reads
only the grades CSV's rows (``status``, ``total``, one column per question, ``failed``: the
numbers of the checks that did not pass) and the assignment's checks as the master lists
them. Only submissions that ran count; rows of other statuses (unreadable, refused) are
counted apart.
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
RAN = {Status.OK, Status.SYNTAX_ERROR, Status.UNDEFINED, Status.TIMED_OUT, Status.OUT_OF_MEMORY, Status.CRASHED}


def summary(rows, questions, tests):
    """{question: {"n", "mean", "sd", "max", "full", "failed": [(check number, count, description)]}}."""
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
                  "failed": [(k, n, describe(tests[k - 1])) for k, n in worst]}
    return out, len(rows) - len(ran)


def describe(test):
    args = ", ".join(repr(a) for a in test.args)
    text = f"{test.call}({args})"
    return text if len(text) <= 120 else text[:117] + "..."


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


def write(path, title, rows, questions, tests):
    """The statistics page of one assignment at `path`."""
    plt = _pyplot()

    per, apart = summary(rows, questions, tests)
    totals = [float(r["total"]) for r in rows if r.get("total") not in (None, "")]
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.5))
    left.hist(totals, bins=min(20, max(5, len(set(totals)))), color="#4477aa")
    left.set(title="total points", xlabel="points", ylabel="submissions")
    right.bar(list(per), [per[q]["mean"] / per[q]["max"] if per[q]["max"] else 0 for q in per],
              yerr=[per[q]["sd"] / per[q]["max"] if per[q]["max"] else 0 for q in per], color="#66ccee")
    right.set(title="mean share of each question's points (bars: spread)", ylim=(0, 1.05))
    image = _png(fig)
    plt.close(fig)
    lines = ["<!doctype html>", '<meta charset="utf-8">', f"<title>{html.escape(title)}: class statistics</title>",
             f"<h1>{html.escape(title)}: class statistics</h1>",
             f"<p>{len(rows)} submissions; {apart} did not run (unreadable, refused, another assignment) "
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
