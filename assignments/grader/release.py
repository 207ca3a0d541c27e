"""Step 4 of the pipeline: the student copy, which holds only what a student gets.

From the master: every solution region replaced by ``...`` (code) or a line to write in
(markdown), every cell tagged ``tests`` replaced by a cell that runs that question's public
tests (``check("q1")``), "Question n (p points)." written before each question from its tests,
"Written answer (p points, ...)." before each written answer from its cell's metadata, a
self-check cell before the first question (``selfcheck.py`` with the public tests and their
expected answers: small, NumPy only, so it runs in JupyterLab without the grader), a last cell
``check_all()``, and every output cleared. Nothing of the hidden tests goes in, and the copy is
refused if a solution region, a tests cell or the word TESTS from one is left in it.
"""

import copy
import json
import re
from pathlib import Path

import nbformat
import numpy as np

from . import checks, master as master_format
from .model import AuthoringError

SELFCHECK = (Path(__file__).parent / "selfcheck.py").read_text()
LEFT = re.compile(r"(BEGIN|END)\s+SOLUTION", re.I)


def heading(question):
    return f"**Question {question.number} ({question.points} point{'s' * (question.points != 1)}).**"


def written_heading(points):
    """What the copy writes before a written answer's prompt, from the points in its cell's metadata."""
    return (f"**Written answer ({points} point{'s' * (points != 1)}, graded by your instructor).**" if points
            else "**Written answer (no points: your instructor comments on it).**")


def public_tests(assignment, expected):
    """{question id: {"title", "points", "tests": [...]}}: what the self-check needs, public tests only."""
    out = {q.id: {"title": f"Question {q.number}", "points": q.points, "tests": []} for q in assignment.questions}
    for test, exp in zip(assignment.tests, expected):
        if not test["public"]:
            continue
        shown = {k: test[k] for k in ("call", "args", "kwargs", "check")}
        if test["check"] == "close":
            shown.update(expected=np.asarray(exp).tolist(), rtol=test.get("rtol", checks.DEFAULT_RTOL),
                         atol=test.get("atol", checks.DEFAULT_ATOL))
        elif test["check"] == "equals":
            shown["expected"] = exp
        elif test["check"] == "raises":
            shown["error"] = exp
        elif test["check"] == "property":
            shown.update(property=list(exp), interval=test.get("interval"))
        elif test["check"] == "mc":
            shown.update(expected=np.asarray(exp).tolist(), rtol=list(checks.MC_RTOL))
        elif test["check"] == "mc-stderr":
            shown["expected"] = exp["exact"]
        out[test["question"]]["tests"].append(shown)
    return out


def selfcheck_source(public):
    return SELFCHECK.replace('_json.loads("{}")', f"_json.loads({json.dumps(public)!r})", 1)


def _cell(name, source):
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["selfcheck" if name == "selfcheck" else "check"]})
    cell["id"] = name
    return cell


def student_copy(assignment, expected):
    """The student's notebook (nbformat) made from the master."""
    nb = copy.deepcopy(assignment.notebook)
    questions = {q.cell: q for q in assignment.questions}
    last_tests = {}
    for index, cell in enumerate(nb.cells):
        if master_format.TESTS in master_format.tags(cell):
            last_tests[[q for q in assignment.questions if q.cell < index][-1].id] = index
    cells = []
    for index, cell in enumerate(nb.cells):
        cell_tags = master_format.tags(cell)
        if index in questions:
            q = questions[index]
            if index == assignment.questions[0].cell:
                cells.append(_cell("selfcheck", selfcheck_source(public_tests(assignment, expected))))
            cell.source = f"{heading(q)} {cell.source.lstrip()}"
        if master_format.TESTS in cell_tags:
            qid = next(q for q, i in last_tests.items() if i == index) if index in last_tests.values() else None
            if qid:
                cells.append(_cell(f"check-{qid}", f'check("{qid}")'))
            continue
        if cell.cell_type == "code":
            cell.source = master_format.strip_solutions(cell.source, assignment.file, index + 1,
                                                        master_format.CODE_STUB)
            cell.outputs, cell.execution_count = [], None
        elif cell.cell_type == "markdown":
            cell.source = master_format.strip_solutions(cell.source, assignment.file, index + 1,
                                                        master_format.TEXT_STUB)
            if master_format.WRITTEN in cell_tags and not master_format.has_solution(
                    assignment.notebook.cells[index].source):
                cell.source = master_format.TEXT_STUB
            if master_format.WRITTEN in cell_tags:
                points = next(w.points for w in assignment.written if w.cell == index + 1)
                cell.source = f"{written_heading(points)} {cell.source.lstrip()}"
        cells.append(cell)
    cells.append(_cell("check-all", "check_all()"))
    nb.cells = cells
    nb.metadata["assignment"] = {"name": assignment.name, "title": assignment.title}
    _refuse_leftovers(assignment, nb)
    return nb


def _refuse_leftovers(assignment, nb):
    """A solution region, or anything of a tests cell, left in the copy is a refusal, never a release."""
    for index, cell in enumerate(nb.cells):
        if "selfcheck" in master_format.tags(cell):
            continue
        if LEFT.search(cell.source):
            raise AuthoringError(assignment.file, "a solution marker is left in the student copy (write it "
                                 "exactly '# BEGIN SOLUTION' and '# END SOLUTION' on lines of their own)",
                                 _master_cell(assignment, cell))
    text = nbformat.writes(nb)
    if "TESTS = [" in text:
        raise AuthoringError(assignment.file, "a copy of the tests is left in the student copy: tests go only "
                             "in cells tagged tests")


def _master_cell(assignment, cell):
    for index, original in enumerate(assignment.notebook.cells):
        if original.source.strip() and original.source.split("\n")[0] in cell.source:
            return index + 1
    return None


def questions_markdown(assignment):
    """The questions, as the site shows them."""
    nb = assignment.notebook
    prompts = [f"{heading(q)} {nb.cells[q.cell].source.lstrip()}" for q in assignment.questions]
    for w in assignment.written:   # after the prompt of its question
        k = next(n for n, q in enumerate(assignment.questions) if q.id == w.question)
        prompts[k] += f"\n\n{written_heading(w.points)} {w.prompt}".rstrip()
    return f"## {assignment.title}\n\n" + "\n\n".join(prompts) + "\n"
