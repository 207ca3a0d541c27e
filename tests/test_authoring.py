"""Writing an assignment: the master's format, the build's refusals, expected answers from the
master's own solutions, the student's self-check, and every master built and listed with no list.

Refusals are checked on mutations of the example master (assignment 4), each naming the file,
the cell and the field; the builds here run the masters unsandboxed (they are the project's own),
so that these tests start no sandbox.
"""

import contextlib
import dataclasses
import io
import json
import shutil
import subprocess
import sys

import nbformat
import numpy as np
import pytest

from grading import A3, AUTOGRADE, FULL, ROOT, rows, solved
from grader import build, checks, compare, master, release, score
from grader.model import AuthoringError

A4 = "a4_deep_learning_losses"
EXAMPLE = build.MASTERS / f"{A4}.ipynb"


def example():
    return nbformat.read(EXAMPLE, as_version=4)


def cell_with(nb, text):
    return next(i for i, c in enumerate(nb.cells) if text in c.source)


def edit(nb, text, old, new):
    i = cell_with(nb, text)
    assert old in nb.cells[i].source, old
    nb.cells[i].source = nb.cells[i].source.replace(old, new, 1)


def _no_metadata(nb):
    del nb.metadata["assignment"]


def _no_title(nb):
    del nb.metadata["assignment"]["title"]


def _wrong_total(nb):
    nb.metadata["assignment"]["points"] = 21


def _points_as_text(nb):
    edit(nb, "TESTS", '"args": [2, 0.2, 5], "points": 2', '"args": [2, 0.2, 5], "points": "2"')


def _public_with_points(nb):
    edit(nb, "TESTS", '"args": [0.1, 10], "points": 0', '"args": [0.1, 10], "points": 1')


def _unknown_kind(nb):
    edit(nb, "TESTS", '"check": "raises"', '"check": "raise"')


def _unknown_field(nb):
    edit(nb, "TESTS", '"check": "raises"', '"check": "raises", "rtol": 1e-3')


def _not_literal(nb):
    edit(nb, "TESTS", '"args": [0, 0.1, 4]', '"args": [0, 0.1, len("four")]')


def _not_named_tests(nb):
    edit(nb, "TESTS", "TESTS = [", "tests = [")


def _expected_not_numbers(nb):
    edit(nb, "TESTS", '"check": "close", "public": True', '"check": "close", "public": True, "expected": "0.925"')


def _typed_points(nb):
    edit(nb, "Label smoothing trains", "Label smoothing", "(3 points) Label smoothing")


def _unclosed(nb):
    edit(nb, "def smooth_labels", "    # END SOLUTION\n", "", )


def _question_without_tests(nb):
    del nb.cells[cell_with(nb, "smooth_labels\", \"args\"")]


def _written_answer_alone(nb):   # a question of its own for a written answer
    nb.cells += [nbformat.v4.new_markdown_cell("Why does label smoothing help?", metadata={"tags": ["question"]}),
                 nbformat.v4.new_markdown_cell("Say why.", metadata={"tags": ["written"], "points": 2})]


def _solution_without_markers(nb):
    """Question 4's gan_value without its markers, and optimal_discriminator, which it calls, moved to question 3:
    the untouched copy's gan_value calls a stub and passes nothing, so only this refusal keeps it unpublished."""
    i = cell_with(nb, "def optimal_discriminator")
    called, _, rest = nb.cells[i].source.partition("\n\n\ndef gan_value")
    nb.cells[cell_with(nb, "def kl_standard_diag")].source += "\n\n\n" + called
    nb.cells[i].source = "\n".join(line for line in ("def gan_value" + rest).split("\n")
                                   if not master.BEGIN.match(line) and not master.END.match(line))


def _otter_question(nb):
    nb.cells.insert(2, nbformat.v4.new_raw_cell("# BEGIN QUESTION\nname: q1\npoints: 2"))


def _otter_one_line(nb):
    edit(nb, "def smooth_labels", "    y[label] += 1 - epsilon\n", "    y[label] += 1 - epsilon  # SOLUTION\n")


def _old_hidden_tests(nb):
    nb.cells[cell_with(nb, "smooth_labels\", \"args\"")].metadata["tags"] = ["hidden-tests"]


def _tagged_without_region(nb):
    nb.cells[cell_with(nb, "import numpy")].metadata["tags"] = ["solution"]


def _written_without_points(nb):
    del nb.cells[cell_with(nb, "**In words.**")].metadata["points"]


def _written_points_as_text(nb):
    nb.cells[cell_with(nb, "**In words.**")].metadata["points"] = "2"


def _misspelt_question_tag(nb):   # would merge question 2 into question 1
    nb.cells[cell_with(nb, "Distillation softens")].metadata["tags"] = ["qestion"]


def _tags_under_another_key(nb):
    cell = nb.cells[cell_with(nb, "Distillation softens")]
    cell.metadata["Tags"] = cell.metadata.pop("tags")


def _misspelt_written_points(nb):
    cell = nb.cells[cell_with(nb, "**In words.**")]
    cell.metadata["pionts"] = cell.metadata.pop("points")


def _misspelt_assignment_field(nb):
    nb.metadata["assignment"]["tilte"] = nb.metadata["assignment"].pop("title")


def _points_on_a_question(nb):
    nb.cells[cell_with(nb, "Distillation softens")].metadata["points"] = 3


def _written_without_tag(nb):   # points in its metadata: evidently a written answer
    nb.cells[cell_with(nb, "**In words.**")].metadata["tags"] = []


def _model_answer_without_written_tag(nb):
    nb.cells[cell_with(nb, "**In words.**")].metadata = {}


def _placeholder_without_written_tag(nb):
    nb.cells.insert(cell_with(nb, "def optimal_discriminator") + 1,
                    nbformat.v4.new_markdown_cell("Explain your choice.\n\nYOUR ANSWER HERE"))


def _not_literal_of_literal_parts(nb):   # every node a literal's, the whole not one
    edit(nb, "TESTS", '"args": [2, 0.2, 5]', '"args": [2, 0.2, -"5"]')


REFUSED = {   # mutation: (cell number or None, text that names the field or says what is wrong)
    "no metadata": (_no_metadata, None, "metadata.assignment:"),
    "no title": (_no_title, None, "metadata.assignment.title:"),
    "points do not add up": (_wrong_total, None, "metadata.assignment.points: says 21 but the tests' points add up to 20"),
    "points as text": (_points_as_text, 5, "TESTS[1].points: must be a whole number"),
    "public test with points": (_public_with_points, 5, "TESTS[4].points: a public test must have 0 points, not 1: "
                                "its expected value is in the student's copy, where returning it would earn them; "
                                "put the points on hidden tests"),
    "unknown kind": (_unknown_kind, 5, "TESTS[3].check: unknown check 'raise'"),
    "unknown field": (_unknown_field, 5, "TESTS[3].rtol: a 'raises' test has no field 'rtol'"),
    "not literal": (_not_literal, 5, "TESTS[0].args: the tests must be plain literals (numbers, strings, lists, "
                    "dicts, True, False, None); line 3 is not: len(\"four\")"),
    "not literal, of literal parts": (_not_literal_of_literal_parts, 5, "TESTS[1].args: the tests must be plain "
                                      "literals (numbers, strings, lists, dicts, True, False, None); line 4 is not: "
                                      "-\"5\""),
    "not named TESTS": (_not_named_tests, 5, "a cell tagged tests holds one assignment, TESTS = [{...}, ...]"),
    "expected not numbers": (_expected_not_numbers, 5, "TESTS[0].expected: must be a number or a list of numbers"),
    "typed points": (_typed_points, 3, "remove the typed number or points"),
    "unclosed region": (_unclosed, 4, "inside the one opened on line 2"),
    "question without tests": (_question_without_tests, 3, "question q1 has no tests: every question needs at "
                               "least one code test, in a cell tagged tests under it"),
    "written answer alone": (_written_answer_alone, 16, "question q5 has no tests: every question needs at least one "
                             "code test, in a cell tagged tests under it; for a written answer alone, put its cell "
                             "(tagged written) under a question that has tests instead"),
    "solution without markers": (_solution_without_markers, 12, "question q4: its tests give it 5 points but none of "
                                 "its code cells holds a solution region, so the student copy would show the "
                                 "solution whole: mark the solution with # BEGIN SOLUTION and # END SOLUTION"),
    "otter question": (_otter_question, 3, "tag the question's markdown cell 'question'"),
    "otter one-line solution": (_otter_one_line, 4, "put the line between # BEGIN SOLUTION and # END SOLUTION"),
    "old hidden-tests tag": (_old_hidden_tests, 5, "replaced by 'tests'"),
    "solution tag without region": (_tagged_without_region, 2, "needs a region"),
    "written answer without points": (_written_without_points, 14, "metadata.points: a written answer says its "
                                      "points in the cell's metadata"),
    "written points as text": (_written_points_as_text, 14, "metadata.points: a written answer says its points"),
    "misspelt question tag": (_misspelt_question_tag, 6, "metadata.tags: unknown tag 'qestion' (did you mean "
                              "'question'?)"),
    "tags under another key": (_tags_under_another_key, 6, "metadata.Tags: unknown cell metadata key 'Tags' (did "
                               "you mean 'tags'?)"),
    "misspelt written points": (_misspelt_written_points, 14, "metadata.pionts: unknown cell metadata key 'pionts' "
                                "(did you mean 'points'?)"),
    "misspelt assignment field": (_misspelt_assignment_field, None, "metadata.assignment.tilte: unknown field (did "
                                  "you mean 'title'?)"),
    "points on a question": (_points_on_a_question, 6, "metadata.points: only a written answer has points"),
    "written answer without its tag": (_written_without_tag, 14, "tags: this cell gives points in its metadata but "
                                       "is not tagged written"),
    "model answer without written tag": (_model_answer_without_written_tag, 14, "tags: this markdown cell holds a "
                                         "model answer (a solution region) but is not tagged written"),
    "placeholder without written tag": (_placeholder_without_written_tag, 14, "tags: this markdown cell asks for an "
                                        "answer ('YOUR ANSWER HERE') but is not tagged written"),
}


@pytest.mark.parametrize("mutation", REFUSED)
def test_a_bad_master_is_refused_naming_file_cell_and_field(tmp_path, mutation):
    change, cell, words = REFUSED[mutation]
    nb = example()
    change(nb)
    nbformat.write(nb, tmp_path / "mine.ipynb")
    with pytest.raises(AuthoringError) as refusal:
        master.read(tmp_path / "mine.ipynb")
    where = "mine.ipynb" + (f", cell {cell}" if cell else "")
    assert str(refusal.value).startswith(where) and words in str(refusal.value), str(refusal.value)
    assert "\n" not in str(refusal.value)


def test_the_example_master_uses_every_feature():
    assignment = master.read(EXAMPLE)
    assert {t.check for t in assignment.tests} == set(checks.KINDS)
    assert {t.public for t in assignment.tests} == {True, False}
    assert any(t.reference for t in assignment.tests) and any(t.expected is not None for t in assignment.tests)
    assert any("written" in master.tags(c) for c in assignment.notebook.cells)
    assert [(w.id, w.question, w.points) for w in assignment.written] == [("q4w", "q4", 2)]
    assert assignment.maximum == assignment.notebook.metadata["assignment"]["points"]


def test_the_page_lists_mathlibs_functions_for_reference_and_kwargs_reach_them():
    """writing_assignments.md shows every function that mathlib exports with its signature (the classes by
    name), and a test's kwargs are passed to its reference as the page says."""
    import inspect

    import mathlib

    page = (ROOT / "writing_assignments.md").read_text()
    for name in mathlib.__all__:
        exported = getattr(mathlib, name)
        shown = f"`{name}`" if inspect.isclass(exported) else f"`{name}{inspect.signature(exported)}`"
        assert shown in page, shown
    case = checks.read_test({"call": "my_entropy", "args": [[0.25, 0.75]], "kwargs": {"base": 2}, "points": 1,
                             "check": "close", "reference": "entropy"}, "q1")
    assert checks.expected_answers([case], [[{"value": 0.5}]])[0] == pytest.approx(0.8112781244591328)   # bits


def test_nbgrader_markers_are_stripped_like_otters():
    source = "def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n"
    assert master.strip_solutions(source, "f.ipynb", 1, master.CODE_STUB) == "def f(x):\n    ...  # your code here\n"
    text = "Why?\n\n<!-- BEGIN SOLUTION -->\nBecause.\n<!-- END SOLUTION -->"
    assert master.strip_solutions(text, "f.ipynb", 1, master.TEXT_STUB) == "Why?\n\n" + master.TEXT_STUB


def _markers_with_colons(nb):
    edit(nb, "def smooth_labels", "# BEGIN SOLUTION\n", "# BEGIN SOLUTION:\n")
    edit(nb, "def smooth_labels", "# END SOLUTION\n", "# END SOLUTION:\n")


@pytest.mark.parametrize("change, cell, words", [
    (_markers_with_colons, 4, "line 2: a solution marker is left in the student copy"),
    (lambda nb: nb.cells.insert(2, nbformat.v4.new_raw_cell("a\n# BEGIN SOLUTION\nb\n# END SOLUTION")),
     3, "line 2: a solution marker is left in the student copy"),
    (lambda nb: nb.cells.insert(2, nbformat.v4.new_markdown_cell("Like this:\n\n    TESTS = [...]")),
     3, "line 3: a copy of the tests is left in the student copy")])
def test_a_marker_or_test_left_in_the_copy_is_refused_naming_cell_and_line(tmp_path, change, cell, words):
    nb = example()
    change(nb)
    nbformat.write(nb, tmp_path / "mine.ipynb")
    assignment = master.read(tmp_path / "mine.ipynb")   # regions it does not see as regions pass here
    with pytest.raises(AuthoringError) as refusal:
        release.student_copy(assignment, build.bundles()[A4].expected)
    assert str(refusal.value).startswith(f"mine.ipynb, cell {cell}, source: {words}"), str(refusal.value)


def test_tests_are_frozen_and_the_bundle_keeps_them_as_the_master_wrote_them():
    assignment = master.read(EXAMPLE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        assignment.tests[0].points = 100
    assert build.bundles()[A4].tests == list(assignment.tests)
    first = assignment.tests[0]
    assert (first.question, first.cell, first.index, first.call, first.public) == ("q1", 5, 0, "smooth_labels", True)


def test_kinds_of_test_are_named_in_one_table_only():
    """checks.KINDS names the kinds; every other module asks it (the self-check gets a comparison's name)."""
    for path in build.MASTERS.joinpath("grader").glob("*.py"):
        if path.name != "checks.py":
            text = path.read_text()
            assert not [k for k in checks.KINDS if f'"{k}"' in text or f"'{k}'" in text], path.name
    assert {kind.compare.__name__ for kind in checks.KINDS.values()} <= set(compare.COMPARISONS)


@pytest.mark.parametrize("expected, answer, ok", [
    (0.5, 0.5, True), (0.5, 0.25, False), (3, 3.0, True), (0.0, 0, True), ("0.5", 0.5, False),
    (True, 1, False), (1, True, False), ("indefinite", "indefinite", True), ([1.0, 2.0], [1, 2], True),
    ([1.0, 2.0], [[1.0, 2.0]], False)])
def test_exact_checks_compare_numbers_as_numbers(expected, answer, ok):
    case = checks.read_test({"check": "equals", "call": "f", "points": 1}, "q")
    [result] = score.judge([case], [expected], [[{"value": answer}]])
    assert result.passed is ok


def test_a_raises_test_answered_with_none_says_none():
    case = checks.read_test({"check": "raises", "error": "ValueError", "call": "f", "points": 1}, "q")
    [result] = score.judge([case], [None], [[{"value": None}]])
    assert result.note == "returned None instead of raising"


@pytest.mark.parametrize("prop, value, ok", [
    ("symmetric positive definite", [[2.0, 0.5], [0.5, 1.0]], True),
    ("symmetric positive definite", [[1.0, 2.0], [2.0, 1.0]], False),   # indefinite
    ("symmetric positive definite", [[2.0, 0.5], [0.4, 1.0]], False),   # not symmetric
    ("sums to one", [0.2, 0.8], True), ("sums to one", [0.5, 0.6], False), ("sums to one", [1.5, -0.5], False),
    ("in interval", [0.0, 1.0], True), ("in interval", [0.5, 1.01], False)])
def test_property_checks(prop, value, ok):
    interval = {"interval": [0, 1]} if prop == "in interval" else {}
    case = checks.read_test({"check": "property", "property": prop, "call": "f", "points": 1, **interval}, "q")
    assert checks.KINDS["property"].judge(case, [prop], [{"value": value}]) is ok


def two_masters(tmp_path, break_it, other=True):
    """A folder with a copy of the example that `break_it` changes and (other) assignment 3's master."""
    folder = tmp_path / "masters"
    folder.mkdir()
    if other:
        shutil.copy(build.MASTERS / f"{A3}.ipynb", folder)
    nb = example()
    nb.metadata["assignment"]["name"] = "a5_broken"
    break_it(nb)
    nbformat.write(nb, folder / "a5_broken.ipynb")
    return folder


@pytest.mark.parametrize("break_it, words", [
    (lambda nb: edit(nb, "def distillation_loss", "return T**2 *", "return T *"),   # mathlib's answer differs
     "a5_broken.ipynb, cell 8, TESTS[1]: distillation_loss: mathlib's "),
    (lambda nb: edit(nb, "def optimal_discriminator", "np.divide(p, total", "np.divide(2 * p, total"),
     "a5_broken.ipynb, cell 15, TESTS[2]: optimal_discriminator: the master's own solution does not pass"),
    (lambda nb: edit(nb, "def smooth_labels", "        raise ValueError", "        pass  #"),
     "a5_broken.ipynb, cell 5, TESTS[3]: smooth_labels: the master's own solution does not pass this test"),
    (lambda nb: edit(nb, "def covariance", "    # BEGIN SOLUTION\n    return np.diag(np.exp(np.asarray(log_var, dtype=float)))\n",
                     "    return np.diag(np.exp(np.asarray(log_var, dtype=float)))\n    # BEGIN SOLUTION\n"),
     "a5_broken.ipynb, cell 10, source: the untouched student copy already passes a test of covariance (TESTS[3] "
     "of cell 11) and earns 2 point(s) of q3: put the body of covariance between # BEGIN SOLUTION and # END SOLUTION"),
    # a wrong expected value after a test whose whole-number answer only counts beside right values: the wrong
    # one is named, not the one it holds back
    (lambda nb: edit(nb, '"kl_standard_diag", "args"', '"args": [[0.8, -0.3, 1.5], [-1.0, 0.2, 0.7]], ',
                     '"args": [[0.8, -0.3, 1.5], [-1.0, 0.2, 0.7]], "expected": 5.0, '),
     "a5_broken.ipynb, cell 11, TESTS[1]: kl_standard_diag: the declared expected, 5, disagrees with what the "
     "master's solution computes"),
    # one that differs beyond rtol in the 7th digit: both shown to the digit where they differ, with the tolerances
    (lambda nb: edit(nb, '"kl_standard_diag", "args"', '"args": [[0.8, -0.3, 1.5], [-1.0, 0.2, 0.7]], ',
                     '"args": [[0.8, -0.3, 1.5], [-1.0, 0.2, 0.7]], "expected": 1.841517, '),
     "a5_broken.ipynb, cell 11, TESTS[1]: kl_standard_diag: the declared expected, 1.841517, disagrees with what "
     "the master's solution computes, 1.8415175 (compared with rtol 1e-07 and atol 1e-10): check the solution, or "
     "the expected value"),
    # a test of a function the master does not define, on a test with mathlib's reference
    (lambda nb: edit(nb, '"reference": "distillation_loss"', '{"call": "distillation_loss", "args": [[0.5,',
                     '{"call": "distilation_loss", "args": [[0.5,'),
     "a5_broken.ipynb, cell 8, TESTS[1].call: distilation_loss: the master defines no 'distilation_loss' (did you "
     "mean 'distillation_loss'?): call a function the solution defines"),
    # ... and on a test whose expected answer comes from the master
    (lambda nb: edit(nb, "smoothing_margin\", \"args\"", "\"smoothing_margin\"", "\"smoothing_margn\""),
     "a5_broken.ipynb, cell 5, TESTS[4].call: smoothing_margn: the master defines no 'smoothing_margn' (did you "
     "mean 'smoothing_margin'?): call a function the solution defines"),
    (lambda nb: edit(nb, "def smoothing_margin", "    return np.log1p(", "    np.log1p("),
     "a5_broken.ipynb, cell 5, TESTS[4]: smoothing_margin: the master's solution returned None (smoothing_margin is "
     "defined in cell 4)"),
    (lambda nb: edit(nb, "import numpy", "import numpy as np", "import numpy as np\n1 / 0"),
     "a5_broken.ipynb, cell 2: the cell raised ZeroDivisionError"),
])
def test_a_broken_master_is_named_and_skipped_and_the_other_built(tmp_path, monkeypatch, break_it, words):
    other = "distillation_loss" in words   # one case builds a good master beside it (each build takes seconds)
    monkeypatch.setattr(build, "MASTERS", two_masters(tmp_path, break_it, other))
    out = tmp_path / "out"
    with pytest.raises(build.BuildErrors) as refusal:
        build.build(out, sandboxed=False, log=lambda line: None)
    [error] = refusal.value.errors
    assert str(error).startswith(words), str(error)
    if other:
        assert (out / "student" / A3 / f"{A3}.ipynb").exists() and (out / "grader" / A3 / "bundle.json").exists()
    assert not (out / "student" / "a5_broken").exists() and not (out / "grader" / "a5_broken").exists()
    assert "a5_broken" not in (out / "student" / "index.md").read_text()


def test_the_build_command_says_one_sentence_per_broken_master(tmp_path):
    folder = two_masters(tmp_path, _no_title, other=False)
    script = (f"import sys; sys.path.insert(0, {str(AUTOGRADE.parent)!r}); from grader import build; "
              f"build.MASTERS = __import__('pathlib').Path({str(folder)!r}); import autograde; "
              f"sys.exit(autograde.main(['build', {str(tmp_path / 'out')!r}, '--no-sandbox']))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr == "autograde: a5_broken.ipynb, metadata.assignment.title: missing or empty: the metadata " \
                          'must hold {"assignment": {"name": "a5_broken", "title": "Assignment n: ..."}}.\n'


def test_a_broken_master_does_not_stop_grading_another(tmp_path, monkeypatch):
    """With --assignment all, a notebook of the broken master's assignment is not graded and says why, and the
    other assignment's are graded."""
    from grader.batch import Batch
    from grader.sandbox import Limits

    monkeypatch.setattr(build, "MASTERS", two_masters(tmp_path, _no_title))
    monkeypatch.setattr(build, "OUT", tmp_path / "out")
    folder = tmp_path / "submissions"
    folder.mkdir()
    nbformat.write(solved(A3), folder / "honest.ipynb")
    mine = example()
    mine.metadata["assignment"]["name"] = "a5_broken"
    nbformat.write(mine, folder / "of_the_broken.ipynb")
    batch = Batch(folder, tmp_path / "grades.csv", Limits(timeout=60), sandboxed=False, log=lambda line: None,
                  assignment="all")
    batch.run()   # the project's own notebooks: no sandbox needed
    graded = rows(tmp_path / "grades.csv")
    assert graded["honest"]["total"] == str(FULL[A3])
    assert graded["of_the_broken"]["status"] == "not graded: its master is refused (a5_broken.ipynb)"
    assert batch.needs_instructor() == ["a broken master, skipped: a5_broken.ipynb, metadata.assignment.title: "
                                        "missing or empty: the metadata must hold {\"assignment\": {\"name\": "
                                        "\"a5_broken\", \"title\": \"Assignment n: ...\"}}",
                                        "1 submission: not graded: its master is refused (a5_broken.ipynb)"]


def test_grading_a_broken_masters_assignment_is_refused_in_one_sentence(tmp_path):
    """Asked for (or the one the notebooks name), a broken master's assignment is refused, naming the file and
    why; the other assignments are still there to grade."""
    from grader import submissions
    from grader.model import Refused

    bundles = build.bundles()
    broken = AuthoringError("a5_broken.ipynb", "missing or empty", None, "metadata.assignment.title")
    broken.assignment = "a5_broken"
    for k in range(2):
        mine = example()
        mine.metadata["assignment"]["name"] = "a5_broken"
        nbformat.write(mine, tmp_path / f"mine{k}.ipynb")
    nbformat.write(solved(A3), tmp_path / "other.ipynb")
    subs = submissions.scan(tmp_path, bundles, [broken])[0]
    for wanted, named in ((None, [s for s in subs if s.claimed == "a5_broken"]), ("a5_broken", subs)):
        with pytest.raises(Refused) as refusal:
            submissions.choose(named, bundles, wanted, [broken])
        assert str(refusal.value) == ("the assignment 'a5_broken' cannot be graded, because the build refused its "
                                      "master: a5_broken.ipynb, metadata.assignment.title: missing or empty; fix the "
                                      "master and grade again")
    assert list(submissions.choose(subs, bundles, A3, [broken])) == [A3]


def test_the_build_refuses_a_second_master_of_the_same_name_before_writing_anything(tmp_path, monkeypatch):
    folder = tmp_path / "masters"
    folder.mkdir()
    shutil.copy(build.MASTERS / f"{A3}.ipynb", folder)
    nb = example()
    nb.metadata["assignment"]["name"] = A3   # a copy whose name was not changed
    nbformat.write(nb, folder / "a5_copy.ipynb")
    monkeypatch.setattr(build, "MASTERS", folder)
    out = tmp_path / "out"
    with pytest.raises(build.BuildErrors) as refusal:
        build.build(out, sandboxed=False, log=lambda line: None)
    assert [str(e) for e in refusal.value.errors] == [
        f"a5_copy.ipynb, metadata.assignment.name: '{A3}' is already the name of {A3}.ipynb: each master needs a "
        "name of its own (it names the student copy and the bundle)"]
    copy = nbformat.read(out / "student" / A3 / f"{A3}.ipynb", as_version=4)
    assert "cross-entropy" in copy.cells[0].source.lower() and "smooth_labels" not in nbformat.writes(copy)
    assert "smooth_labels" not in (out / "grader" / A3 / "bundle.json").read_text()


def test_a_master_that_now_fails_leaves_no_copy_or_bundle_of_an_earlier_build(tmp_path, monkeypatch):
    monkeypatch.setattr(build, "MASTERS", two_masters(tmp_path, _no_title, other=False))
    out = tmp_path / "out"
    earlier = ["student/a5_broken/a5_broken.ipynb", "student/a5_broken/questions.md", "grader/a5_broken/bundle.json"]
    for name in earlier:   # as an earlier build of the master left them
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text("{}")
    (out / "student" / "notes").mkdir()   # not the build's: kept
    with pytest.raises(build.BuildErrors):
        build.build(out, sandboxed=False, log=lambda line: None)
    assert sorted(p.name for p in (out / "student").iterdir()) == ["index.md", "notes"]
    assert not list((out / "grader").iterdir())


def test_an_unreadable_master_is_refused_with_line_and_column(tmp_path):
    (tmp_path / "mine.ipynb").write_text('{\n "cells": [\n  {"cell_type": "markdown" "source": []}\n ]\n}\n')
    with pytest.raises(AuthoringError) as refusal:
        master.read(tmp_path / "mine.ipynb")
    assert str(refusal.value).startswith("mine.ipynb: not a readable notebook: invalid JSON at line 3, column 28 "
                                         "(Expecting ',' delimiter)"), str(refusal.value)


def test_a_wrong_declared_expected_value_is_named_with_both_values_compactly(tmp_path, monkeypatch):
    wrong = '"expected": [[0.5, 0.0, 0.0], [0.0, 1.5, 0.0], [0.0, 0.0, 2.5]], '
    monkeypatch.setattr(build, "MASTERS", two_masters(tmp_path, lambda nb: edit(
        nb, '"covariance", "args"', '{"call": "covariance", "args": [[-1.0, 0.2, 0.7]], ',
        '{"call": "covariance", "args": [[-1.0, 0.2, 0.7]], ' + wrong), other=False))
    with pytest.raises(build.BuildErrors) as refusal:
        build.build(tmp_path / "out", sandboxed=False, log=lambda line: None)
    [error] = refusal.value.errors
    text = str(error)
    # diag(exp(-1), exp(0.2), exp(0.7)) = diag(0.3678794, 1.2214028, 2.0137527)
    assert text.startswith("a5_broken.ipynb, cell 11, TESTS[3]: covariance: the declared expected, [[0.5, 0, 0], "
                           "[0, 1.5, 0], [0, 0, 2.5]], disagrees with what the master's solution computes, "
                           "[[0.367879, 0, 0], [0, 1.2214, 0], [0, 0, 2.01375]]"), text
    assert "\n" not in text and len(text) < 400


def test_a_long_value_is_shown_on_one_bounded_line():
    text = checks.compact(np.arange(400.0).reshape(20, 20) / 3)
    assert "\n" not in text and len(text) <= 100
    assert text.startswith("[[0, 0.333333, ..., 6, 6.33333], [6.66667, 7, ..., ")


def test_the_most_numbers_an_answer_may_hold_is_defined_once(tmp_path):
    """compare.py defines it; the runner, which runs on its own in the sandbox, gets it from the grader."""
    from grader import expect
    from grader.sandbox import Limits, Unsandboxed

    definitions = [p.name for p in build.MASTERS.joinpath("grader").glob("*.py")
                   if "\nMAX_NUMBERS = " in p.read_text()]
    assert definitions == ["compare.py"]
    box = Unsandboxed(Limits(timeout=60), tmp_path)
    cell = "import numpy as np\ndef f(n):\n    return np.zeros(n)"
    calls = [{"call": "f", "args": [n], "kwargs": {}} for n in (compare.MAX_NUMBERS, compare.MAX_NUMBERS + 1)]
    answers, _, done = expect.run(box, [cell], calls, "limit")
    assert done and len(answers[0]["value"]) == compare.MAX_NUMBERS
    assert answers[1]["error"] == (f"ValueError: the answer has {compare.MAX_NUMBERS + 1} numbers, more than "
                                   f"{compare.MAX_NUMBERS}")


def run_cells(nb, extra=()):
    """Run a notebook's code cells in one namespace (the project's own notebooks only); the printed text."""
    namespace, out = {}, io.StringIO()
    with contextlib.redirect_stdout(out):
        for source in [c.source for c in nb.cells if c.cell_type == "code"] + list(extra):
            try:
                exec(source, namespace)
            except Exception as error:  # noqa: BLE001 -- as in a notebook: the next cell runs
                print(f"cell raised {type(error).__name__}")
    return out.getvalue()


def test_the_self_check_runs_public_tests_only_without_the_grader():
    bundle = build.bundles()[A4]
    copy_path = build.OUT / "student" / A4 / f"{A4}.ipynb"
    student = nbformat.read(copy_path, as_version=4)
    sources = [c.source for c in student.cells if c.cell_type == "code"]
    assert sources[-1] == "check_all()" and sum(s.startswith('check("q') for s in sources) == 4
    selfcheck = next(s for s in sources if "def _selfcheck(" in s)
    assert "import grader" not in selfcheck and "from grader" not in selfcheck   # self-contained
    untouched = run_cells(student)
    assert "All questions: 0 of 4 pass their public tests." in untouched
    assert "Question 3: 0 of 2 public tests passed; the grader decides its 6 point(s)" in untouched
    solutions = [c.source for c in example().cells if c.cell_type == "code" and "tests" not in master.tags(c)]
    solved = run_cells(student, solutions + ["check_all()"])
    assert "All questions: 4 of 4 pass their public tests." in solved
    publics = sum(test.public for test in bundle.tests)
    assert solved.split("All questions: 0 of 4")[-1].count("  passed:") == publics
    # A wrong answer fails its public test, and says what came back.
    wrong = run_cells(student, solutions + ["def smooth_labels(label, epsilon, K):\n    return np.ones(K) / K",
                                            'check("q1")'])
    assert "FAILED: smooth_labels(0, 0.1, 4): returned [0.25 0.25 0.25 0.25]" in wrong


def built(path):
    """A master read, and the student's notebook and questions.md that the build made of it."""
    assignment = master.read(path)
    build.bundles()
    student = build.OUT / "student" / assignment.name
    return assignment, nbformat.read(student / f"{assignment.name}.ipynb", as_version=4), \
        (student / "questions.md").read_text()


@pytest.mark.parametrize("path", build.masters(), ids=lambda path: path.stem)
def test_points_shown_come_from_the_tests(path):
    assignment, copy, questions = built(path)
    for q in assignment.questions:
        points = sum(t.points for t in assignment.tests if t.question == q.id)
        shown = f"**Question {q.number} ({points} point{'s' * (points != 1)}).**"
        assert questions.count(shown) == 1 and sum(c.source.startswith(shown) for c in copy.cells) == 1, shown


@pytest.mark.parametrize("path", build.masters(), ids=lambda path: path.stem)
def test_no_line_of_a_solution_reaches_the_student(path):
    assignment, copy, questions = built(path)
    solution, elsewhere = set(), set()
    for cell in assignment.notebook.cells:
        inside = False
        for line in cell.source.split("\n"):
            inside = (inside or bool(master.BEGIN.match(line))) and not master.END.match(line)
            (solution if inside else elsewhere).add(line)
    only_solution = {line for line in solution - elsewhere if line.strip()}
    assert only_solution   # the master has solutions to hide
    students = {line for c in copy.cells if not {"selfcheck", "check"} & set(master.tags(c))
                for line in c.source.split("\n")} | set(questions.split("\n"))
    assert not only_solution & students


def test_every_master_is_built_listed_and_kept_apart_from_its_tests():
    built = build.bundles()
    assert set(built) == {nbformat.read(p, as_version=4).metadata["assignment"]["name"] for p in build.masters()}
    index = (build.OUT / "student" / "index.md").read_text()
    for name in built:
        assert f"<_build/assignments/student/{name}/{name}.ipynb>" in index
        student = build.OUT / "student" / name
        assert sorted(p.name for p in student.iterdir()) == sorted([f"{name}.ipynb", "questions.md"])
        assert not list(student.rglob("*.json"))
    page = (ROOT / "assignments.md").read_text()
    assert "_build/assignments/student/index.md" in page and "a1_discrete" not in page
