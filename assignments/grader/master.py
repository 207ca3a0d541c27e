"""Step 1 of the pipeline: a master notebook -> ``model.Assignment`` (questions and their ``Test``s).

The format (the book's page "Writing an assignment" explains it for instructors):

- notebook metadata ``assignment``: ``name`` (letters, digits, ``_`` and ``-``) and ``title``,
  and optionally ``points``, the total that the tests' points must add up to;
- a markdown cell tagged ``question`` starts a question (q1, q2, ... in order); the build writes
  "Question n (p points)." before its text, p being the sum of its tests' points;
- solution regions, in any code cell: ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` (otter's, and
  nbgrader's ``### BEGIN SOLUTION``); in markdown cells (written answers, tagged ``written``)
  also ``<!-- BEGIN SOLUTION -->`` ... ``<!-- END SOLUTION -->``;
- a markdown cell tagged ``written`` under a question is a written answer, graded by the
  instructor: its cell metadata says its ``points`` (a whole number, 0 for feedback only), and
  its model answer, if any, is a solution region; its id is the question's and ``w`` (q4w, then
  q4w2, ...), the name of its review page and score sheet;
- a code cell tagged ``tests`` under a question holds ``TESTS = [{...}, ...]``, plain literals,
  one dict of fields per test, each made a ``model.Test`` by ``checks.read_test`` (the fields of each
  kind: ``checks.KINDS``); ``"public": True`` for the tests students run;
- every other cell is copied to the student as it is.

Everything here reads; nothing runs. Every refusal is an ``AuthoringError`` naming the file,
the cell (numbered from 1, as JupyterLab shows them) and the field.
"""

import ast
import re
from pathlib import Path

from . import checks
from .model import Assignment, AuthoringError, Question, Written

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
QUESTION, TESTS, WRITTEN, SOLUTION = "question", "tests", "written", "solution"   # the cells' tags
TESTS_NAME = "TESTS"   # the one name a tests cell assigns
BEGIN = re.compile(r"^([ \t]*)(?:#{1,3}[ \t]*BEGIN SOLUTION|<!--[ \t]*BEGIN SOLUTION[ \t]*-->)[ \t]*$")
END = re.compile(r"^[ \t]*(?:#{1,3}[ \t]*END SOLUTION|<!--[ \t]*END SOLUTION[ \t]*-->)[ \t]*$")
CODE_STUB, TEXT_STUB = "...  # your code here", "*Write your answer here.*"
TYPED_POINTS = re.compile(r"\(\s*\d+\s*(?:points?|pts?|marks?)\s*\)", re.I)
# Other tools' markers, refused with what to write instead.
FOREIGN = [
    (re.compile(r"^\s*#\s*BEGIN\s+QUESTION\b", re.M),
     "otter's '# BEGIN QUESTION' is not used here: tag the question's markdown cell 'question' instead"),
    (re.compile(r"^\s*#\s*(BEGIN|END)\s+(TESTS|PROMPT)\b", re.M),
     "otter's test and prompt blocks are not used here: write the tests as TESTS = [...] in a code cell "
     "tagged 'tests' under the question"),
    (re.compile(r"^\s*#{1,3}\s*BEGIN\s+HIDDEN\s+TESTS\b", re.M),
     "nbgrader's hidden test regions are not used here: write the tests as TESTS = [...] in a code cell "
     "tagged 'tests' (hidden unless \"public\": True)"),
    (re.compile(r"^\s*#{1,3}\s*(BEGIN|END)\s+MARK\s+SCHEME\b", re.M),
     "nbgrader's mark scheme regions are not used here: put the model answer in a solution region of a "
     "markdown cell tagged 'written'"),
    (re.compile(r"#\s*SOLUTION\s*(NO PROMPT)?\s*$", re.M),
     "otter's one-line '# SOLUTION' is not used here: put the line between # BEGIN SOLUTION and # END SOLUTION"),
]


def tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def strip_solutions(source, file, cell_number, stub):
    """The source with each solution region replaced by `stub` at the region's indent.

    Refuses nested, unclosed and unopened regions (like nbgrader's ClearSolutions)."""
    out, opened = [], None
    for number, line in enumerate(source.split("\n"), 1):
        begin = BEGIN.match(line)
        if begin:
            if opened is not None:
                raise AuthoringError(file, f"a solution region opens on line {number} inside the one opened on "
                                     f"line {opened}: close the first with END SOLUTION", cell_number)
            opened = number
            out.append(begin.group(1) + stub)
        elif END.match(line):
            if opened is None:
                raise AuthoringError(file, f"line {number} ends a solution region that was never opened "
                                     "(BEGIN SOLUTION)", cell_number)
            opened = None
        elif opened is None:
            out.append(line)
    if opened is not None:
        raise AuthoringError(file, f"the solution region opened on line {opened} is never closed "
                             "(END SOLUTION)", cell_number)
    return "\n".join(out)


def has_solution(source):
    return any(BEGIN.match(line) for line in source.split("\n"))


def _not_literal(value):
    """(line, field) of the first expression in a list of tests that is not a plain literal."""
    literal = (ast.Constant, ast.List, ast.Tuple, ast.Dict, ast.Set, ast.UnaryOp)
    fields = [(TESTS_NAME, value)]
    if isinstance(value, ast.List):
        for k, test in enumerate(value.elts):
            fields.append((f"{TESTS_NAME}[{k}]", test))
            if isinstance(test, ast.Dict):
                fields += [(f"{TESTS_NAME}[{k}].{key.value}", item) for key, item in zip(test.keys, test.values)
                           if isinstance(key, ast.Constant) and isinstance(key.value, str)]
    field = TESTS_NAME
    bad = min((n for n in ast.walk(value) if isinstance(n, ast.expr) and not isinstance(n, literal)),
              key=lambda n: (n.lineno, n.col_offset), default=value)
    for name, node in fields:   # the innermost field that holds it
        if any(n is bad for n in ast.walk(node)):
            field = name
    return bad.lineno, field


def _tests(cell, file, number, question):
    """The Tests of a cell tagged tests, under `question`: one assignment TESTS = [...] of literals."""
    try:
        tree = ast.parse(cell.source)
    except SyntaxError as error:
        raise AuthoringError(file, f"the tests are not Python ({error.msg} on line {error.lineno})", number) from None
    if (len(tree.body) != 1 or not isinstance(tree.body[0], ast.Assign) or len(tree.body[0].targets) != 1
            or not isinstance(tree.body[0].targets[0], ast.Name) or tree.body[0].targets[0].id != TESTS_NAME):
        raise AuthoringError(file, f"a cell tagged tests holds one assignment, {TESTS_NAME} = [{{...}}, ...], and "
                             "nothing else but comments", number)
    try:
        tests = ast.literal_eval(tree.body[0].value)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        line, field = _not_literal(tree.body[0].value)
        raise AuthoringError(file, f"the tests must be plain literals (numbers, strings, lists, dicts, True, "
                             f"False, None); line {line} is not", number, field) from None
    if not isinstance(tests, list) or not tests:
        raise AuthoringError(file, "must be a non-empty list of tests", number, TESTS_NAME)
    out = []
    for k, fields in enumerate(tests):
        if isinstance(fields, dict) and "question" in fields:
            raise AuthoringError(file, "a test belongs to the question above its cell: remove 'question'",
                                 number, f"{TESTS_NAME}[{k}].question")
        try:
            out.append(checks.read_test(fields, question, number, k))
        except checks.FieldError as error:
            raise AuthoringError(file, str(error), number,
                                 f"{TESTS_NAME}[{k}]" + (f".{error.field}" if error.field else "")) from None
    return out


def refusal(assignment, test, message):
    """The AuthoringError of one test of `assignment`: its file, cell and place, its function named."""
    return AuthoringError(assignment.file, f"{test.call}: {message}", test.cell, f"{TESTS_NAME}[{test.index}]")


def read(path):
    """The Assignment of the master at `path`; AuthoringError naming the file, cell and field."""
    import nbformat

    path = Path(path)
    file = path.name
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as error:  # noqa: BLE001 -- whatever nbformat makes of a malformed file
        raise AuthoringError(file, f"not a readable notebook ({type(error).__name__})") from None
    meta = nb.metadata.get("assignment")
    example = '{"assignment": {"name": "' + path.stem + '", "title": "Assignment n: ..."}}'
    if not isinstance(meta, dict):
        raise AuthoringError(file, f"the notebook's metadata has no 'assignment': add {example} "
                             "(JupyterLab: Property Inspector, Notebook metadata)", None, "metadata.assignment")
    for field in ("name", "title"):
        if not isinstance(meta.get(field), str) or not meta[field].strip():
            raise AuthoringError(file, f"missing or empty: the metadata must hold {example}", None,
                                 f"metadata.assignment.{field}")
    if not NAME.fullmatch(meta["name"]):
        raise AuthoringError(file, "must be letters, digits, '_' and '-' only (it names files and a CSV "
                             "column)", None, "metadata.assignment.name")
    unknown = set(meta) - {"name", "title", "points"}
    if unknown:
        raise AuthoringError(file, "the fields are name, title and points", None,
                             f"metadata.assignment.{sorted(unknown)[0]}")

    questions, tests, written, current = [], [], [], None
    for index, cell in enumerate(nb.cells):
        number, cell_tags = index + 1, tags(cell)
        for pattern, message in FOREIGN:
            if pattern.search(cell.source):
                raise AuthoringError(file, message, number)
        if cell.get("metadata", {}).get("nbgrader"):
            raise AuthoringError(file, "nbgrader's cell metadata is not read here: use the tags question, "
                                 "tests and written, and solution regions", number, "metadata.nbgrader")
        if "hidden-tests" in cell_tags:
            raise AuthoringError(file, "the tag hidden-tests is replaced by 'tests': write TESTS = [...] under its "
                                 "question, one cell per question", number, "tags")
        if QUESTION in cell_tags:
            if cell.cell_type != "markdown":
                raise AuthoringError(file, "a cell tagged question must be a markdown cell", number, "tags")
            if TYPED_POINTS.search(cell.source) or re.match(r"\s*\**\s*Question\s+\d", cell.source):
                raise AuthoringError(file, "remove the typed number or points: the build writes 'Question n "
                                     "(p points).' before the text, from the tests", number)
            current = len(questions)
            questions.append([f"q{current + 1}", index, 0, 0])
        if TESTS in cell_tags:
            if cell.cell_type != "code":
                raise AuthoringError(file, "a cell tagged tests must be a code cell", number, "tags")
            if current is None:
                raise AuthoringError(file, "these tests come before any question: put them under the markdown "
                                     "cell tagged question they test", number)
            for test in _tests(cell, file, number, questions[current][0]):
                tests.append(test)
                questions[current][2] += test.points
                questions[current][3] += 1
            continue
        if WRITTEN in cell_tags:
            written.append(_written(cell, file, number, questions[current][0] if current is not None else None,
                                    written))
        if has_solution(cell.source) or SOLUTION in cell_tags or WRITTEN in cell_tags:
            if SOLUTION in cell_tags and not has_solution(cell.source):
                raise AuthoringError(file, "a cell tagged solution needs a region between # BEGIN SOLUTION and "
                                     "# END SOLUTION", number)
            strip_solutions(cell.source, file, number, "")  # refuses malformed regions
    if not questions:
        raise AuthoringError(file, "no question: tag the markdown cell of each question 'question'")
    for qid, index, points, count in questions:
        if count == 0:
            raise AuthoringError(file, f"question {qid} has no tests: add a code cell tagged tests under it",
                                 index + 1)
        if points == 0:
            raise AuthoringError(file, f"question {qid}'s tests give it no points", index + 1)
    total = sum(q[2] for q in questions)
    if "points" in meta and meta["points"] != total:
        raise AuthoringError(file, f"says {meta['points']!r} but the tests' points add up to {total} ("
                             + ", ".join(f"{q[0]}: {q[2]}" for q in questions) + ")", None,
                             "metadata.assignment.points")
    return Assignment(meta["name"], meta["title"], file, nb,
                      tuple(Question(q[0], n + 1, q[1], q[2]) for n, q in enumerate(questions)), tuple(tests),
                      tuple(written))


def _written(cell, file, number, question, earlier):
    """The Written of a cell tagged written (under `question`), its points from the cell's metadata."""
    if cell.cell_type != "markdown":
        raise AuthoringError(file, "a cell tagged written must be a markdown cell", number, "tags")
    if question is None:
        raise AuthoringError(file, "this written answer comes before any question: put it under the markdown "
                             "cell tagged question it answers", number)
    points = cell.get("metadata", {}).get("points")
    if type(points) is not int or points < 0:
        raise AuthoringError(file, f"a written answer says its points in the cell's metadata, a whole number of "
                             f"at least 0, as {{\"points\": 2}}, not {points!r}", number, "metadata.points")
    same = sum(w.question == question for w in earlier)
    lines = cell.source.split("\n")
    start = next((k for k, line in enumerate(lines) if BEGIN.match(line)), 0)  # no region: all is the answer
    return Written(f"{question}w" + (str(same + 1) if same else ""), question, number, points,
                   "\n".join(lines[:start]).strip())
