"""Step 1 of the pipeline: a master notebook -> ``model.Assignment`` (questions and their ``Test``s).

The format (the book's page "Writing an assignment" explains it for instructors):

- notebook metadata ``assignment``: ``name`` (letters, digits, ``_`` and ``-``) and ``title``,
  and optionally ``points``, the total that the tests' points must add up to;
- a markdown cell tagged ``question`` starts a question (q1, q2, ... in order); the build writes
  "Question n (p points)." before its text, p being the sum of its tests' points;
- solution regions, in any code cell: ``# BEGIN SOLUTION`` ... ``# END SOLUTION`` (otter's, and
  nbgrader's ``### BEGIN SOLUTION``); in markdown cells (written answers, tagged ``written``)
  also ``<!-- BEGIN SOLUTION -->`` ... ``<!-- END SOLUTION -->``; each question needs one in a
  code cell under it (before the next question's cell);
- a markdown cell tagged ``written`` under a question is a written answer, graded by the
  instructor: its cell metadata says its ``points`` (a whole number, 0 for feedback only), and
  its model answer, if any, is a solution region; its id is the question's and ``w`` (q4w, then
  q4w2, ...), the name of its review page and score sheet;
- a code cell tagged ``tests`` under a question holds ``TESTS = [{...}, ...]``, plain literals,
  one dict of fields per test, each made a ``model.Test`` by ``checks.read_test`` (the fields of each
  kind: ``checks.KINDS``); ``"public": True`` for the tests students run, which carry 0 points;
- every other cell is copied to the student as it is.

Tags and metadata keys that are not these are refused where they look meant as these (a
misspelt tag would silently merge a question into the one before it): a cell's tags must be
this format's or the well-known ones of Jupyter Book, nbval and papermill (``OTHER_TAGS``), and
a cell metadata key near ``points`` or ``tags`` is refused, each with the closest name. A
markdown cell that evidently asks for a written answer (``points`` in its metadata, a solution
region, an answer placeholder) must be tagged ``written``.

Everything here reads; nothing runs. Every refusal is an ``AuthoringError`` naming the file,
the cell (numbered from 1, as JupyterLab shows them) and the field.
"""

import ast
import difflib
import json
import re
from pathlib import Path

from . import checks
from .model import Assignment, AuthoringError, Question, Written

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
QUESTION, TESTS, WRITTEN, SOLUTION = "question", "tests", "written", "solution"   # the cells' tags
TESTS_NAME = "TESTS"   # the one name a tests cell assigns
BEGIN = re.compile(r"^([ \t]*)(?:#{1,3}[ \t]*BEGIN SOLUTION|<!--[ \t]*BEGIN SOLUTION[ \t]*-->)[ \t]*$")
END = re.compile(r"^[ \t]*(?:#{1,3}[ \t]*END SOLUTION|<!--[ \t]*END SOLUTION[ \t]*-->)[ \t]*$")
OWN_TAGS = (QUESTION, TESTS, WRITTEN, SOLUTION)
# Other tools' tags, kept as they are (they change how Jupyter Book shows a cell or how nbval runs it).
OTHER_TAGS = ("hide-input", "hide-output", "hide-cell", "remove-input", "remove-output", "remove-cell",
              "remove-stderr", "remove-stdout", "raises-exception", "skip-execution", "margin", "full-width",
              "scroll-output", "output_scroll", "thebe-init", "parameters", "injected-parameters",
              "nbval-ignore-output", "nbval-skip", "nbval-check-output", "nbval-raises-exception")
POINTS = "points"   # the one cell metadata key of this format (written answers)
ASSIGNMENT_FIELDS = ("name", "title", "points")
CODE_STUB, TEXT_STUB = "...  # your code here", "*Write your answer here.*"
# What asks a student to write an answer in a markdown cell: this format's, nbgrader's and otter's placeholders.
PLACEHOLDER = re.compile(r"(?:write|type|put)\s+your\s+answer\s+here|your\s+answer\s+here", re.I)
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


def closest(name, known):
    """' (did you mean 'x'?)' for the known name closest to a misspelt `name`, or ''."""
    match = difflib.get_close_matches(str(name).lower(), known, n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _check_tags(cell, file, number):
    """Refuse a tag that is neither this format's nor another tool's well-known one (a misspelling)."""
    cell_tags = tags(cell)
    if not isinstance(cell_tags, list) or not all(isinstance(t, str) for t in cell_tags):
        raise AuthoringError(file, "the tags must be a list of strings", number, "metadata.tags")
    for tag in cell_tags:
        if tag not in OWN_TAGS and tag not in OTHER_TAGS:
            raise AuthoringError(file, f"unknown tag {tag!r}{closest(tag, OWN_TAGS + OTHER_TAGS)}: the tags read "
                                 f"here are {', '.join(OWN_TAGS)}; Jupyter Book's and nbval's (such as hide-input, "
                                 "remove-cell, nbval-ignore-output) are kept as they are", number, "metadata.tags")


def _meant_key(key):
    """The key of this format (tags, points) that a cell metadata key looks meant as, or None."""
    low = key.lower()
    if low in ("tag", "tags"):
        return "tags"
    if low in ("point", POINTS, "pts", "marks", "score"):
        return POINTS
    match = difflib.get_close_matches(low, ("tags", POINTS), n=1, cutoff=0.6)
    return match[0] if match else None


def _check_metadata(cell, file, number):
    """Refuse a cell metadata key that is a misspelling of this format's (tags, points), and points on a cell
    that is not a written answer."""
    for key in cell.get("metadata", {}):
        if key not in ("tags", POINTS) and _meant_key(key):
            raise AuthoringError(file, f"unknown cell metadata key {key!r} (did you mean {_meant_key(key)!r}?): "
                                 "this format reads 'tags', and 'points' on a cell tagged written", number,
                                 f"metadata.{key}")
    if POINTS in cell.get("metadata", {}) and WRITTEN not in tags(cell):
        if QUESTION in tags(cell) or cell.cell_type != "markdown":
            raise AuthoringError(file, "only a written answer has points in its metadata: a question's points are "
                                 "the sum of its tests' points (remove metadata.points, or put the written answer "
                                 "in a markdown cell of its own tagged written)", number, "metadata.points")
        raise AuthoringError(file, "this cell gives points in its metadata but is not tagged written: tag it "
                             "'written' to make it a written answer that you grade", number, "tags")


def _meant_written(cell, file, number):
    """Refuse a markdown cell that asks for a written answer (a model answer or an answer placeholder) but is
    not tagged written: it would reach students with no points and no review page."""
    if cell.cell_type != "markdown" or WRITTEN in tags(cell):
        return
    placeholder = PLACEHOLDER.search(cell.source)
    if not has_solution(cell.source) and not placeholder:
        return
    why = "holds a model answer (a solution region)" if has_solution(cell.source) else \
        f"asks for an answer ({placeholder.group(0)!r})"
    where = ("put the written answer in a markdown cell of its own under the question, tagged written"
             if QUESTION in tags(cell) else "tag it 'written'")
    raise AuthoringError(file, f"this markdown cell {why} but is not tagged written, so it would be graded by "
                         f"no one: {where}, with its points in its metadata ({{\"points\": 2}}, 0 for comments "
                         "only)", number, "tags")


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


def _literal(node):
    try:
        ast.literal_eval(node)
        return True
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False


def _not_literal(value, source):
    """(line, field, text) of the first expression in a list of tests that is not a plain literal: the
    smallest one that ``ast.literal_eval`` refuses (a name, a call, ``1 + 1``, ``-"a"``, ``{[1]: 2}``)."""
    fields = [(TESTS_NAME, value)]
    if isinstance(value, ast.List):
        for k, test in enumerate(value.elts):
            fields.append((f"{TESTS_NAME}[{k}]", test))
            if isinstance(test, ast.Dict):
                fields += [(f"{TESTS_NAME}[{k}].{key.value}", item) for key, item in zip(test.keys, test.values)
                           if isinstance(key, ast.Constant) and isinstance(key.value, str)]
    bad = value
    while isinstance(bad, (ast.List, ast.Tuple, ast.Set, ast.Dict)):   # into the first part that is refused
        parts = [n for n in (bad.keys + bad.values if isinstance(bad, ast.Dict) else bad.elts)
                 if n is not None and not _literal(n)]
        if not parts:
            break
        bad = min(parts, key=lambda n: (n.lineno, n.col_offset))
    field = TESTS_NAME
    for name, node in fields:   # the innermost field that holds it
        if any(n is bad for n in ast.walk(node)):
            field = name
    text = " ".join((ast.get_source_segment(source, bad) or "").split())
    return bad.lineno, field, text if len(text) <= 60 else text[:57] + "..."


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
        line, field, text = _not_literal(tree.body[0].value, cell.source)
        raise AuthoringError(file, f"the tests must be plain literals (numbers, strings, lists, dicts, True, "
                             f"False, None); line {line} is not: {text}", number, field) from None
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


def refusal(assignment, test, message, field=""):
    """The AuthoringError of one test of `assignment`: its file, cell and place (and `field`, if one is at fault),
    its function named."""
    return AuthoringError(assignment.file, f"{test.call}: {message}", test.cell,
                          f"{TESTS_NAME}[{test.index}]" + (f".{field}" if field else ""))


def read(path):
    """The Assignment of the master at `path`; AuthoringError naming the file, cell and field."""
    path = Path(path)
    file = path.name
    nb = _notebook(path)
    meta = nb.metadata.get("assignment")
    example = '{"assignment": {"name": "' + path.stem + '", "title": "Assignment n: ..."}}'
    if not isinstance(meta, dict):
        near = next((f" (it has {key!r}: a misspelling?)" for key in nb.metadata if closest(key, ["assignment"])), "")
        raise AuthoringError(file, f"the notebook's metadata has no 'assignment'{near}: add {example} "
                             "(JupyterLab: Property Inspector, Notebook metadata)", None, "metadata.assignment")
    unknown = sorted(set(meta) - set(ASSIGNMENT_FIELDS))
    if unknown:
        raise AuthoringError(file, f"unknown field{closest(unknown[0], ASSIGNMENT_FIELDS)}: the fields are name, "
                             "title and points", None, f"metadata.assignment.{unknown[0]}")
    for field in ("name", "title"):
        if not isinstance(meta.get(field), str) or not meta[field].strip():
            raise AuthoringError(file, f"missing or empty: the metadata must hold {example}", None,
                                 f"metadata.assignment.{field}")
    if not NAME.fullmatch(meta["name"]):
        raise AuthoringError(file, "must be letters, digits, '_' and '-' only (it names files and a CSV "
                             "column)", None, "metadata.assignment.name")

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
        _check_tags(cell, file, number)
        _check_metadata(cell, file, number)
        _meant_written(cell, file, number)
        if QUESTION in cell_tags:
            if cell.cell_type != "markdown":
                raise AuthoringError(file, "a cell tagged question must be a markdown cell", number, "tags")
            if TYPED_POINTS.search(cell.source) or re.match(r"\s*\**\s*Question\s+\d", cell.source):
                raise AuthoringError(file, "remove the typed number or points: the build writes 'Question n "
                                     "(p points).' before the text, from the tests", number)
            current = len(questions)
            questions.append([f"q{current + 1}", index, 0, 0, False])   # id, cell, points, tests, a region
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
        if cell.cell_type == "code" and current is not None and has_solution(cell.source):
            questions[current][4] = True
        if has_solution(cell.source) or SOLUTION in cell_tags or WRITTEN in cell_tags:
            if SOLUTION in cell_tags and not has_solution(cell.source):
                raise AuthoringError(file, "a cell tagged solution needs a region between # BEGIN SOLUTION and "
                                     "# END SOLUTION", number)
            strip_solutions(cell.source, file, number, "")  # refuses malformed regions
    if not questions:
        raise AuthoringError(file, "no question: tag the markdown cell of each question 'question'")
    for qid, index, points, count, solved in questions:
        if count == 0:
            raise AuthoringError(file, f"question {qid} has no tests: every question needs at least one code test, "
                                 "in a cell tagged tests under it; for a written answer alone, put its cell (tagged "
                                 "written) under a question that has tests instead", index + 1)
        if points == 0:
            raise AuthoringError(file, f"question {qid}'s tests give it no points", index + 1)
        if not solved:   # the untouched copy's check misses a solution that calls another question's stub
            raise AuthoringError(file, f"question {qid}: its tests give it {points} point{'s' * (points != 1)} but "
                                 "none of its code cells holds a solution region, so the student copy would show "
                                 "the solution whole: mark the solution with # BEGIN SOLUTION and # END SOLUTION "
                                 "lines in a code cell under the question", index + 1)
    total = sum(q[2] for q in questions)
    if "points" in meta and meta["points"] != total:
        raise AuthoringError(file, f"says {meta['points']!r} but the tests' points add up to {total} ("
                             + ", ".join(f"{q[0]}: {q[2]}" for q in questions) + ")", None,
                             "metadata.assignment.points")
    return Assignment(meta["name"], meta["title"], file, nb,
                      tuple(Question(q[0], n + 1, q[1], q[2]) for n, q in enumerate(questions)), tuple(tests),
                      tuple(written))


def _notebook(path):
    """The notebook at `path` (nbformat 4); AuthoringError with the line and column of malformed JSON."""
    import nbformat

    file = path.name
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise AuthoringError(file, f"not a readable notebook: not UTF-8 text (byte {error.start})") from None
    except OSError as error:
        raise AuthoringError(file, f"not a readable notebook: {error.strerror}") from None
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        raise AuthoringError(file, f"not a readable notebook: invalid JSON at line {error.lineno}, column "
                             f"{error.colno} ({error.msg}); a merge conflict or an edit outside JupyterLab?") from None
    except RecursionError:
        raise AuthoringError(file, "not a readable notebook: its JSON is nested too deeply") from None
    try:
        return nbformat.reads(text, as_version=4)
    except Exception as error:  # noqa: BLE001 -- whatever nbformat makes of JSON that is not a notebook
        raise AuthoringError(file, f"not a readable notebook: JSON, but not in the notebook format "
                             f"({type(error).__name__}: {' '.join(str(error).split())[:120]})") from None


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
