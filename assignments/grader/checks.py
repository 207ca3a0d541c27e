"""The hidden tests: what each kind of check expects, how an answer is judged, and scores.

A test case is a dict with ``question``, ``points``, ``check`` (a key of ``KINDS``,
the one table of kinds: no kind is named anywhere else), ``call``, ``args``,
``kwargs`` and ``public``: the student's function and the inputs it is called with
(the page "Writing an assignment" lists every field). How code is written earns points only through what it does: a
question that asks for a method has cases on which other methods measurably
fail (determinants that under- or overflow, ill-conditioned covariances).

Everything here runs in the grader's own process. Expected answers are computed
by ``expected_answers`` from the master's own answers (``expect``) before any student code runs; an answer that comes back
from a sandbox is raw data that ``judge`` validates (types, shapes, sizes) before
comparing it with the expectation.
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np

MAX_NUMBERS = 10_000      # numbers in one answer, as in the runner
MC_RTOL = (1e-9, 1e-4)    # "mc": an estimate on the question's own draws, and its stderr (ddof 0 or 1), as recomputed here
MC_SE_WINDOW = 5          # "mc-stderr": an estimate must be this many of its own standard errors from the truth
MC_SE_RATIO = 2.0         # ... and its standard error within this factor of the master's estimator's
MC_SEEDS = 8              # ... called with this many seeds ...
MC_SCATTER = (0.3, 2.2)   # ... whose estimates' spread / mean stderr must fall in here
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


# ---------------------------------------------------------------- the kinds of check
#
# Each kind gets, for one case, the list of raw answers of its calls (one call, or
# MC_SEEDS for a Monte Carlo case); a raw answer is a dict with "value" or "error".
# The master's own answers (its solutions run in the sandbox at build time, "submission
# zero") come the same way, from `master_calls`, and `expect` turns them into the
# expected answer; a case may instead give it as `expected`, or name a `mathlib` function.

class MasterProblem(ValueError):
    """The master's solutions cannot give this case's expected answer; the message says why."""


def _value(answer, what="the master's solution"):
    """The value of a raw answer of the master, or MasterProblem saying what came back instead."""
    if answer is None:
        raise MasterProblem(f"{what} gave no answer (did an earlier cell fail, or did it run out of time?)")
    if "value" not in answer:
        raise MasterProblem(f"{what} raised {answer.get('error', 'an exception')}")
    if answer["value"] is None:
        raise MasterProblem(f"{what} returned None")
    return answer["value"]


def _mathlib(name, args, kwargs):
    import mathlib

    function = getattr(mathlib, name, None)
    if not callable(function):
        raise MasterProblem(f"mathlib has no function {name!r}")
    return function(*args, **kwargs)


def _reference(case, master):
    """The expected array: the case's own `expected`, mathlib's `reference`, or the master's answer."""
    if "expected" in case:
        return numbers(case["expected"])
    if "reference" in case:
        return np.asarray(_mathlib(case["reference"], case.get("ref_args", case["args"]),
                                   case.get("ref_kwargs", case["kwargs"])), dtype=float)
    try:
        return numbers(_value(master[0]))
    except InvalidAnswer as error:
        raise MasterProblem(f"the master's solution returned {error} (use check 'equals' for other values)") from None


def _close(case, expected, answers):
    got = numbers(answers[0]["value"])
    return got.shape == expected.shape and bool(np.allclose(
        got, expected, rtol=case.get("rtol", DEFAULT_RTOL), atol=case.get("atol", DEFAULT_ATOL)))


def _mc_draws_expected(case, master):
    """(estimate, stderr) on the draws the test fixes: the master's, or mathlib's `reference` estimator
    called with ``rng=np.random.default_rng(seed)``.

    The question says how to draw (assignment 2: ``z = np.random.default_rng(seed).standard_normal((n, m))``
    and ``x = mu1 + z @ L1.T``). An estimator has then one right answer, which no shortcut reaches:
    the closed form with noise of a plausible size (any statistical test of an estimate against
    the truth passes that) differs from it by about a standard error, and the check asks for
    agreement to rounding.
    """
    if "reference" in case:
        *args, seed = case["args"]
        estimate = _mathlib(case["reference"], args, {**case["kwargs"], "rng": np.random.default_rng(seed)})
        return np.array([estimate.estimate, estimate.stderr])
    try:
        pair = numbers(_value(master[0]))
    except InvalidAnswer as error:
        raise MasterProblem(f"the master's estimator returned {error}") from None
    if pair.shape != (2,):
        raise MasterProblem("the master's estimator must return a pair (estimate, stderr)")
    return pair


def _mc_draws(case, expected, answers):
    got = numbers(answers[0]["value"])
    return got.shape == (2,) and bool(np.all(np.abs(got - expected) <= np.multiply(MC_RTOL, np.abs(expected))))


def _mc_calls(case):
    """The estimator called with MC_SEEDS seeds: the case's own and the next ones."""
    *args, seed = case["args"]
    return [(args + [seed + i], case["kwargs"]) for i in range(MC_SEEDS)]


def _mc_master_calls(case):
    """The master's estimator on every seed, and its `truth` call when the truth comes from the master."""
    truth = case["truth"]
    extra = [(truth.get("args", []), truth.get("kwargs", {}))] if isinstance(truth, dict) and "call" in truth else []
    return [(args, kwargs, case["call"]) for args, kwargs in _mc_calls(case)] + [
        (args, kwargs, truth["call"]) for args, kwargs in extra]


def _mc_reference(case, master):
    """The exact value (a number, mathlib's, or the master's `truth` call) and the standard error of
    the master's own estimator with as many draws."""
    truth = case["truth"]
    if isinstance(truth, dict) and "call" in truth:
        exact = _value(master[-1], f"the master's {truth['call']}")
    elif isinstance(truth, dict):
        exact = _mathlib(truth["reference"], truth.get("args", []), truth.get("kwargs", {}))
    else:
        exact = truth
    try:
        pairs = np.array([numbers(_value(a)) for a in master[:MC_SEEDS]])
        exact = float(numbers(exact))
    except (InvalidAnswer, TypeError, ValueError) as error:
        raise MasterProblem(f"the Monte Carlo answers are not numbers ({error})") from None
    if pairs.shape != (MC_SEEDS, 2) or not np.all(pairs[:, 1] > 0):
        raise MasterProblem("the master's estimator must return a pair (estimate, stderr) with stderr > 0")
    return {"exact": exact, "stderr": float(pairs[:, 1].mean())}


def _mc(case, expected, answers):
    """Every seed's (estimate, stderr) near the truth, and the estimates scattered as stderr says.

    An estimator that returns the exact value with an invented standard error gives the same
    number for every seed: its scatter is zero, and it fails. (Noise of the right size passes:
    where the draws can be fixed, prefer "mc".)
    """
    pairs = np.array([numbers(a["value"]) for a in answers])
    if pairs.shape != (MC_SEEDS, 2) or not np.all(np.isfinite(pairs)) or np.any(pairs[:, 1] <= 0):
        return False
    estimates, stderrs = pairs[:, 0], pairs[:, 1]
    near = np.all(np.abs(estimates - expected["exact"]) < MC_SE_WINDOW * stderrs)
    honest_se = np.all((1 / MC_SE_RATIO < stderrs / expected["stderr"]) & (stderrs / expected["stderr"] < MC_SE_RATIO))
    scatter = estimates.std(ddof=1) / stderrs.mean()
    return bool(near and honest_se and MC_SCATTER[0] < scatter < MC_SCATTER[1])


def _literal_expected(case, master):
    if "expected" in case:
        return case["expected"]
    value = _value(master[0])
    if isinstance(value, list):
        try:
            numbers(value)
        except InvalidAnswer:
            raise MasterProblem("the master's solution returned a list that is not numbers") from None
    return value


def same(expected, got):
    """Exact equality, a number compared as a number (0.5 == 0.5, 3 == 3.0), an array with its shape."""
    if isinstance(expected, (bool, str)):
        return type(got) is type(expected) and got == expected
    if isinstance(expected, (int, float)):
        return isinstance(got, (int, float)) and not isinstance(got, bool) and float(got) == float(expected)
    if isinstance(expected, list):
        want, have = numbers(expected), numbers(got)
        return want.shape == have.shape and bool(np.array_equal(want, have))
    return False


def _equals(case, expected, answers):
    got = answers[0]["value"]
    if not isinstance(got, (str, bool, int, float, list)):
        raise InvalidAnswer(f"{type(got).__name__} where a string, bool, number or list was expected")
    return same(expected, got)


def _raises(case, expected, answers):
    classes = answers[0].get("classes")
    if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
        return False
    return f"builtins.{expected}" in classes


PROPERTY_TOL = 1e-9


def _spd(a, case):
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.size == 0 or not np.all(np.isfinite(a)):
        return False
    if not np.allclose(a, a.T, rtol=PROPERTY_TOL, atol=0):
        return False
    return bool(np.all(np.linalg.eigvalsh((a + a.T) / 2) > 0))


def _sums_to_one(a, case):
    return a.size > 0 and bool(np.all(a >= 0) and np.allclose(a.sum(axis=-1), 1.0, rtol=0, atol=PROPERTY_TOL))


def _in_interval(a, case):
    lo, hi = case["interval"]
    return bool(np.all((lo <= a) & (a <= hi)))


PROPERTIES = {"symmetric positive definite": _spd, "sums to one": _sums_to_one, "in interval": _in_interval}


def _properties(case):
    wanted = case["property"]
    return [wanted] if isinstance(wanted, str) else list(wanted)


def _property(case, expected, answers):
    got = numbers(answers[0]["value"])
    return all(PROPERTIES[name](got, case) for name in _properties(case))


def _one_call(case):
    return [(case["args"], case["kwargs"])]


def _own_calls(kind_calls):
    return lambda case: [(args, kwargs, case["call"]) for args, kwargs in kind_calls(case)]


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _interval(value):
    return (isinstance(value, list) and len(value) == 2 and all(map(_number, value)) and value[0] <= value[1])


def _truth(value):
    if _number(value):
        return True
    if not isinstance(value, dict) or len([k for k in ("call", "reference") if k in value]) != 1:
        return False
    return (set(value) <= {"call", "reference", "args", "kwargs"} and isinstance(value.get("args", []), list)
            and isinstance(value.get("kwargs", {}), dict))


# The fields each kind takes beyond call, args, kwargs, points and public: name -> (required,
# test of its value, what it must be, in words).
CLOSE_FIELDS = {
    "rtol": (False, lambda v: _number(v) and v >= 0, "a number of at least 0"),
    "atol": (False, lambda v: _number(v) and v >= 0, "a number of at least 0"),
    "expected": (False, lambda v: True, "the expected value"),
    "reference": (False, lambda v: isinstance(v, str), "the name of a mathlib function"),
    "ref_args": (False, lambda v: isinstance(v, list), "a list"),
    "ref_kwargs": (False, lambda v: isinstance(v, dict), "a dict"),
}


def _is_error(name):
    import builtins

    return isinstance(name, str) and isinstance(getattr(builtins, name, None), type) and issubclass(
        getattr(builtins, name), BaseException)


@dataclass(frozen=True)
class Kind:
    """One kind of check.

    calls:   case -> [(args, kwargs)] to call the student's function with in the sandbox.
    master_calls: case -> [(args, kwargs, function)] the master is called with at build time.
    expect:  (case, [raw answer of the master per master call]) -> the expected answer.
    passes:  (case, expected, [raw answer per call]) -> bool; may raise InvalidAnswer.
    shows:   (case, expected) -> what was checked, in words, for the feedback.
    fields:  the case's own fields (see CLOSE_FIELDS).
    load:    the expected answer as stored in a bundle (JSON) -> as `passes` takes it.
    needs_values: its points count only when the same function's value checks all pass (so do a
                  value check's whose answer is a landmark a constant gives: see `landmark`).
    """
    calls: Callable
    master_calls: Callable
    expect: Callable
    passes: Callable
    shows: Callable
    fields: dict
    load: Callable = lambda expected: expected
    needs_values: bool = False
    gives_values: bool = True


KINDS = {
    "close": Kind(_one_call, _own_calls(_one_call), _reference, _close,
                  lambda c, e: f"close to {_fmt(e)} (rtol {c.get('rtol', DEFAULT_RTOL):g}, atol {c.get('atol', DEFAULT_ATOL):g})",
                  CLOSE_FIELDS, load=lambda e: np.asarray(e, dtype=float)),
    "equals": Kind(_one_call, _own_calls(_one_call), _literal_expected, _equals, lambda c, e: f"equal to {e!r}",
                   {"expected": (False, lambda v: isinstance(v, (str, bool, int, float, list)),
                                 "a string, bool, number or list of numbers")}),
    "raises": Kind(_one_call, _own_calls(_one_call), lambda c, m: c["error"], _raises,
                   lambda c, e: f"raises {e} (these points count only when the same function's values are right)",
                   {"error": (True, _is_error, "the name of a built-in exception such as ValueError")},
                   needs_values=True, gives_values=False),
    "property": Kind(_one_call, _own_calls(_one_call), lambda c, m: _properties(c), _property,
                     lambda c, e: (" and ".join(p if p != "in interval" else f"in [{c['interval'][0]:g}, "
                                                f"{c['interval'][1]:g}]" for p in e)
                                   + " (these points count only when the same function's values are right)"),
                     {"property": (True, lambda v: all(p in PROPERTIES for p in ([v] if isinstance(v, str) else v))
                                   if isinstance(v, (str, list)) and v else False,
                                   "one of " + ", ".join(repr(p) for p in PROPERTIES) + " (or a list of them)"),
                      "interval": (False, _interval, "a list [low, high]")},
                     needs_values=True, gives_values=False),
    "mc": Kind(_one_call, _own_calls(_one_call), _mc_draws_expected, _mc_draws,
               lambda c, e: (f"(estimate, stderr) on the draws the question fixes: {_fmt(e)} "
                             f"(rtol {MC_RTOL[0]:g} and {MC_RTOL[1]:g})"),
               {"reference": (False, lambda v: isinstance(v, str), "the name of a mathlib estimator taking rng=")},
               load=lambda e: np.asarray(e, dtype=float)),
    "mc-stderr": Kind(_mc_calls, _mc_master_calls, _mc_reference, _mc,
               lambda c, e: (f"for each of {MC_SEEDS} seeds, (estimate, stderr) with the estimate within "
                             f"{MC_SE_WINDOW} standard errors of {e['exact']:.6g}, a stderr within a factor "
                             f"{MC_SE_RATIO:g} of {e['stderr']:.3g}, and estimates that differ from seed to "
                             f"seed as much as the stderr says"),
               {"truth": (True, _truth, "the exact value: a number, {\"call\": name, \"args\": [...]} "
                                        "(the master's function) or {\"reference\": name, \"args\": [...]} (mathlib's)")}),
}
VALUE_KINDS = {name for name, kind in KINDS.items() if kind.gives_values}
MC_KINDS = ("mc", "mc-stderr")
COMMON_FIELDS = {"call", "args", "kwargs", "points", "check", "public"}


def _fmt(array):
    text = np.array2string(np.asarray(array), precision=10, threshold=20)
    return text if len(text) < 300 else text[:300] + "..."


def validate_case(case):
    """(field, problem) for the first thing wrong with one case as written, or None. Fills in defaults."""
    if not isinstance(case, dict):
        return "", "a test must be a dict such as {\"call\": ..., \"args\": [...], \"points\": 1, \"check\": \"close\"}"
    if case.get("check") not in KINDS:
        return "check", (f"unknown check {case.get('check')!r}: it must be one of "
                         + ", ".join(repr(k) for k in KINDS))
    kind = KINDS[case["check"]]
    for field in case:
        if field not in COMMON_FIELDS | set(kind.fields) | {"question"}:
            return field, (f"a {case['check']!r} test has no field {field!r} (its fields: "
                           + ", ".join(sorted(COMMON_FIELDS | set(kind.fields))) + ")")
    if not isinstance(case.get("call"), str) or not case["call"].isidentifier():
        return "call", "must name the student's function, such as \"my_entropy\""
    if type(case.get("points")) is not int or case["points"] < 0:
        return "points", f"must be a whole number of at least 0, not {case.get('points')!r}"
    case.setdefault("args", [])
    case.setdefault("kwargs", {})
    case.setdefault("public", False)
    if not isinstance(case["args"], list):
        return "args", "must be a list of the function's positional arguments"
    if not isinstance(case["kwargs"], dict) or not all(isinstance(k, str) for k in case["kwargs"]):
        return "kwargs", "must be a dict of the function's keyword arguments"
    if not isinstance(case["public"], bool):
        return "public", "must be true or false"
    for field, (required, ok, words) in kind.fields.items():
        if required and field not in case:
            return field, f"a {case['check']!r} test needs {field!r}: {words}"
        if field in case and not ok(case[field]):
            return field, f"must be {words}, not {case[field]!r}"
    if case["check"] == "property" and ("in interval" in _properties(case)) != ("interval" in case):
        return "interval", "is given exactly when the property 'in interval' is asked for"
    if case["check"] in ("mc", "mc-stderr") and not (case["args"] and type(case["args"][-1]) is int):
        return "args", "a Monte Carlo test's last argument is the seed, a whole number"
    return None


def validate_cases(cases):
    """Fill in defaults and refuse a malformed table of tests (ValueError)."""
    for case in cases:
        problem = validate_case(case)
        if problem:
            raise ValueError(f"{problem[0]}: {problem[1]}" if problem[0] else problem[1])
    return cases


def landmark(expected):
    """An expected answer that a constant gives: every number whole or infinite (inf, 0, exactly 1 bit)."""
    return (isinstance(expected, np.ndarray) and expected.size > 0
            and bool(np.all(~np.isfinite(expected) | (expected == np.round(expected)))))


def _depends(case, expected):
    """A case whose points count only when the same function's other value cases pass."""
    return KINDS[case["check"]].needs_values or landmark(expected)


def master_calls(cases):
    """[(call, case index)] the master is called with at build time, in the order of the cases."""
    return [({"call": function, "args": args, "kwargs": kwargs}, i)
            for i, c in enumerate(cases) for args, kwargs, function in KINDS[c["check"]].master_calls(c)]


def expected_answers(cases, master=None):
    """Every expected answer of a table of cases, from the master's raw answers
    (master[i]: the raw answers of case i's master calls); call this before any submission runs.

    Raises MasterProblem (with the case's index as `.case`) where the master cannot give one, and
    ValueError for a table where a function's raises, property or landmark cases could earn points
    without one ordinary value case of the same function beside them.
    """
    expected = []
    for i, case in enumerate(cases):
        try:
            expected.append(KINDS[case["check"]].expect(case, master[i] if master else []))
        except (MasterProblem, IndexError) as error:
            problem = MasterProblem(str(error) if isinstance(error, MasterProblem) else "no answer from the master")
            problem.case = i
            raise problem from None
    ordinary = {c["call"] for c, e in zip(cases, expected) if c["check"] in VALUE_KINDS and not _depends(c, e)}
    for i, (case, exp) in enumerate(zip(cases, expected)):
        if _depends(case, exp) and case["call"] not in ordinary:
            error = ValueError(f"{case['call']} has only {case['check']} tests whose answer a constant can give "
                               "(inf, a whole number) or that need values, and no ordinary value test "
                               "(close, equals, mc or mc-stderr) to earn them with")
            error.case = i
            raise error
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
        if case["check"] != "raises" and "value" not in answer:
            return "raised an exception", str(answer.get("error", ""))
        if not kind.gives_values and case["check"] == "raises" and "value" in answer:
            return "returned a value instead of raising", ""
        if case["check"] != "raises" and answer.get("value", 0) is None:
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


__all__ = ["KINDS", "InvalidAnswer", "MasterProblem", "validate_cases", "validate_case", "master_calls", "same", "landmark", "expected_answers", "calls", "judge", "points",
           "maximum"]
