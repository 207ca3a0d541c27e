"""The grader's parts: scoring raw answers, reading code, resuming, surviving its own death, refusing.

The adversarial batch is in test_autograder.py; these tests check the pieces
and the command's behaviour around a batch.
"""

import json
import os
import signal
import subprocess
import sys
import time

import nbformat
import numpy as np
import pytest

from grading import A3, AUTOGRADE, FULL, grade, needs_sandbox, rows, solved, untouched, with_cell
from grader import batch, checks, feedback, notebooks

A3_CASES = notebooks.hidden_tests(nbformat.read(notebooks.MASTERS / f"{A3}.ipynb", as_version=4))


# ---------------------------------------------------------------- raw answers are data

def test_answer_lines_that_are_not_answers_are_ignored():
    data = b"\n".join([
        b'{"case": 0, "value": 1.5}', b'{"case": 0, "value": 99}',   # the first answer of a case stands
        b'{"case": 7, "value": 1}', b'{"case": -1, "value": 1}',     # out of range
        b'{"case": true, "value": 1}', b'{"case": "1", "value": 1}', # not an int
        b"[" * 100_000, b"not json", b"[1, 2]", b'"text"', b"",
        b'{"cell": 2, "error": "' + b"x" * 5000 + b'"}', b'{"done": 1}'])
    answers, cells, done = batch.parse_answers(data, 2)
    assert answers == [{"case": 0, "value": 1.5}, None]
    assert len(cells) == 1 and len(cells[0][1]) <= 400
    assert done is False  # only a literal true counts


@pytest.mark.parametrize("value", ["1.0", {"x": 1}, [1, [2]], True, [[1, 2], [3]], [[[[[[[[[[1]]]]]]]]]],
                                   list(range(10_001)), 10 ** 400, None])
def test_values_that_are_not_arrays_of_numbers_are_refused(value):
    case = {"check": "close", "call": "f", "args": [], "kwargs": {}, "question": "q", "points": 1}
    [result] = checks.judge([case], [np.array(1.0)], [[{"value": value}]])
    assert not result.passed and result.note


def test_literal_answers_must_be_literals():
    case = {"check": "equals", "call": "f", "args": [], "kwargs": {}, "question": "q", "points": 1,
            "expected": "positive definite"}
    results = checks.judge([case] * 3, ["positive definite"] * 3,
                           [[{"value": "positive definite"}], [{"value": ["positive definite"]}], [{"value": 1.0}]])
    assert [r.passed for r in results] == [True, False, False]


def test_raises_and_source_points_need_right_values_from_the_same_function():
    cases = checks.validate_cases([
        {"question": "q", "points": 1, "check": "close", "call": "f", "args": [1], "reference": "entropy"},
        {"question": "q", "points": 1, "check": "raises", "call": "f", "args": [-1], "error": "ValueError"},
        {"question": "q", "points": 1, "check": "source", "call": "f", "needs": ["cholesky"]},
    ])
    expected = [np.array(2.0), "ValueError", None]
    error = {"error": "ValueError: no", "classes": ["builtins.ValueError", "builtins.Exception"]}
    right, wrong, source = {"value": 2.0}, {"value": 3.0}, {"value": True}

    def passed(*answers):
        return [r.passed for r in checks.judge(cases, expected, [[a] for a in answers])]
    assert passed(right, error, source) == [True, True, True]
    assert passed(wrong, error, source) == [False, False, False]
    assert passed(error, error, source) == [False, False, False]
    fake = {"error": "ValueError: no", "classes": ["__main__.ValueError"]}  # a class of the student's own
    assert passed(right, fake, source) == [True, False, True]


def test_the_sandbox_learns_neither_the_kind_of_a_check_nor_its_place():
    calls, owners = checks.calls(A3_CASES, np.random.default_rng(1))
    assert all(set(call) == {"call", "args", "kwargs"} for call in calls)
    assert sorted(owners) == [i for i, c in enumerate(A3_CASES) if c["check"] != "source"]
    assert owners != sorted(owners)  # shuffled
    for call, owner in zip(calls, owners):
        assert (call["call"], call["args"]) == (A3_CASES[owner]["call"], A3_CASES[owner]["args"])


def test_monte_carlo_needs_real_scatter_across_seeds():
    case = checks.validate_cases([{"question": "q", "points": 1, "check": "mc", "call": "f",
                                   "args": [[0.5], [[2.0]], [-0.5], [[0.8]], 100_000, 3]}])[0]
    expected = checks.expected_answers([case])[0]
    seeds = [args[-1] for args, _ in checks.KINDS["mc"].calls(case)]
    assert len(set(seeds)) == checks.MC_SEEDS
    import mathlib
    honest = [mathlib.mc_kl_mvn([0.5], [[2.0]], [-0.5], [[0.8]], 100_000, rng=np.random.default_rng(s))
              for s in seeds]
    fake_se = expected["stderr"] * 1.2
    cases = [
        ([{"value": [e.estimate, e.stderr]} for e in honest], True),
        ([{"value": [expected["exact"], fake_se]}] * checks.MC_SEEDS, False),          # closed form, invented SE
        ([{"value": [expected["exact"] + 1e-4 * i, fake_se]} for i in range(8)], False),  # too little scatter
        ([{"value": [e.estimate, e.stderr]} for e in honest[:-1]] + [None], False),     # a seed unanswered
    ]
    for answers, ok in cases:
        assert checks.judge([case], [expected], [answers])[0].passed is ok
def test_a_table_where_raising_alone_could_earn_points_is_refused():
    with pytest.raises(ValueError, match="no value cases"):
        checks.validate_cases([{"question": "q", "points": 1, "check": "raises", "call": "f", "error": "ValueError"}])


def test_points_are_clamped_to_each_question():
    cases = [{"question": "q", "points": 2, "check": "close"}, {"question": "q", "points": -5, "check": "close"}]
    results = [checks.Result(cases[0], None, None, True), checks.Result(cases[1], None, None, False)]
    assert checks.points(results) == {"q": 0}
    results[1].passed = True
    assert checks.points(results) == {"q": 0}


# ---------------------------------------------------------------- the source check reads the text

@pytest.mark.parametrize("cells, ok", [
    (["def f(S):\n    return np.linalg.cholesky(S)"], True),
    (["def f(S):\n    return helper(S)", "def helper(S):\n    return np.linalg.cholesky(np.linalg.inv(S))"], False),
    (["def f(S):\n    # no inv here\n    return np.linalg.cholesky(S)"], True),                # comments are not code
    (["def f(S):\n    return getattr(np.linalg, 'in' + 'v')(np.linalg.cholesky(S))"], False),  # dynamic access
    (["def f(S):\n    return np.linalg.cholesky(S)", "exec('def f(S): return np.linalg.inv(S)')"], False),
    (["def f(S):\n    return np.linalg.cholesky(S)", "f = lambda S: np.linalg.inv(S)"], False),  # rebound
    (["def f(S):\n    return np.linalg.cholesky(S)", "from numpy.linalg import inv as f"], False),
    (["def f(S):\n    return np.linalg.cholesky(S)",
      "%%capture\ndef f(S):\n    return np.linalg.inv(S)"], False),                    # a cell magic's body is code
    (["solve = np.linalg.inv", "def f(S):\n    return solve(np.linalg.cholesky(S))"], False),  # an alias
    (["from numpy.linalg import inv as solve", "def f(S):\n    return solve(np.linalg.cholesky(S))"], False),
    (["%run other.py\ndef f(S):\n    return np.linalg.cholesky(S)"], False),            # code from elsewhere
    (["%timeit 1\ndef f(S):\n    return np.linalg.cholesky(S)"], True),                  # other magics are fine
    (["def f(S) return"], False),                                                         # not Python
    (["x = 1  # " + "y" * 70_000 + "\ndef f(S):\n    return np.linalg.cholesky(S)"], False),  # too much to read
])
def test_source_check(cells, ok):
    case = {"call": "f", "needs": ["cholesky"], "avoids": ["inv", "det"]}
    assert checks.source_answer(case, checks.NotebookReading(cells))["value"] is ok


@pytest.mark.parametrize("name, shown", [
    ("=HYPERLINK(x).ipynb", "'=HYPERLINK(x).ipynb"), ("bob\n<!--.ipynb", "bob?<!--.ipynb"),
    ("zz_\udcff.ipynb", "zz_\ufffd.ipynb"), ("plain.ipynb", "plain.ipynb")])
def test_file_names_cannot_break_the_csv_or_the_feedback(name, shown):
    assert batch.safe_name(name) == shown


def test_feedback_shows_sandbox_text_only_as_code_and_never_in_brief(tmp_path):
    bundle = notebooks.bundles()[A3]
    evil = "x`\n\n- Score: **13 / 13**\n<!--"
    answers = [[{"error": evil, "classes": []}] for _ in bundle.cases]
    results = checks.judge(bundle.cases, bundle.expected, answers)
    row = {"submission": "s.ipynb", "total": 0, "max_total": 13, "status": "ok"}
    for brief in (False, True):
        path = tmp_path / f"{brief}.md"
        notes = [] if brief else [f"code cell 1 raised {batch._one_line(evil)}"]
        feedback.write(path, row, bundle, results, notes, brief)
        text = path.read_text()
        if brief:
            assert "13 / 13" not in text and "<!--" not in text
        else:
            lines = [line for line in text.splitlines() if "<!--" in line or "**13 / 13**" in line]
            assert lines and all("``" in line for line in lines)  # only ever inside a code span


# ---------------------------------------------------------------- the command around a batch

def small_folder(path):
    path.mkdir()
    nbformat.write(solved(A3), path / "honest.ipynb")
    nbformat.write(untouched(A3), path / "empty.ipynb")
    return path


def test_grading_resumes_and_regrades(tmp_path):
    needs_sandbox()
    folder, grades = small_folder(tmp_path / "subs"), tmp_path / "out" / "grades.csv"
    first = grade(folder, grades)
    assert first.returncode == 0, first.stderr
    assert {k: r["total"] for k, r in rows(grades).items()} == {"honest": str(FULL[A3]), "empty": "0"}
    again = grade(folder, grades)
    assert "2 submissions already graded" in again.stdout and "points" not in again.stdout
    assert len(grades.read_text().splitlines()) == 3  # no row twice
    # A changed submission is graded again and its row replaced; a new one is added.
    nbformat.write(solved(A3), folder / "empty.ipynb")
    nbformat.write(solved(A3), folder / "late.ipynb")
    third = grade(folder, grades)
    assert "1 submissions already graded" in third.stdout
    assert {k: r["total"] for k, r in rows(grades).items()} == {k: str(FULL[A3]) for k in ("honest", "empty", "late")}
    assert len(grades.read_text().splitlines()) == 4
    fourth = grade(folder, grades, "--regrade")
    assert fourth.stdout.count("points") == 3


def test_a_killed_grader_loses_no_finished_row_and_leaves_no_process(tmp_path):
    needs_sandbox()
    folder, grades = tmp_path / "subs", tmp_path / "out" / "grades.csv"
    folder.mkdir()
    nbformat.write(solved(A3), folder / "a_quick.ipynb")
    nbformat.write(with_cell(untouched(A3), "import time\ntime.sleep(300)  # grader-killed-marker"),
                   folder / "b_slow.ipynb")
    grader = subprocess.Popen([sys.executable, str(AUTOGRADE), "grade", str(folder), str(grades), "--jobs", "1"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (grades.exists() and "a_quick" in grades.read_text()):
        time.sleep(0.2)
    time.sleep(2)  # b_slow is running now
    grader.send_signal(signal.SIGKILL)
    grader.wait()
    assert rows(grades)["a_quick"]["total"] == str(FULL[A3])
    time.sleep(1)
    alive = [p for p in os.listdir("/proc") if p.isdigit() and _cmdline(p).count("grader-killed-marker")]
    assert alive == []   # the sandbox died with the grader
    resumed = grade(folder, grades, "--timeout", "5")
    assert "1 submissions already graded" in resumed.stdout
    assert rows(grades)["b_slow"]["status"] == "timed out after 5 s"


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().decode(errors="ignore")
    except OSError:
        return ""


def test_without_bubblewrap_grading_refuses_unless_told_the_notebooks_are_trusted(tmp_path):
    folder = small_folder(tmp_path / "subs")
    env = {**os.environ, "PATH": str(tmp_path)}  # no bwrap on it
    refused = grade(folder, tmp_path / "grades.csv", env=env)
    assert refused.returncode == 2
    assert "bubblewrap" in refused.stderr and "--no-sandbox" in refused.stderr
    assert not (tmp_path / "grades.csv").exists()
    trusted = grade(folder, tmp_path / "grades.csv", "--no-sandbox", env=env)
    assert trusted.returncode == 0, trusted.stderr
    assert "WARNING: grading without a sandbox" in trusted.stdout
    assert rows(tmp_path / "grades.csv")["honest"]["total"] == str(FULL[A3])


def test_brief_feedback_hides_the_hidden_inputs(tmp_path):
    needs_sandbox()
    folder, grades = small_folder(tmp_path / "subs"), tmp_path / "grades.csv"
    assert grade(folder, grades, "--brief").returncode == 0
    text = (tmp_path / "feedback" / "empty.md").read_text()
    assert "my_grad" in text and "hidden input" in text
    for case in A3_CASES:
        assert json.dumps(case["args"]) not in text
    full = (tmp_path / "feedback" / "honest.md").read_text()
    assert "Score: **13 / 13**" in full and "did not pass" not in full


def test_student_copies_hide_solutions_and_hidden_tests(tmp_path):
    notebooks.build(tmp_path)
    for name in FULL:
        text = (tmp_path / name / f"{name}.ipynb").read_text()
        assert "BEGIN SOLUTION" not in text and "HIDDEN_TESTS" not in text
        assert "# your code here" in text
        nb = nbformat.read(tmp_path / name / f"{name}.ipynb", as_version=4)
        assert all(c.get("outputs", []) == [] for c in nb.cells if c.cell_type == "code")


def test_sizes_on_the_command_line():
    sys.path.insert(0, str(AUTOGRADE.parent))
    import autograde

    assert autograde.size("512M") == 512 << 20 and autograde.size("2G") == 2 << 30
    assert autograde.size("1000") == 1000 and autograde.size("64KiB") == 64 << 10
    with pytest.raises(Exception, match="not a size"):
        autograde.size("lots")
