"""Written answers: collected into one review page each, graded by the instructor through a CSV.

A written answer is a markdown cell of the master tagged ``written``, under its question, with
its ``points`` in the cell's metadata (``master.py``; the page "Writing an assignment"). The
student copy keeps the cell and its tag, with the model answer cut out; the bundle lists the
written answers in the master's order, each with its id (``q4w``), points and prompt.
``collect`` reads the student's notebooks as data: their k-th markdown cell tagged ``written``
answers the k-th written answer, with the heading and prompt it starts with taken off, and with the
markdown cells the student added below it, up to the next code cell (the question's self-check
follows the prompt in the copy) or the next question or written answer; the copy's placeholder,
*Write your answer here.*, is no answer.

``review`` writes, per written answer, ``written/<id>.html``: every answer side by side,
each under an opaque label (a keyed hash of the student's id, so the order and the labels
hide who wrote it; the term's per-student CSV gives each student's), the text escaped and
shown as inert preformatted text; and
``written/<id>.scores.csv`` (``label,points,comment``) for the instructor to fill, which
is kept once it exists (answers that come in later get a row at its end). ``scores`` reads them back; an unknown label, a number that is not
one, points outside 0 and the answer's maximum, or an answer's label on two rows are refused with
the file, line and field. A sheet saved with ``;`` between its fields and decimal commas (as a
spreadsheet in many languages saves CSV) is read as well.
"""

import csv
import hashlib
import hmac
import html
import re
import secrets
from pathlib import Path

from .master import QUESTION, TEXT_STUB, WRITTEN
from .release import written_heading
from .model import Refused
from .roster import delimiter, read_csv, where
from .submissions import load

MAX_ANSWER = 20_000   # characters of one answer shown
KEY = "written.key"   # the key of the labels, beside the score sheets


def _tags(cell):
    tags = cell["metadata"].get("tags", []) if isinstance(cell.get("metadata"), dict) else []
    return tags if isinstance(tags, list) else []


def _text(cell):
    source = cell.get("source", "")
    return ("".join(source) if isinstance(source, list) else str(source)).strip()


def answers(nb, written):
    """{written answer id: the student's text} of a notebook (nbformat 4, read as data); `written` is
    the bundle's {id: {"prompt", ...}}, in the master's order."""
    cells = nb.get("cells", [])
    prompts = [i for i, c in enumerate(cells) if c.get("cell_type") == "markdown" and WRITTEN in _tags(c)]
    out = {}
    for (wid, spec), at in zip(written.items(), prompts):
        text = _text(cells[at])
        for given in (written_heading(spec.get("points", 0)), spec.get("prompt", "")):  # what the copy wrote
            if given and text.startswith(given):
                text = text[len(given):].strip()
        parts = [text]
        for cell in cells[at + 1:]:   # the cells the student added below the prompt
            if cell.get("cell_type") != "markdown" or any(t in (QUESTION, WRITTEN) for t in _tags(cell)):
                break
            parts.append(_text(cell))
        out[wid] = "\n\n".join(p for p in parts if p and p != TEXT_STUB)[:MAX_ANSWER]
    return out


def collect(paths, written):
    """{written answer id: {student id: text}} from {student id: notebook path}, each read as the batch reads
    it (``submissions.load``: its size, cell and content limits); a file the batch would refuse has no
    answers."""
    out = {}
    for student, path in paths.items():
        try:
            nb = load(path)[1]
        except OSError:  # gone since: the grades say what it was
            continue
        if nb is None:   # refused: its status is in the grades already
            continue
        for wid, text in answers(nb, written).items():
            out.setdefault(wid, {})[student] = text
    return out


def read_key(folder):
    """The key of the labels in `folder`, made there by the first run."""
    path = Path(folder) / KEY
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(16))
    return path.read_text().strip().encode()


def label(key, question, student):
    return "A" + hmac.new(key, f"{question}\0{student}".encode(), hashlib.sha256).hexdigest()[:8]


def review(folder, title, answers, maxima, prompts=None):
    """The review pages and score sheets of every written answer into `folder`; returns their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    key = read_key(folder)
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
                        + (f"<blockquote><pre>{html.escape(prompts[q])}</pre></blockquote>\n"
                           if (prompts or {}).get(q) else "") +
                        f"<p>{len(shown)} answers, in an order that hides who wrote them; grade them in "
                        f"{q}.scores.csv.</p>\n<main>\n{items}\n</main>\n")
        sheet = folder / f"{q}.scores.csv"
        if not sheet.exists():
            with open(sheet, "w", newline="") as f:
                w = csv.writer(f)
                w.writerow(["label", "points", "comment"])
                w.writerows([lab, "", ""] for lab, _ in shown)
        else:  # your points stay; answers that came in since get a row at the end
            _, rows = read_csv(sheet, "score sheet")
            have = {row.get("label") for _, row in rows}
            new = [[lab, "", ""] for lab, _ in shown if lab not in have]
            if new:   # in the sheet's own separator (a spreadsheet may have saved it with ";")
                separator = delimiter(sheet.read_text(encoding="utf-8-sig"))
                with open(sheet, "a", newline="") as f:
                    if not sheet.read_bytes().endswith(b"\n"):
                        f.write("\r\n")
                    csv.writer(f, delimiter=separator).writerows(new)
        written += [page, sheet]
    return written


def scores(folder, students, maxima):
    """{(student id, question): (points, comment)} from the filled score sheets; blanks are not graded yet."""
    folder = Path(folder)
    key = read_key(folder)
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
        seen = {}
        for line, row in rows:
            if row["label"] not in labels:
                raise Refused(f"{where(sheet, line, 'label')}: {row['label']!r} is no student's answer to {q}")
            if row["label"] in seen:
                raise Refused(f"{where(sheet, line, 'label')}: {row['label']!r} is also on line {seen[row['label']]}: "
                              "one row per answer")
            seen[row["label"]] = line
            if row["points"] == "":
                continue
            try:   # a decimal comma, as a spreadsheet in many languages writes it, is read too
                points = float(re.sub(r"^(-?\d+),(\d+)$", r"\1.\2", row["points"]))
            except ValueError:
                raise Refused(f"{where(sheet, line, 'points')}: {row['points']!r} is not a number") from None
            if not 0 <= points <= maximum:
                raise Refused(f"{where(sheet, line, 'points')}: {row['points']} is outside 0 to {maximum:g}, "
                              f"the points of {q}")
            out[labels[row["label"]], q] = (points, row.get("comment", ""))
    return out
