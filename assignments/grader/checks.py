"""The hidden tests: what each kind of check expects, how an answer is judged, and scores.

A test case is a dict with ``question``, ``points``, ``check`` (a key of ``KINDS``)
``call``, ``args`` and ``kwargs``: the student's function and the inputs it is
called with. How code is written earns points only through what it does: a
question that asks for a method has cases on which other methods measurably
fail (determinants that under- or overflow, ill-conditioned covariances).

Everything here runs in the grader's own process. Expected answers are computed
by ``expected_answers`` before any student code runs; an answer that comes back
from a sandbox is raw data that ``judge`` validates (types, shapes, sizes) before
comparing it with the expectation.
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np

MAX_NUMBERS = 10_000      # numbers in one answer, as in the runner
MC_RTOL = (1e-9, 1e-4)    # an MC estimate on the question's own draws, and its stderr (ddof 0 or 1), as recomputed here
DEFAULT_RTOL, DEFAULT_ATOL = 1e-7, 1e-10


class InvalidAnswer(ValueError):
    """An answer that is not of the form its check expects."""


def numbers(value):
    """A float array from nested lists of numbers, refusing anything else."""
    count = 0

    def walk(v, depth):
        nonlocal count
        if depth > 8:
            raise InvalidAnswer("nested too deeply")
        if isinstance(v, list):
            for item in v:
                walk(item, depth + 1)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            count += 1
            if count > MAX_NUMBERS:
                raise InvalidAnswer(f"more than {MAX_NUMBERS} numbers")
        else:
            raise InvalidAnswer(f"{type(v).__name__} where a number was expected")

    walk(value, 0)
    try:
        return np.array(value, dtype=float)
    except (ValueError, OverflowError) as error:  # ragged lists, integers beyond float
        raise InvalidAnswer(str(error)) from None


def literal(value):
    if not isinstance(value, (str, bool, int)):
        raise InvalidAnswer(f"{type(value).__name__} where a string, bool or int was expected")
    return value


# ---------------------------------------------------------------- the kinds of check
#
# Each kind gets, for one case, the list of raw answers of its calls (one call per case);
# a raw answer is a dict with "value" or "error".

def _reference(case):
    import mathlib

    function = getattr(mathlib, case["reference"])
    return np.asarray(function(*case.get("ref_args", case["args"]), **case.get("ref_kwargs", case["kwargs"])),
                      dtype=float)


def _close(case, expected, answers):
    got = numbers(answers[0]["value"])
    return got.shape == expected.shape and bool(np.allclose(
        got, expected, rtol=case.get("rtol", DEFAULT_RTOL), atol=case.get("atol", DEFAULT_ATOL)))


def _mc_reference(case):
    """(estimate, stderr) of the KL between normals on the draws the question fixes.

    The question says how to draw: ``z = np.random.default_rng(seed).standard_normal((n, m))``
    and ``x = mu1 + z @ L1.T`` with ``L1`` the Cholesky factor of ``S1``, as
    ``mathlib.mc_kl_mvn`` does. An estimator has then one right answer, which no
    shortcut reaches: the closed form with noise of a plausible size (any statistical
    test of an estimate against the truth passes that) differs from it by about a
    standard error, and the check asks for agreement to rounding.
    """
    import mathlib

    *args, seed = case["args"]
    estimate = mathlib.mc_kl_mvn(*args, rng=np.random.default_rng(seed))
    return np.array([estimate.estimate, estimate.stderr])


def _mc(case, expected, answers):
    got = numbers(answers[0]["value"])
    return got.shape == (2,) and bool(np.all(np.abs(got - expected) <= np.multiply(MC_RTOL, np.abs(expected))))


def _equals(case, expected, answers):
    return literal(answers[0]["value"]) == expected


def _raises(case, expected, answers):
    classes = answers[0].get("classes")
    if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
        return False
    return f"builtins.{expected}" in classes


def _one_call(case):
    return [(case["args"], case["kwargs"])]


@dataclass(frozen=True)
class Kind:
    """One kind of check.

    calls:   case -> [(args, kwargs)] to call the student's function with in the sandbox.
    expect:  case -> the expected answer, computed before any student code runs.
    passes:  (case, expected, [raw answer per call]) -> bool; may raise InvalidAnswer.
    shows:   (case, expected) -> what was checked, in words, for the feedback.
    needs_values: its points count only when the same function's value checks all pass (so do a
                  value check's whose answer is a landmark a constant gives: see `landmark`).
    """
    calls: Callable
    expect: Callable
    passes: Callable
    shows: Callable
    needs_values: bool = False
    gives_values: bool = True


KINDS = {
    "close": Kind(_one_call, _reference, _close,
                  lambda c, e: f"close to {_fmt(e)} (rtol {c.get('rtol', DEFAULT_RTOL):g}, atol {c.get('atol', DEFAULT_ATOL):g})"),
    "mc": Kind(_one_call, _mc_reference, _mc,
               lambda c, e: (f"(estimate, stderr) on the draws the question fixes: {_fmt(e)} "
                             f"(rtol {MC_RTOL[0]:g} and {MC_RTOL[1]:g})")),
    "equals": Kind(_one_call, lambda c: c["expected"], _equals, lambda c, e: f"equal to {e!r}"),
    "raises": Kind(_one_call, lambda c: c["error"], _raises,
                   lambda c, e: f"raises {e} (these points count only when the same function's values are right)",
                   needs_values=True, gives_values=False),
}
VALUE_KINDS = {name for name, kind in KINDS.items() if kind.gives_values}


def _fmt(array):
    text = np.array2string(np.asarray(array), precision=10, threshold=20)
    return text if len(text) < 300 else text[:300] + "..."


def validate_cases(cases):
    """Fill in defaults and refuse a malformed table of hidden tests."""
    for case in cases:
        if case.get("check") not in KINDS:
            raise ValueError(f"unknown check {case.get('check')!r} in {case}")
        case.setdefault("args", [])
        case.setdefault("kwargs", {})
    return cases


def landmark(expected):
    """An expected answer that a constant gives: every number whole or infinite (inf, 0, exactly 1 bit)."""
    return (isinstance(expected, np.ndarray) and expected.size > 0
            and bool(np.all(~np.isfinite(expected) | (expected == np.round(expected)))))


def _depends(case, expected):
    """A case whose points count only when the same function's other value cases pass."""
    return KINDS[case["check"]].needs_values or landmark(expected)


def expected_answers(cases):
    """Every expected answer of a table of cases; call this before any submission runs.

    Refuses a table where a function's raises or landmark cases could earn points
    without one ordinary value case of the same function beside them.
    """
    expected = [KINDS[case["check"]].expect(case) for case in cases]
    ordinary = {c["call"] for c, e in zip(cases, expected) if c["check"] in VALUE_KINDS and not _depends(c, e)}
    for case, exp in zip(cases, expected):
        if _depends(case, exp) and case["call"] not in ordinary:
            raise ValueError(f"{case['call']} has only {case['check']} cases whose answer a constant can give "
                             "(inf, a whole number) or that need values, and no ordinary value case to earn them with")
    return expected


def calls(cases, rng):
    """What the sandbox must call, in an order drawn from `rng`, and which case each call serves.

    Returns (calls, owners): calls[k] is {"call", "args", "kwargs"} and owners[k]
    the index of its case. Neither the check's kind nor the case's place travels.
    """
    jobs = [({"call": c["call"], "args": args, "kwargs": kwargs}, i)
            for i, c in enumerate(cases) for args, kwargs in KINDS[c["check"]].calls(c)]
    order = rng.permutation(len(jobs))
    return [jobs[k][0] for k in order], [jobs[k][1] for k in order]


# ---------------------------------------------------------------- scoring

@dataclass
class Result:
    case: dict
    expected: object
    answer: dict | None   # the first raw answer of the case's calls, for the feedback
    passed: bool
    note: str = ""        # in the grader's words
    detail: str = ""      # text that came from the sandbox (an error message): full feedback only


def _problem(case, answers):
    """(note, detail): why the raw answers of a case cannot pass, before looking at their values."""
    kind = KINDS[case["check"]]
    for answer in answers:
        if answer is None:
            return "no answer came back", ""
        if kind.gives_values and "value" not in answer:
            return "raised an exception", str(answer.get("error", ""))
        if case["check"] == "raises" and "value" in answer:
            return "returned a value instead of raising", ""
        if kind.gives_values and answer["value"] is None:
            return "returned None (does the function return its result?)", ""
    return "", ""


def judge(cases, expected, answers):
    """One Result per case; `answers[i]` lists the raw answers of case i's calls (None where
    none came back)."""
    results = []
    for case, exp, raw in zip(cases, expected, answers):
        passed, (note, detail) = False, _problem(case, raw)
        if not (note or detail):
            try:
                passed = bool(KINDS[case["check"]].passes(case, exp, raw))
            except (InvalidAnswer, KeyError, TypeError, AttributeError, ValueError) as error:
                note, detail = "not a valid answer", str(error)
        results.append(Result(case, exp, raw[0] if raw else None, passed, note, detail))
    _needing_values(results)
    return results


def _needing_values(results):
    """Raises and landmark cases count only when every other value case of the same function passed."""
    passed = [r.passed for r in results]
    for r in results:
        others = [ok for o, ok in zip(results, passed) if o is not r and o.case["call"] == r.case["call"]
                  and o.case["check"] in VALUE_KINDS]
        if _depends(r.case, r.expected) and r.passed and not all(others):
            r.passed = False
            r.note = f"right as far as it goes, but {r.case['call']} returns wrong values elsewhere"


def points(results):
    """Points per question, each clamped to the question's maximum."""
    earned, maximum = {}, {}
    for r in results:
        q = r.case["question"]
        maximum[q] = maximum.get(q, 0) + r.case["points"]
        earned[q] = earned.get(q, 0) + (r.case["points"] if r.passed else 0)
    return {q: max(0, min(earned[q], maximum[q])) for q in maximum}


def maximum(cases):
    return sum(case["points"] for case in cases)


__all__ = ["KINDS", "InvalidAnswer", "validate_cases", "landmark", "expected_answers", "calls", "judge", "points",
           "maximum"]
