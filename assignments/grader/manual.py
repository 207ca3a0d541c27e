"""Written answers: collected into one review page per question, graded by the instructor through a CSV.

The convention (narrow, so that masters can change around it): a markdown cell whose
metadata has the tag ``written`` and ``"written": {"question": "q5", "points": 2}`` is the
answer cell of a prose question; the student copy keeps it (its text is what the student
writes). ``collect`` reads those cells from each student's notebook, as data.

``review`` writes, per question, ``written/<question>.html``: every answer side by side,
each under an opaque label (a keyed hash of the student's id, so the order and the labels
hide who wrote it), the text escaped and shown as inert preformatted text; and
``written/<question>.scores.csv`` (``label,points,comment``) for the instructor to fill, which
is kept once it exists. ``scores`` reads them back; an unknown label, a number that is not
one, or points outside 0 and the question's maximum are refused with the file, line and field.
"""

import csv
import hashlib
import hmac
import html
import secrets
from pathlib import Path

from .model import Refused
from .roster import read_csv, where

MAX_ANSWER = 20_000   # characters of one answer shown


def cells(nb):
    """{question: (points, text)} of a notebook's written-answer cells (nbformat 4, read as data)."""
    out = {}
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {}) if isinstance(cell.get("metadata"), dict) else {}
        tags = meta.get("tags", []) if isinstance(meta.get("tags"), list) else []
        spec = meta.get("written")
        if cell.get("cell_type") == "markdown" and "written" in tags and isinstance(spec, dict):
            q, points = spec.get("question"), spec.get("points")
            if isinstance(q, str) and isinstance(points, (int, float)) and q not in out:
                source = cell.get("source", "")
                out[q] = (float(points), ("".join(source) if isinstance(source, list) else str(source))[:MAX_ANSWER])
    return out


def questions(master_nb):
    """{question: points} of a master's written-answer cells: what each is worth."""
    return {q: p for q, (p, _) in cells(master_nb).items()}


def collect(paths):
    """{question: {student id: text}} from {student id: notebook path}; a file that cannot be read has no answers."""
    import nbformat
    out = {}
    for student, path in paths.items():
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # noqa: BLE001 -- an unreadable notebook has its status in the grades already
            continue
        for q, (_, text) in cells(nb).items():
            out.setdefault(q, {})[student] = text
    return out


def _key(folder):
    path = Path(folder) / "written.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(16))
    return path.read_text().strip().encode()


def label(key, question, student):
    return "A" + hmac.new(key, f"{question}\0{student}".encode(), hashlib.sha256).hexdigest()[:8]


def review(folder, title, answers, maxima):
    """The review pages and score sheets of every written question into `folder`; returns their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    key = _key(folder)
    written = []
    for q in sorted(answers):
        shown = sorted((label(key, q, s), text) for s, text in answers[q].items())
        page = folder / f"{q}.html"
        items = "\n".join(f'<section><h2>{lab}</h2><pre>{html.escape(text) or "(no answer)"}</pre></section>'
                          for lab, text in shown)
        page.write_text(f'<!doctype html>\n<meta charset="utf-8">\n<title>{html.escape(title)}: {q}</title>\n'
                        '<style>main{display:grid;grid-template-columns:repeat(auto-fill,minmax(22em,1fr));gap:1em}'
                        'pre{white-space:pre-wrap;overflow-wrap:anywhere}</style>\n'
                        f"<h1>{html.escape(title)}: {q} (up to {maxima.get(q, 0):g} points)</h1>\n"
                        f"<p>{len(shown)} answers, in an order that hides who wrote them; grade them in "
                        f"{q}.scores.csv.</p>\n<main>\n{items}\n</main>\n")
        sheet = folder / f"{q}.scores.csv"
        if not sheet.exists():
            with open(sheet, "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(["label", "points", "comment"])
                w.writerows([lab, "", ""] for lab, _ in shown)
        written += [page, sheet]
    return written


def scores(folder, students, maxima):
    """{(student id, question): (points, comment)} from the filled score sheets; blanks are not graded yet."""
    folder = Path(folder)
    key = _key(folder)
    out = {}
    for q, maximum in maxima.items():
        sheet = folder / f"{q}.scores.csv"
        if not sheet.exists():
            continue
        labels = {label(key, q, s): s for s in students}
        header, rows = read_csv(sheet, "score sheet")
        for needed in ("label", "points"):
            if needed not in header:
                raise Refused(f"{where(sheet, 1, needed)}: the score sheet has no such column")
        for line, row in rows:
            if row["label"] not in labels:
                raise Refused(f"{where(sheet, line, 'label')}: {row['label']!r} is no student's answer to {q}")
            if row["points"] == "":
                continue
            try:
                points = float(row["points"])
            except ValueError:
                raise Refused(f"{where(sheet, line, 'points')}: {row['points']!r} is not a number") from None
            if not 0 <= points <= maximum:
                raise Refused(f"{where(sheet, line, 'points')}: {row['points']} is outside 0 to {maximum:g}, "
                              f"the points of {q}")
            out[labels[row["label"]], q] = (points, row.get("comment", ""))
    return out


def tagged(question, points, text=""):
    """A written-answer cell as a master holds it (for masters and tests): nbformat 4 markdown."""
    import nbformat
    cell = nbformat.v4.new_markdown_cell(text or "*Your answer here.*")
    cell.metadata.update({"tags": ["written"], "written": {"question": question, "points": points}})
    return cell

