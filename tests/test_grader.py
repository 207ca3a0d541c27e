"""The grader's parts: scoring raw answers, reading notebooks, feedback, resuming, surviving its own death, refusing.

The adversarial batch is in test_autograder.py; these tests check the pieces
and the command's behaviour around a batch.
"""

import csv
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import replace
from types import SimpleNamespace
from pathlib import Path

import nbformat
import numpy as np
import pytest
from markdown_it import MarkdownIt

from grading import A1, A2, A3, AUTOGRADE, FULL, INV_DET, PINV_SLOGDET, grade, needs_sandbox, rows, solved, untouched, with_cell
from grader import batch, build, checks, compare, feedback, intake, score, submissions
from grader.model import Status
from grader.sandbox import Limits

# The grader's tests are a step of their own: `make test-grading` (README).
pytestmark = pytest.mark.grading

A3_TESTS = build.bundles()[A3].tests


def made(*tables):
    """The Tests of dicts of fields, as a master writes them, all of question q."""
    return [checks.read_test(fields, "q") for fields in tables]


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


def test_forged_cell_records_cannot_flood_the_feedback():
    """An outside attack: a notebook wrote thousands of cell records to the answers pipe, and its feedback
    file grew to 944 KB. One record per cell counts (the first), none after the end, and the feedback
    quotes at most CELL_NOTES cells' errors."""
    forged = [b'{"cell": %d, "error": "SyntaxError: forged %d"}' % (i % 50, i) for i in range(5000)]
    data = b"\n".join([*forged, b'{"done": true}', b'{"cell": 60, "error": "after the end"}'])
    answers, cells, done = batch.parse_answers(data, 1)
    assert done is True and [i for i, _ in cells] == list(range(50))
    assert cells[3] == (3, "SyntaxError: forged 3")   # the first record of cell 3, not a later one
    sub = SimpleNamespace(numbers=list(range(1, 101)))
    run = SimpleNamespace(output_bytes=0, answers_bytes=0)
    notes = batch._notes(run, sub, cells, Status.OK, Limits())
    assert len(notes) == batch.CELL_NOTES + 1 and notes[-1] == f"{50 - batch.CELL_NOTES} more cells raised"


@pytest.mark.parametrize("value", ["1.0", {"x": 1}, [1, [2]], True, [[1, 2], [3]], [[[[[[[[[[1]]]]]]]]]],
                                   list(range(10_001)), 10 ** 400, None])
def test_values_that_are_not_arrays_of_numbers_are_refused(value):
    [case] = made({"check": "close", "call": "f", "points": 1})
    [result] = score.judge([case], [np.array(1.0)], [[{"value": value}]])
    assert not result.passed and result.note


def test_literal_answers_must_be_literals():
    [case] = made({"check": "equals", "call": "f", "points": 1, "expected": "positive definite"})
    answers = ["positive definite", ["positive definite"], 1.0]
    results = [score.judge([case], ["positive definite"], [[{"value": a}]])[0] for a in answers]
    assert [r.passed for r in results] == [True, False, False]


def test_raises_and_landmark_points_need_right_values_from_the_same_function():
    cases = made(
        {"points": 1, "check": "close", "call": "f", "args": [[0.2, 0.8]], "reference": "entropy"},
        {"points": 1, "check": "raises", "call": "f", "args": [-1], "error": "ValueError"},
        {"points": 1, "check": "close", "call": "f", "args": [[1.0, 0.0]], "reference": "entropy"},
    )
    expected = checks.expected_answers(cases)
    assert [checks.landmark(e) for e in expected[::2]] == [False, True]   # H([1, 0]) = 0: a constant gives it
    error = {"error": "ValueError: no", "classes": ["builtins.ValueError", "builtins.Exception"]}
    right, wrong, zero = {"value": float(expected[0])}, {"value": 3.0}, {"value": 0.0}

    def passed(*answers):
        return [r.passed for r in score.judge(cases, expected, [[a] for a in answers])]
    assert passed(right, error, zero) == [True, True, True]
    assert passed(wrong, error, zero) == [False, False, False]   # `return 0.0` earns nothing
    assert passed(error, error, zero) == [False, False, False]
    fake = {"error": "ValueError: no", "classes": ["__main__.ValueError"]}  # a class of the student's own
    assert passed(right, fake, zero) == [True, False, True]


def test_constant_answers_earn_no_equals_points():
    """An outside attack: `return 0.0` earned an equals test expecting 0.0, and `return "positive definite"`
    one of five classes. A bool, a string, a whole or infinite number (or lists of them) is a landmark: it
    counts only when the same function's other value tests pass."""
    assert [checks.landmark(e) for e in (True, "indefinite", 0.0, 3, float("inf"), [1, 0], [0.5], 0.25, 10 ** 400)] == [
        True, True, True, True, True, True, False, False, False]
    classes = ["positive definite", "positive definite", "indefinite", "negative definite"]
    cases = made(*[{"points": 1, "check": "equals", "call": "definiteness", "expected": c} for c in classes],
                 {"points": 1, "check": "equals", "call": "gan_value", "expected": 0.0},
                 {"points": 1, "check": "close", "call": "gan_value", "args": [[0.2, 0.8]], "reference": "entropy"})
    expected = checks.expected_answers(cases)

    def passed(*answers):
        return [r.passed for r in score.judge(cases, expected, [[{"value": a}] for a in answers])]
    right = float(expected[-1])
    assert passed(*classes, 0.0, right) == [True] * 6
    assert passed(*["positive definite"] * 4, 0.0, 1.0) == [False] * 6         # constants earn nothing
    assert passed(*classes[:3], "indefinite", 0.0, 1.0) == [False] * 6
    with pytest.raises(ValueError, match="no ordinary value test .* nor two value tests of different answers"):
        checks.expected_answers(made(*[{"points": 1, "check": "equals", "call": "f", "expected": "yes"}] * 2))


def test_an_integer_beyond_float_is_a_wrong_answer_not_a_grader_error():
    cases = made({"points": 1, "check": "equals", "call": "f", "expected": 0.25},
                 {"points": 1, "check": "equals", "call": "g", "expected": 2.5})
    results = score.judge(cases, [0.25, 2.5], [[{"value": 10 ** 400}], [{"value": -(10 ** 400)}]])
    assert [r.passed for r in results] == [False, False]
    assert not compare.same(0.25, 10 ** 400) and not compare.equal(10 ** 400, 2.5)


def test_small_holes_of_the_comparisons_are_closed():
    """An empty answer is in no interval; an (estimate, stderr) pair the grader's Monte Carlo check refuses
    (an infinite or invented stderr) fails the copy's self-check too, which judges it with the same code."""
    assert not compare.has([], ["in interval"], [0, 1]) and compare.has([0.5], ["in interval"], [0, 1])
    [case] = made({"points": 1, "check": "mc-stderr", "call": "f", "args": [[0.5], [[2.0]], [-0.5], [[0.8]], 1000, 3],
                   "truth": 0.5})
    expected = {"exact": 0.5, "stderr": 0.01}
    params = checks.KINDS["mc-stderr"].params(case, expected)   # what the self-check is given
    for pair, ok in [([0.51, 0.01], True), ([123.0, float("inf")], False), ([0.5, 1e-9], False),
                     ([0.6, 0.05], False), ([float("nan"), 0.01], False)]:
        assert compare.near(pair, **params) is ok, pair
        if not ok:   # every seed's pair judged the same way by the grader
            answers = [{"value": pair}] * checks.MC_SEEDS
            assert not score.judge([case], [expected], [answers])[0].passed


def test_the_sandbox_learns_neither_the_kind_of_a_check_nor_its_place():
    calls, owners = checks.calls(A3_TESTS, np.random.default_rng(1))
    assert all(set(call) == {"call", "args", "kwargs"} for call in calls)
    assert sorted(owners) == list(range(len(A3_TESTS)))
    assert owners != sorted(owners)  # shuffled
    for call, owner in zip(calls, owners):
        assert (call["call"], call["args"]) == (A3_TESTS[owner].call, A3_TESTS[owner].args)


def test_monte_carlo_against_its_own_standard_error_needs_real_scatter_across_seeds():
    [case] = made({"points": 1, "check": "mc-stderr", "call": "f",
                   "args": [[0.5], [[2.0]], [-0.5], [[0.8]], 100_000, 3],
                   "truth": {"reference": "kl_mvn", "args": [[0.5], [[2.0]], [-0.5], [[0.8]]]}})
    seeds = [args[-1] for args, _ in checks.KINDS["mc-stderr"].calls(case)]
    assert len(set(seeds)) == checks.MC_SEEDS
    import mathlib
    honest = [mathlib.mc_kl_mvn([0.5], [[2.0]], [-0.5], [[0.8]], 100_000, rng=np.random.default_rng(s))
              for s in seeds]
    # The master's own estimator gives the standard error expected (here: mathlib's, as the master).
    expected = checks.expected_answers([case], [[{"value": [e.estimate, e.stderr]} for e in honest]])[0]
    fake_se = expected["stderr"] * 1.2
    cases = [
        ([{"value": [e.estimate, e.stderr]} for e in honest], True),
        ([{"value": [expected["exact"], fake_se]}] * checks.MC_SEEDS, False),          # closed form, invented SE
        ([{"value": [expected["exact"] + 1e-4 * i, fake_se]} for i in range(8)], False),  # too little scatter
        ([{"value": [e.estimate, e.stderr]} for e in honest[:-1]] + [None], False),     # a seed unanswered
    ]
    for answers, ok in cases:
        assert score.judge([case], [expected], [answers])[0].passed is ok


@pytest.mark.parametrize("table", [
    [{"points": 1, "check": "raises", "call": "f", "error": "ValueError"}],
    [{"points": 1, "check": "close", "call": "f", "args": [[0.5, 0.5], [1.0, 0.0]],
      "reference": "kl_divergence"}],                                   # inf: a constant earns it
    [{"points": 1, "check": "close", "call": "f", "args": [[0.5, 0.5], [1.0, 0.0]],
      "reference": "kl_divergence"},
     {"points": 1, "check": "raises", "call": "f", "args": [[-1.0, 2.0], [0.5, 0.5]],
      "error": "ValueError"}]])
def test_a_table_where_a_constant_or_raising_alone_could_earn_points_is_refused(table):
    with pytest.raises(ValueError, match="no ordinary value test"):
        checks.expected_answers(made(*table))


def test_monte_carlo_is_judged_on_the_draws_the_question_fixes():
    args = [[1.0, -1.0], [[1.0, 0.95], [0.95, 1.0]], [0.0, 0.0], [[2.0, 0.3], [0.3, 1.0]], 100_000, 7]
    [case] = made({"points": 1, "check": "mc", "call": "f", "args": args, "reference": "mc_kl_mvn"})
    expected = checks.expected_answers([case])[0]
    n, seed = args[4], args[5]
    mu1, S1, mu2, S2 = (np.asarray(a, dtype=float) for a in args[:4])

    def honest(seed, ddof=1):  # the question's own recipe, written as a student would
        z = np.random.default_rng(seed).standard_normal((n, 2))
        L1, L2 = np.linalg.cholesky(S1), np.linalg.cholesky(S2)
        w = np.linalg.solve(L2, (mu1 + z @ L1.T - mu2).T).T
        ratio = 0.5 * (np.sum(w**2, 1) - np.sum(z**2, 1)) + np.log(np.prod(np.diag(L2)) / np.prod(np.diag(L1)))
        return [ratio.mean(), ratio.std(ddof=ddof) / np.sqrt(n)]

    [reference] = made({"points": 1, "check": "close", "call": "f", "args": args[:4], "reference": "kl_mvn"})
    exact = checks.KINDS["close"].expect(reference, [])
    pilot = honest(seed + 10_000)[1]
    fakes = [
        [float(exact), pilot],                                                  # the closed form
        [float(exact) + pilot * np.random.default_rng(seed).standard_normal(), pilot],  # ... with plausible noise
        honest(seed + 1),                                                       # other draws
        [honest(seed)[0], 2 * honest(seed)[1]],                                 # an invented stderr
    ]
    assert score.judge([case], [expected], [[{"value": honest(seed)}]])[0].passed
    assert score.judge([case], [expected], [[{"value": honest(seed, ddof=0)}]])[0].passed
    for fake in fakes:
        assert not score.judge([case], [expected], [[{"value": fake}]])[0].passed, fake


def test_points_are_clamped_to_each_question():
    cases = [replace(made({"points": 0, "check": "close", "call": "f"})[0], points=p) for p in (2, -5)]
    results = [score.Result(cases[0], None, None, True), score.Result(cases[1], None, None, False)]
    assert score.points(results) == {"q": 0}
    results[1] = replace(results[1], passed=True)
    assert score.points(results) == {"q": 0}


# ---------------------------------------------------------------- points for how code is written come from behaviour

FORBIDDEN = {
    "inv and det": INV_DET,
    "pinv and slogdet": PINV_SLOGDET,
    "inv and slogdet": INV_DET.replace("np.log(np.linalg.det(S2) / np.linalg.det(S1))",
                                       "np.linalg.slogdet(S2)[1] - np.linalg.slogdet(S1)[1]"),
}


@pytest.mark.parametrize("way", FORBIDDEN)
def test_the_forbidden_way_measurably_fails_the_hidden_cases(way):
    """The question asks for Cholesky factors: inverses, pseudo-inverses and determinants fail
    some hidden case of it, however the code is written or rebound, and the master passes all."""
    bundle = build.bundles()[A2]
    namespace = {"np": np}
    exec(FORBIDDEN[way], namespace)
    master = {"np": np}
    exec(next(c.source for c in solved(A2).cells if "def my_kl_mvn" in c.source), master)

    def q1(function):
        answers = []
        for case in bundle.tests:
            try:
                answers.append([{"value": np.asarray(function(*case.args), dtype=float).tolist()}])
            except Exception as error:  # noqa: BLE001
                answers.append([{"error": str(error), "classes": []}])
        picked = [(c, e, a) for c, e, a in zip(bundle.tests, bundle.expected, answers) if c.question == "q1"]
        return score.points(score.judge(*map(list, zip(*picked))))["q1"]
    with np.errstate(all="ignore"):
        assert q1(master["my_kl_mvn"]) == 6
        assert q1(namespace["_impl"]) < 6


def test_no_check_reads_the_source():
    assert set(checks.KINDS) == {"close", "mc", "mc-stderr", "equals", "raises", "property"}
    for name in FULL:
        assert all(case.check in checks.KINDS for case in build.bundles()[name].tests)


# ---------------------------------------------------------------- names, notebooks and feedback are data

@pytest.mark.parametrize("name, shown", [
    (b"=HYPERLINK(x).ipynb", "%3DHYPERLINK(x).ipynb"), (b"bob\n<!--.ipynb", "bob%0A<!--.ipynb"),
    (b"zz_\xff.ipynb", "zz_%FF.ipynb"), (b"zz_\xfe.ipynb", "zz_%FE.ipynb"), (b"100%.ipynb", "100%25.ipynb"),
    (b"a\xe2\x80\xa8b.ipynb", "a%E2%80%A8b.ipynb"), (b"plain.ipynb", "plain.ipynb"),
    (b" =1+1.ipynb", "%20=1+1.ipynb"), ("\u00a0@x.ipynb".encode(), "%C2%A0@x.ipynb"),
    ("\uff1dx.ipynb".encode(), "%EF%BC%9Dx.ipynb"), (b"-1.ipynb", "%2D1.ipynb"),
    ("\ufe66x.ipynb".encode(), "%EF%B9%A6x.ipynb"), ("\ufe6bx.ipynb".encode(), "%EF%B9%ABx.ipynb")])
def test_file_names_are_spelt_one_to_one_and_cannot_break_the_csv_or_the_feedback(name, shown):
    assert submissions.display_name(name) == shown


EVIL = ("x`\r# Feedback: fake\r- Score: **13 / 13**\u2028<img src=x onerror=alert(1)>\x85[link](http://e.x)"
        "\u2029![i](http://e.x/i.png)\x0b<!--\n\n<script>1</script>``` \u202e")


def rendered(text):
    """The CommonMark tokens of a feedback file, inline children included."""
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    return tokens + [child for t in tokens for child in (t.children or [])]


def test_feedback_is_inert_one_heading_one_score(tmp_path):
    bundle = build.bundles()[A3]
    answers = [[{"error": EVIL, "classes": []}] if i % 2 else [{"value": EVIL}] for i in range(len(bundle.tests))]
    results = score.judge(bundle.tests, bundle.expected, answers)
    name = submissions.display_name(("s" + EVIL + ".ipynb").encode("utf-8", "surrogateescape"))
    row = {"submission": name, "total": 0, "max_total": 13, "status": "ok"}
    for brief in (False, True):
        path = tmp_path / f"{brief}.md"
        feedback.write(path, row, bundle, results, [f"code cell 1 raised {batch._one_line(EVIL)}"], brief)
        tokens = rendered(path.read_text())
        assert [t.tag for t in tokens if t.type == "heading_open" and t.tag == "h1"] == ["h1"]
        assert sum("Score:" in t.content for t in tokens if t.type == "text") == 1
        assert not [t for t in tokens if t.type in ("html_block", "html_inline", "link_open", "image")]
        assert "\r" not in path.read_text() and "\u2028" not in path.read_text()


def test_a_failed_hidden_check_shows_its_call_and_what_came_back_only(tmp_path):
    """Neither what a hidden check expects (a value, an exception) nor the grader's judgement of the
    answer against it ("instead of raising", "right as far as it goes") is in the feedback; a public
    check shows both, as the student's self-check does."""
    bundle = build.bundles()[A1]
    by_call = {feedback.call_text(t): i for i, t in enumerate(bundle.tests)}
    right = {by_call["my_kl([0.5, 0.5], [1.0, 0.0])"], by_call["my_kl([0.3, 0.7], [0.0, 1.0])"]}  # both inf
    answers = [[{"value": float("inf") if i in right else 0.123}] for i in range(len(bundle.tests))]
    results = score.judge(bundle.tests, bundle.expected, answers)
    path = tmp_path / "feedback.md"
    feedback.write(path, {"submission": "s.ipynb", "total": 0, "max_total": 15, "status": "ok"}, bundle, results, [])
    entries = {int(m[1]): m[0] for m in re.finditer(r"^- check (\d+) .*\n(?:  - .*\n)*", path.read_text(), re.M)}
    assert sorted(entries) == list(range(1, len(bundle.tests) + 1))   # every check failed, each listed
    for i, (test, expected) in enumerate(zip(bundle.tests, bundle.expected)):
        entry = entries[i + 1]
        assert feedback.call_text(test) in entry and ("` 0.123 `" in entry) == (i not in right), entry
        gated = "right as far as it goes" in entry
        if test.public:
            assert checks.shows(test, expected) in entry and gated == (i in right), entry
        else:
            assert "expected" not in entry and "raising" not in entry and not gated, entry
            if test.check == "close" and np.all(np.isfinite(expected)):
                assert f"{float(np.ravel(expected)[0]):.6f}"[:-1] not in entry, entry


def stalling_notebook():
    """A cell whose text is slow to retokenize: line magics and 51 KB of filler inside a cell magic
    (under 64 KiB, the most the old source reader read; it took half a minute over it)."""
    body = "".join(f"%time x{i} = {i}\n" for i in range(300)) + "x = [" + "1, " * 17_000 + "]\n"
    return with_cell(untouched(A2), "%%writefile /tmp/f.py\n" + body)


def test_no_two_submissions_share_a_feedback_file():
    """An outside attack: a name chosen to equal another's escaped stem and hash overwrote its feedback."""
    names = [b"Jane Doe.ipynb", b"Jane_Doe.ipynb", b"Jane_Doe-0ee193f1.ipynb", b"Jane%20Doe.ipynb",
             b"a" * 250 + b".ipynb", b"a" * 251 + b".ipynb", b"\xff" * 200 + b".ipynb", b"\xfe" * 200 + b".ipynb",
             "\u00e9".encode() * 100 + b".ipynb", b"x.IPYNB", b"x.IPYNB.ipynb", b"x%2EIPYNB.ipynb", b"x.ipynb",
             b"x.Ipynb", b"x"]
    files = [submissions.feedback_file(submissions.display_name(n)) for n in names]
    assert len(set(files)) == len(names)
    assert all("/" not in f and len(f.encode()) < 255 for f in files)
    # a cut name ends in %% and a hash, which no display name spells: it cannot be chosen
    cut = files[names.index(b"a" * 251 + b".ipynb")]
    assert "%%" in cut and submissions.feedback_file(
        submissions.display_name(cut.removesuffix(".md").encode() + b".ipynb")) != cut


def test_a_notebook_of_many_cells_is_refused_before_it_is_validated(tmp_path):
    """An outside attack: 350,000 empty cells in 20 MiB took 22 s and 0.8 GB to validate."""
    path = tmp_path / "many.ipynb"
    cell = '{"cell_type": "raw", "id": "c%d", "metadata": {}, "source": ""}'
    path.write_text('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [' +
                    ", ".join(cell % i for i in range(300_000)) + "]}")
    bundles = build.bundles()
    started = time.monotonic()
    sub = submissions.read(path, bundles)
    assert time.monotonic() - started < 1
    assert sub.verdict.status is Status.TOO_LARGE and "objects" in sub.verdict.detail
    few = nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_raw_cell() for _ in range(2_001)]))
    path.write_text(few)  # few objects, too many cells: refused once parsed, before validation
    assert submissions.read(path, bundles).verdict.status is Status.TOO_LARGE


def nested_arrays(nb):
    """An outside attack: a valid copy whose metadata holds arrays 20 deep up to just under NOTEBOOK_BYTES
    (34 s and 2.9 GB to read, for every copy in the folder, on every run)."""
    text = nbformat.writes(nb)
    bomb = "[" * 20 + "]" * 20
    count = (submissions.NOTEBOOK_BYTES - len(text) - 100) // (len(bomb) + 1)
    return text.replace('"metadata": {', '"metadata": {"bomb": [' + ",".join([bomb] * count) + "], ", 1)


def with_outputs(nb, outputs):
    """A notebook's text whose first cell is a code cell with these outputs (written as JSON: nbformat would
    validate them, which is the slow work the attacks below make the grader do)."""
    raw = json.loads(nbformat.writes(nb))
    raw["cells"][0] = {"cell_type": "code", "execution_count": None, "id": "bomb", "metadata": {}, "source": "",
                       "outputs": outputs}
    return json.dumps(raw)


def many_outputs(nb):
    """An outside attack: a valid copy with one cell of 99,000 empty stream outputs (124 s to read)."""
    return with_outputs(nb, [{"output_type": "stream", "name": "stdout", "text": ""}] * 99_000)


@pytest.mark.parametrize("bomb, reason", [(nested_arrays, "(more than 100000 JSON arrays)"),
                                          (many_outputs, "(more than 5000 outputs)")])
def test_a_notebook_bomb_is_refused_quickly_and_for_its_file_alone(tmp_path, bomb, reason):
    (tmp_path / "bomb.ipynb").write_text(bomb(untouched(A3)))
    nbformat.write(solved(A3), tmp_path / "honest.ipynb")
    assert (tmp_path / "bomb.ipynb").stat().st_size <= submissions.NOTEBOOK_BYTES
    started = time.monotonic()
    subs = {s.name: s for s in submissions.folder(tmp_path, build.bundles())}
    assert time.monotonic() - started < 3
    assert str(subs["bomb.ipynb"].verdict) == f"too large {reason}"
    assert subs["honest.ipynb"].verdict is None and subs["honest.ipynb"].claimed == A3


def test_reading_a_notebook_has_a_time_and_a_memory_limit_whatever_its_shape(tmp_path, monkeypatch):
    """No count before parsing foresees every costly shape: one output of 500,000 mime types took 17 s to
    validate. The reading runs with limits of its own; an honest notebook of 15 MiB keeps within them."""
    path = tmp_path / "slow.ipynb"
    path.write_text(with_outputs(untouched(A3), [{"output_type": "display_data", "metadata": {},
                                                  "data": {f"x/{i}": "" for i in range(500_000)}}]))
    monkeypatch.setattr(submissions, "NOTEBOOK_SECONDS", 1)
    started = time.monotonic()
    assert str(submissions.read(path, build.bundles()).verdict) == "too large (reading it takes more than 1 s)"
    assert time.monotonic() - started < 5
    monkeypatch.undo()
    big = solved(A3)
    path.write_text(with_outputs(big, [{"output_type": "display_data", "metadata": {},
                                        "data": {"image/png": "iVBO" * (15 << 18)}}]))
    sub = submissions.read(path, build.bundles())
    assert sub.verdict is None and sub.cells == [""] + [c.source for c in big.cells[1:] if c.cell_type == "code"]
    # in a process of its own, whose memory the child does not find already taken (and free) at its start
    shown = subprocess.run([sys.executable, "-c", "import grading; from grader import submissions; "
                            "submissions.NOTEBOOK_MEMORY = 16 << 20; print(submissions.load(%r)[2])" % str(path)],
                           cwd=Path(__file__).parent, capture_output=True, text=True, timeout=60)
    assert shown.stdout == "too large (reading it needs more than 16 MiB)\n", shown.stderr


def test_a_file_the_grader_cannot_open_is_a_status_not_the_end_of_the_batch(tmp_path, monkeypatch):
    nbformat.write(solved(A3), tmp_path / "fine.ipynb")
    (tmp_path / "locked.ipynb").write_text("{}")
    real_open = open

    def open_(path, *args, **kwargs):
        if Path(path).name == "locked.ipynb":
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(submissions, "open", open_, raising=False)
    subs = submissions.folder(tmp_path, build.bundles())
    verdicts = {s.name: s.verdict for s in subs}
    assert verdicts["fine.ipynb"] is None
    assert verdicts["locked.ipynb"].status is Status.UNREADABLE and "cannot open" in verdicts["locked.ipynb"].detail


def test_reading_a_notebook_is_bounded_work_before_the_batch(tmp_path):
    path = tmp_path / "stall.ipynb"
    nbformat.write(stalling_notebook(), path)
    bundles = build.bundles()
    started = time.monotonic()
    sub = submissions.read(path, bundles)
    submissions.choose([sub], bundles)
    _, sub.owners = checks.calls(sub.bundle.tests, np.random.default_rng(0))
    batch.judged(sub, b"")   # what the grader does with a run's answers, in its loop
    assert time.monotonic() - started < 2


def two_faces():
    """nbformat 3: honest cells in worksheets (what Jupyter shows), a lookup table in `cells`."""
    shown = {"cell_type": "code", "language": "python", "input": "x = 1", "outputs": [], "metadata": {}}
    hidden = {"cell_type": "code", "source": "my_log_softmax = lambda z: 0", "outputs": [], "metadata": {}}
    return {"nbformat": 3, "nbformat_minor": 0, "metadata": {"assignment": {"name": A3}},
            "worksheets": [{"cells": [shown], "metadata": {}}], "cells": [hidden]}


@pytest.mark.parametrize("text, status", [
    (json.dumps(two_faces()), "refused: conflicting content"),
    (nbformat.writes(solved(A3))[:-2] + ', "cells": []}', "refused: conflicting content"),   # a key twice
    (json.dumps({**json.loads(nbformat.writes(solved(A3))), "worksheets": []}), "refused: conflicting content"),
    ('{"nbformat": 4, "cells": 1}', "not a readable notebook"),
    ("{ not json", "not a readable notebook"),
    ("[" * 100_000, "not a readable notebook")])
def test_only_what_jupyter_shows_is_graded(tmp_path, text, status):
    path = tmp_path / "n.ipynb"
    path.write_text(text)
    assert str(submissions.read(path, build.bundles()).verdict).startswith(status)


def test_an_nbformat_3_notebook_is_graded_as_jupyter_converts_it(tmp_path):
    nb = two_faces()
    del nb["cells"]
    path = tmp_path / "v3.ipynb"
    path.write_text(json.dumps(nb))
    sub = submissions.read(path, build.bundles())
    assert sub.verdict is None and sub.cells == ["x = 1"]


def test_one_assignment_per_batch(tmp_path):
    bundles = build.bundles()
    for stem, name in (("a", A3), ("b", A3)):
        nbformat.write(solved(name), tmp_path / f"{stem}.ipynb")
    assert list(submissions.choose(submissions.folder(tmp_path, bundles), bundles)) == [A3]   # the one named
    nbformat.write(solved(A1), tmp_path / "c.ipynb")
    subs = submissions.folder(tmp_path, bundles)
    assert list(submissions.choose(subs, bundles, A3)) == [A3]
    assert [str(s.verdict) for s in subs][2].startswith("refused: another assignment")
    subs = submissions.folder(tmp_path, bundles)
    assert set(submissions.choose(subs, bundles, submissions.ALL)) == set(bundles)   # every master
    assert all(s.bundle for s in subs)
    with pytest.raises(submissions.Refused, match="not one of the masters"):
        submissions.choose(subs, bundles, "a9")


def test_notebooks_that_name_several_assignments_stop_the_run_until_one_is_named(tmp_path):
    """Two outside attacks on the majority that chose the assignment: one student's three extra notebooks
    (or, by one vote per submitter, Canvas names that read as several users, anonymous ids, a folder of
    their own) outvoted two classmates, whose notebooks were then refused as of another assignment; and,
    with a roster, one student's stray notebook stopped the class's run. No count chooses now: the run
    asks, before anything runs, and once it is named a stray notebook is refused alone."""
    bundles = build.bundles()
    for stem, name in (("ada", A3), ("charles", A3), ("eve1", A1), ("eve2", A1), ("eve3", A1)):
        nbformat.write(solved(name), tmp_path / f"{stem}.ipynb")
    with pytest.raises(submissions.Refused, match=f"more than one assignment \\({A1} in 3 notebooks, {A3} in 2 "
                       "notebooks\\): say which assignment to grade \\(--assignment, ASSIGNMENT= in make\\)"):
        submissions.choose(submissions.folder(tmp_path, bundles), bundles)
    subs = submissions.folder(tmp_path, bundles)
    assert list(submissions.choose(subs, bundles, A3)) == [A3]
    assert [s.bundle.name if s.bundle else str(s.verdict)[:27] for s in subs] == [
        A3, A3] + ["refused: another assignment"] * 3


def test_copies_under_names_that_read_several_ways_are_one_submitter(tmp_path):
    """An outside attack: files a student named x_1_2_a3.ipynb (Canvas: eve_1003_801_x_1_2_a3.ipynb, which
    also reads as user 1), and Canvas's anonymous files of one student, were each a submitter of their
    own, so that every copy ran to the timeout. Such copies are one submitter's, never a classmate's."""
    names = ["eve_1003_801_x_1_2_a3.ipynb", "eve_1003_802_x_1_2_a3.ipynb", "eve_LATE_1003_803_x_1_2_a3.ipynb",
             "anon_ab12_901_a3.ipynb", "anon_ab12_902_a3.ipynb", "anon_cd34_903_a3.ipynb",
             "lovelaceada_1003_7720_a3.ipynb", "frank_1004_7_a3.ipynb"]
    for name in names:
        (tmp_path / name).write_text("{}")
    found, _ = intake.walk(tmp_path)
    who = {f.name: batch.submitter(f) for f in found}
    assert who[names[0]] == who[names[1]] == who[names[2]] != who[names[6]] == ("canvas", "1003")
    assert who[names[3]] == who[names[4]] != who[names[5]]
    assert who[names[7]] == ("canvas", "1004")   # its own user's, unambiguous


def test_only_a_submitter_s_latest_notebooks_are_read(tmp_path, monkeypatch):
    """An outside attack: ten copies of a notebook that takes 4 s to read (600,000 keys in an output) made
    every run 40 s longer, a run that graded nothing included. A submitter's READ_LATEST latest notebooks are
    read, and an older one only while none of theirs can be graded (newest first); the others are superseded
    unread (their digest only); lone files are all read."""
    folder = tmp_path / "subs"
    folder.mkdir()
    copies = [f"malloryeve_1003_{800 + k}_copy.ipynb" for k in range(10)]   # Canvas's file ids say which came last
    for name in [*copies, "lovelaceada_1001_7001_a3.ipynb", "loose1.ipynb", "loose2.ipynb"]:
        nbformat.write(untouched(A3), folder / name)
        os.utime(folder / name, (1e9, 1e9))   # Canvas's zip: one time for all
    found, _ = intake.walk(folder)
    assert batch.unread(found, [batch.submitter(f) for f in found]) == set(copies[:5])
    real, read = submissions.read, []
    monkeypatch.setattr(submissions, "read", lambda path, *a, **k: read.append(path.name) or real(path, *a, **k))
    subs, _ = batch.Batch(folder, tmp_path / "grades.csv")._read(
        found, [batch.submitter(f) for f in found], build.bundles(), [])
    assert sorted(read) == sorted({f.name for f in found} - set(copies[:5]))
    shown = {s.name: s for s in subs}
    assert str(shown[copies[0]].verdict) == (
        f"not graded: superseded (a later notebook of the same student, {copies[-1]}, is graded)")
    assert shown[copies[0]].digest == hashlib.sha256((folder / copies[0]).read_bytes()).hexdigest()
    # The five latest cannot be graded (another assignment): the older ones are read, newest first, until one can.
    for name in copies[5:]:
        nbformat.write(untouched(A1), folder / name)
        os.utime(folder / name, (1e9, 1e9))
    read.clear()
    found, _ = intake.walk(folder)
    subs, _ = batch.Batch(folder, tmp_path / "grades.csv", assignment=A3)._read(
        found, [batch.submitter(f) for f in found], build.bundles(), [])
    assert set(copies[:5]) & set(read) == {copies[4]}
    shown = {s.name: s for s in subs}
    assert shown[copies[4]].bundle is not None and shown[copies[4]].verdict is None
    assert str(shown[copies[3]].verdict).endswith(f"{copies[4]}, is graded)")


# ---------------------------------------------------------------- the command around a batch

def small_folder(path):
    path.mkdir()
    nbformat.write(solved(A3), path / "honest.ipynb")
    nbformat.write(untouched(A3), path / "empty.ipynb")
    return path


def test_grading_resumes_and_regrades(tmp_path):
    needs_sandbox()
    folder, grades = small_folder(tmp_path / "subs"), tmp_path / "out" / "grades.csv"
    # Two names that differ only in bytes that are not UTF-8, with the same content: two rows, always.
    for name in (b"zz_\xff.ipynb", b"zz_\xfe.ipynb"):
        with open(os.path.join(os.fsencode(folder), name), "w") as f:
            f.write(nbformat.writes(untouched(A3)))
    # A finished notebook of another assignment, dropped into the folder, earns nothing.
    nbformat.write(solved(A1), folder / "switched.ipynb")
    first = grade(folder, grades, "--assignment", A3)
    # the notebook of another assignment needs the instructor: the run says so and exits 1
    assert first.returncode == 1 and "needs the instructor" in first.stdout, first.stderr
    assert "1 submission: refused: another assignment" in first.stdout
    everyone = {"honest": str(FULL[A3]), "empty": "0", "zz_%FF": "0", "zz_%FE": "0", "switched": "0"}
    assert {k: r["total"] for k, r in rows(grades).items()} == everyone
    assert rows(grades)["switched"]["status"].startswith("refused: another assignment")
    assert "q5" not in rows(grades)["switched"]   # the batch's columns are its assignment's questions
    assert len(list((tmp_path / "out" / "feedback").glob("*.md"))) == 5
    again = grade(folder, grades, "--assignment", A3)
    assert "5 submissions already graded" in again.stdout and "points" not in again.stdout
    assert {k: r["total"] for k, r in rows(grades).items()} == everyone
    assert len(grades.read_text().splitlines()) == 6  # no row twice, none dropped
    for name in (b"zz_\xff.ipynb", b"zz_\xfe.ipynb", b"switched.ipynb"):
        os.remove(os.path.join(os.fsencode(folder), name))
    # A changed submission is graded again and its row replaced; a new one is added.
    nbformat.write(solved(A3), folder / "empty.ipynb")
    nbformat.write(solved(A3), folder / "late.ipynb")
    third = grade(folder, grades, "--assignment", A3)
    assert "1 submissions already graded" in third.stdout
    assert {k: rows(grades)[k]["total"] for k in ("honest", "empty", "late")} == {
        k: str(FULL[A3]) for k in ("honest", "empty", "late")}
    fourth = grade(folder, grades, "--assignment", A3, "--regrade")
    assert fourth.stdout.count("points") == 3


def test_only_a_students_latest_notebook_runs_and_no_student_outvotes_the_class(tmp_path):
    """Two outside attacks on a Canvas download: a student's many copies of a notebook that sleeps each
    took the whole timeout, though only the latest counts; a student's many notebooks of another
    assignment outvoted the class, whose notebooks were refused and exported as 0 (now the run asks
    which assignment to grade)."""
    needs_sandbox()
    folder, grades = tmp_path / "subs", tmp_path / "out" / "grades.csv"
    folder.mkdir()
    sleeping = with_cell(untouched(A3), "import time\ntime.sleep(10 ** 6)")
    notebooks = {"lovelaceada_1001_7001_a3.ipynb": solved(A3), "malloryeve_1003_801_copy.ipynb": sleeping,
                 "malloryeve_1003_802_copy.ipynb": sleeping, "malloryeve_1003_803_copy.ipynb": solved(A3)}
    notebooks.update({f"frankfrank_1004_90{k}_x.ipynb": untouched(A1) for k in range(5)})   # 5 to a3's 4
    for name, nb in notebooks.items():
        nbformat.write(nb, folder / name)
        os.utime(folder / name, (1e9, 1e9))   # Canvas's zip: one time for all, the file ids say which came last
    asked = grade(folder, grades, "--timeout", "60", "--jobs", "1")
    assert asked.returncode == 2 and "name more than one assignment" in asked.stderr and not grades.exists(), asked.stderr
    done = grade(folder, grades, "--timeout", "60", "--jobs", "1", "--assignment", A3)
    assert done.returncode == 1 and f"grading {A3}" in done.stdout, done.stdout + done.stderr
    graded = rows(grades)
    assert set(graded) == {n.removesuffix(".ipynb") for n in notebooks}
    assert [graded[n]["total"] for n in ("lovelaceada_1001_7001_a3", "malloryeve_1003_803_copy")] == [str(FULL[A3])] * 2
    assert all(graded[f"frankfrank_1004_90{k}_x"]["status"].startswith("refused: another assignment") for k in range(5))
    superseded = ("not graded: superseded (a later notebook of the same student, malloryeve_1003_803_copy.ipynb, "
                  "is graded)")
    for k in (1, 2):   # not run: 2 s of grading, not 2 timeouts
        assert (graded[f"malloryeve_1003_80{k}_copy"]["status"], graded[f"malloryeve_1003_80{k}_copy"]["assignment"]) \
            == (superseded, "")
    assert f"2 submissions: {superseded}" in done.stdout
    roster_path = tmp_path / "roster.csv"
    roster_path.write_text("id,name,canvas_id\ns001,Ada Lovelace,1001\ns003,Eve Mallory,1003\ns004,Frank Frank,1004\n")
    term = grade(folder, grades, "--roster", str(roster_path), "--assignment", A3)
    assert term.returncode == 1 and "9 submissions already graded" in term.stdout, term.stdout + term.stderr
    with open(tmp_path / "out" / "term" / f"{A3}.canvas.csv", newline="") as f:
        assert [row[-1] for row in csv.reader(f)][2:] == [str(FULL[A3]), str(FULL[A3]), ""]   # Frank: no 0


def test_a_crafted_canvas_name_neither_supersedes_nor_replaces_a_classmate_s_notebook(tmp_path):
    """An outside attack: mal_1001_1_1003_7721_a3.ipynb was read as Canvas user 1001's, so that, beside her own
    notebook of the same time, hers was superseded and never run, and the Canvas import gave her 0."""
    needs_sandbox()
    folder, grades = tmp_path / "subs", tmp_path / "out" / "grades.csv"
    folder.mkdir()
    for name, nb in {"lovelaceada_1001_7720_a3.ipynb": solved(A3), "mal_1001_1_1003_7721_a3.ipynb": untouched(A3)}.items():
        nbformat.write(nb, folder / name)
        os.utime(folder / name, (1e9, 1e9))
    roster_path = tmp_path / "roster.csv"
    roster_path.write_text("id,name,email,canvas_id\ns001,Ada Lovelace,ada@uni.edu,1001\ns003,Mal Ory,mal@uni.edu,1003\n")
    done = grade(folder, grades, "--roster", str(roster_path), "--jobs", "1")
    assert done.returncode == 1, done.stdout + done.stderr
    assert (rows(grades)["lovelaceada_1001_7720_a3"]["status"], rows(grades)["lovelaceada_1001_7720_a3"]["total"]) \
        == ("ok", str(FULL[A3]))
    with open(tmp_path / "out" / "term" / f"{A3}.canvas.csv", newline="") as f:
        assert [row[-1] for row in csv.reader(f)][2:] == [str(FULL[A3]), ""]   # Ada's own; Mal's file is no one's
    assert "mal_1001_1_1003_7721_a3.ipynb: matched to no student: its name reads as Canvas's download of more " \
           "than one user" in done.stdout


def scratch(tmp_path):
    """A temporary directory of the grader's own, to see what it leaves there."""
    (tmp_path / "tmp").mkdir()
    return tmp_path / "tmp", {**os.environ, "TMPDIR": str(tmp_path / "tmp")}


def test_a_killed_grader_loses_no_finished_row_and_leaves_no_process(tmp_path):
    needs_sandbox()
    folder, grades = tmp_path / "subs", tmp_path / "out" / "grades.csv"
    temporary, env = scratch(tmp_path)
    folder.mkdir()
    nbformat.write(solved(A3), folder / "a_quick.ipynb")
    nbformat.write(with_cell(untouched(A3), "import time\ntime.sleep(300)  # grader-killed-marker"),
                   folder / "b_slow.ipynb")
    grader = subprocess.Popen([sys.executable, str(AUTOGRADE), "grade", str(folder), str(grades), "--jobs", "1"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
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
    assert list(temporary.iterdir())   # its scratch folder, left behind by SIGKILL ...
    resumed = grade(folder, grades, "--timeout", "5", env=env)
    assert "1 submissions already graded" in resumed.stdout
    assert rows(grades)["b_slow"]["status"] == "stopped after 5 s"
    assert list(temporary.iterdir()) == []   # ... is removed by the next run


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().decode(errors="ignore")
    except OSError:
        return ""


def test_without_bubblewrap_grading_refuses_unless_told_the_notebooks_are_trusted(tmp_path):
    folder = small_folder(tmp_path / "subs")
    temporary, env = scratch(tmp_path)
    env["PATH"] = str(tmp_path)  # no bwrap on it
    refused = grade(folder, tmp_path / "grades.csv", env=env)
    assert refused.returncode == 2
    assert "bubblewrap" in refused.stderr and "--no-sandbox" in refused.stderr
    assert not (tmp_path / "grades.csv").exists()
    assert list(temporary.iterdir()) == []
    trusted = grade(folder, tmp_path / "grades.csv", "--no-sandbox", env=env)
    assert trusted.returncode == 0, trusted.stderr
    assert "WARNING: grading without a sandbox" in trusted.stdout
    assert rows(tmp_path / "grades.csv")["honest"]["total"] == str(FULL[A3])
    assert list(temporary.iterdir()) == []


@pytest.mark.parametrize("problem", ["no folder", "unreadable grades", "unknown assignment"])
def test_bad_input_from_the_instructor_is_one_sentence_and_leaves_nothing(tmp_path, problem):
    folder, grades = tmp_path / "subs", tmp_path / "grades.csv"
    temporary, env = scratch(tmp_path)
    if problem != "no folder":
        small_folder(folder)
    if problem == "unreadable grades":
        grades.write_bytes(b"submission,sha256\n\xff\xfe\x00,\n")
    done = grade(folder, grades, "--no-sandbox", *["--assignment", "a9"] * (problem == "unknown assignment"), env=env)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("autograde: ") and done.stderr.count("\n") == 1, done.stderr
    assert list(temporary.iterdir()) == []


def test_a_grader_error_row_has_no_points(tmp_path, monkeypatch):
    folder, grades = small_folder(tmp_path / "subs"), tmp_path / "grades.csv"
    (folder / "empty.ipynb").unlink()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")
    monkeypatch.setattr(feedback, "write", broken)
    [row] = batch.Batch(folder, grades, sandboxed=False, log=lambda line: None).run()
    assert row["status"].startswith("grader error") and row["total"] == 0
    assert not any(q in row for q in ("q1", "q2", "q3", "q4"))
    assert [r["q1"] for r in rows(grades).values()] == [""]


def test_brief_feedback_is_the_score_per_question_and_nothing_a_submission_can_modulate(tmp_path):
    """Cells that raise, printed bytes, an exit status: none of it shows in brief feedback,
    which a notebook could otherwise use to read the hidden tests out, a bit at a time."""
    needs_sandbox()
    folder, grades = small_folder(tmp_path / "subs"), tmp_path / "grades.csv"
    noisy = with_cell(solved(A3), "import atexit, os, sys\nsys.stdout.write('x' * 100_003)\n"
                                  "atexit.register(os._exit, 7)\nraise ValueError('one bit')")
    nbformat.write(noisy, folder / "noisy.ipynb")
    assert grade(folder, grades, "--brief").returncode == 0
    assert rows(grades)["noisy"]["status"] == "crashed (exit status 7)"   # the instructor's CSV says it
    text = {stem: (tmp_path / "feedback" / f"{stem}.md").read_text() for stem in ("honest", "noisy", "empty")}
    assert text["honest"].replace("honest", "noisy") == text["noisy"]
    assert "Score: **13 / 13**" in text["honest"] and "q4 | 5 / 5" in text["honest"]
    assert "q4 | 0 / 5" in text["empty"] and "my_grad" not in text["empty"]
    for case in A3_TESTS:
        assert json.dumps(case.args) not in text["empty"]


def test_student_copies_hide_solutions_and_hidden_tests():
    build.bundles()
    for name in build.OUT.joinpath("student").iterdir():
        if not name.is_dir():
            continue
        assert sorted(p.name for p in name.iterdir()) == sorted([f"{name.name}.ipynb", "questions.md"])
        text = (name / f"{name.name}.ipynb").read_text()
        assert "BEGIN SOLUTION" not in text and "TESTS = [" not in text
        assert "# your code here" in text
        nb = nbformat.read(name / f"{name.name}.ipynb", as_version=4)
        assert all(c.get("outputs", []) == [] for c in nb.cells if c.cell_type == "code")
        bundle = build.bundles()[name.name]
        for case in bundle.tests:   # no hidden input in the copy; every public one in its self-check
            assert (json.dumps(json.dumps(case.args))[1:-1] in text) == case.public, case


def test_sizes_on_the_command_line():
    sys.path.insert(0, str(AUTOGRADE.parent))
    import autograde

    assert autograde.size("512M") == 512 << 20 and autograde.size("2G") == 2 << 30
    assert autograde.size("1000") == 1000 and autograde.size("64KiB") == 64 << 10
    with pytest.raises(Exception, match="not a size"):
        autograde.size("lots")
