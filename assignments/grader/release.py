"""Step 3 of the pipeline: the student copy, which holds only what a student gets.

From the master: every solution region replaced by ``...`` (code) or a line to write in
(markdown), every cell tagged ``tests`` replaced by a cell that runs that question's public
tests (``check("q1")``), "Question n (p points)." written before each question from its tests,
"Written answer (p points, ...)." before each written answer from its cell's metadata, a
self-check cell before the first question (``selfcheck.py``, with the grader's own comparisons
of ``compare.py`` inside and the public tests with their expected answers: NumPy only, so it runs
in JupyterLab without the grader), a last cell ``check_all()``, and every output cleared. Nothing
of the hidden tests goes in, and the copy is refused if a solution marker or a tests cell's
``TESTS = [`` is left in it.
"""

import copy
import json
import re
import textwrap
from pathlib import Path

import nbformat

from . import checks, master as master_format
from .model import AuthoringError

SELFCHECK = (Path(__file__).parent / "selfcheck.py").read_text()
COMPARE = (Path(__file__).parent / "compare.py").read_text()
LEFT = re.compile(r"(BEGIN|END)\s+SOLUTION", re.I)


def heading(question):
    return f"**Question {question.number} ({question.points} point{'s' * (question.points != 1)}).**"


def written_heading(points):
    """What the copy writes before a written answer's prompt, from the points in its cell's metadata."""
    return (f"**Written answer ({points} point{'s' * (points != 1)}, graded by your instructor).**" if points
            else "**Written answer (no points: your instructor comments on it).**")


def public_tests(assignment, expected):
    """{question id: {"title", "points", "tests": [...]}}: what the self-check needs, public tests only:
    each test's call and the comparison (of ``compare``) that judges its answer, with its arguments."""
    out = {q.id: {"title": f"Question {q.number}", "points": q.points, "tests": []} for q in assignment.questions}
    for test, exp in zip(assignment.tests, expected):
        if test.public:
            kind = checks.KINDS[test.check]
            out[test.question]["tests"].append({
                "call": test.call, "args": test.args, "kwargs": test.kwargs, "expects_error": kind.raises,
                "compare": kind.compare.__name__, "with": kind.params(test, exp)})
    return out


def selfcheck_source(public):
    """The self-check cell: selfcheck.py with the comparisons of compare.py inside, and the public tests."""
    comparisons = textwrap.indent(COMPARE.split('"""', 2)[2].strip(), "    ")
    source = SELFCHECK.replace("    # compare.py\n", comparisons + "\n", 1)
    return source.replace('_json.loads("{}")', f"_json.loads({json.dumps(public)!r})", 1)


def _cell(name, source):
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["selfcheck" if name == "selfcheck" else "check"]})
    cell["id"] = name
    return cell


def student_copy(assignment, expected):
    """The student's notebook (nbformat) made from the master."""
    nb = copy.deepcopy(assignment.notebook)
    questions = {q.cell: q for q in assignment.questions}
    tested = {index: [q for q in assignment.questions if q.cell < index][-1].id   # tests cell -> its question
              for index, cell in enumerate(nb.cells) if master_format.TESTS in master_format.tags(cell)}
    last_tests = {qid: index for index, qid in tested.items()}
    cells, origins = [], []   # the copy's cells, and the master's cell (from 1) each comes from
    for index, cell in enumerate(nb.cells):
        cell_tags = master_format.tags(cell)
        if index in questions:
            q = questions[index]
            if index == assignment.questions[0].cell:
                cells.append(_cell("selfcheck", selfcheck_source(public_tests(assignment, expected))))
                origins.append(None)
            cell.source = f"{heading(q)} {cell.source.lstrip()}"
        if index in tested:
            if last_tests[tested[index]] == index:
                cells.append(_cell(f"check-{tested[index]}", f'check("{tested[index]}")'))
                origins.append(None)
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
        origins.append(index + 1)
    cells.append(_cell("check-all", "check_all()"))
    nb.cells = cells
    nb.metadata["assignment"] = {"name": assignment.name, "title": assignment.title}
    _refuse_leftovers(assignment, nb, origins)
    return nb


def _refuse_leftovers(assignment, nb, origins):
    """A solution marker, or anything of a tests cell, left in the copy is a refusal, never a release."""
    tests = f"{master_format.TESTS_NAME} = ["
    for cell, origin in zip(nb.cells, origins):
        if origin is None:   # the build's own cells
            continue
        for line in cell.source.split("\n"):
            if LEFT.search(line) or tests in line:
                what = ("a solution marker is left in the student copy (write it exactly '# BEGIN SOLUTION' and "
                        "'# END SOLUTION' on lines of their own)" if LEFT.search(line) else
                        "a copy of the tests is left in the student copy: tests go only in cells tagged tests")
                lines = assignment.notebook.cells[origin - 1].source.split("\n")
                at = f"line {lines.index(line) + 1}: " if line in lines else ""
                raise AuthoringError(assignment.file, at + what, origin, "source")
    if tests in nbformat.writes(nb):
        raise AuthoringError(assignment.file, "a copy of the tests is left in the student copy's metadata: tests "
                             "go only in cells tagged tests", None, "metadata")


def questions_markdown(assignment):
    """The questions, as the site shows them."""
    nb = assignment.notebook
    prompts = [f"{heading(q)} {nb.cells[q.cell].source.lstrip()}" for q in assignment.questions]
    for w in assignment.written:   # after the prompt of its question
        k = next(n for n, q in enumerate(assignment.questions) if q.id == w.question)
        prompts[k] += f"\n\n{written_heading(w.points)} {w.prompt}".rstrip()
    return f"## {assignment.title}\n\n" + "\n\n".join(prompts) + "\n"
