"""The kinds of test: the fields each takes, the calls it makes, its expected answer, how it passes.

``KINDS`` is the one table of kinds (close, equals, raises, property, mc, mc-stderr): no kind is
named anywhere else. ``read_test`` makes a ``model.Test`` from a master's dict of fields, refusing a
malformed one with the field's name (the page "Writing an assignment" lists every field). Each kind
says which calls of the student's function a test makes in the sandbox (``calls``), which calls of
the master's solutions give its expected answer at build time (``master_calls``,
``expected_answers``: before any student code runs), how one raw answer passes (a comparison of
``compare``, which the student copy's self-check uses too) and what it checks, in words.
``score`` judges raw answers with them.

How code is written earns points only through what it does: a question that asks for a method
has tests on which other methods measurably fail (determinants that under- or overflow,
ill-conditioned covariances).
"""

import builtins
from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import compare
from .compare import InvalidAnswer, numbers
from .model import Test

MC_RTOL = (1e-9, 1e-4)    # "mc": an estimate on the question's own draws, and its stderr (ddof 0 or 1)
MC_SE_WINDOW = 5          # "mc-stderr": an estimate must be this many of its own standard errors from the truth
MC_SE_RATIO = 2.0         # ... and its standard error within this factor of the master's estimator's
MC_SEEDS = 8              # ... called with this many seeds ...
MC_SCATTER = (0.3, 2.2)   # ... whose estimates' spread / mean stderr must fall in here
DEFAULT_RTOL, DEFAULT_ATOL = 1e-7, 1e-10


class FieldError(ValueError):
    """A test as written that is malformed: `field` names the field ("" for the test itself)."""

    def __init__(self, field, message):
        self.field = field
        super().__init__(message)


class MasterProblem(ValueError):
    """The master's solutions cannot give a test's expected answer; the message says why."""


class TestRefused(ValueError):
    """A table of tests that cannot be graded with, because of its test number `index`; `of_master`: because
    of what the master's solution gave (a MasterProblem), not of the table."""

    def __init__(self, index, message, of_master=False):
        self.index, self.of_master = index, of_master
        super().__init__(message)


# ---------------------------------------------------------------- expected answers
#
# A kind's `expect` gets a test and the raw answers of its master calls (a raw answer is a dict
# with "value" or "error"): the master's solutions run in the sandbox at build time, "submission
# zero" (``expect``). A test may instead give its expected answer as `expected`, or name a
# `mathlib` function as `reference`.

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


def _reference(test, master):
    """The expected array: the test's own `expected`, mathlib's `reference`, or the master's answer."""
    if test.expected is not None:
        return numbers(test.expected)
    if test.reference is not None:
        return np.asarray(_mathlib(test.reference, test.args if test.ref_args is None else test.ref_args,
                                   test.kwargs if test.ref_kwargs is None else test.ref_kwargs), dtype=float)
    try:
        return numbers(_value(master[0]))
    except InvalidAnswer as error:
        raise MasterProblem(f"the master's solution returned {error} (use check 'equals' for other values)") from None


def _literal_expected(test, master):
    if test.expected is not None:
        return test.expected
    value = _value(master[0])
    if isinstance(value, list):
        try:
            numbers(value)
        except InvalidAnswer:
            raise MasterProblem("the master's solution returned a list that is not numbers") from None
    return value


def _mc_draws_expected(test, master):
    """(estimate, stderr) on the draws the test fixes: the master's, or mathlib's `reference` estimator
    called with ``rng=np.random.default_rng(seed)``.

    The question says how to draw (assignment 2: ``z = np.random.default_rng(seed).standard_normal((n, m))``
    and ``x = mu1 + z @ L1.T``). An estimator has then one right answer, which no shortcut reaches:
    the closed form with noise of a plausible size (any statistical test of an estimate against
    the truth passes that) differs from it by about a standard error, and the check asks for
    agreement to rounding.
    """
    if test.reference is not None:
        *args, seed = test.args
        estimate = _mathlib(test.reference, args, {**test.kwargs, "rng": np.random.default_rng(seed)})
        return np.array([estimate.estimate, estimate.stderr])
    try:
        pair = numbers(_value(master[0]))
    except InvalidAnswer as error:
        raise MasterProblem(f"the master's estimator returned {error}") from None
    if pair.shape != (2,):
        raise MasterProblem("the master's estimator must return a pair (estimate, stderr)")
    return pair


def _mc_reference(test, master):
    """The exact value (a number, mathlib's, or the master's `truth` call) and the standard error of
    the master's own estimator with as many draws."""
    truth = test.truth
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


# ---------------------------------------------------------------- calls

def _one_call(test):
    return [(test.args, test.kwargs)]


def _mc_calls(test):
    """The estimator called with MC_SEEDS seeds: the test's own and the next ones."""
    *args, seed = test.args
    return [(args + [seed + i], test.kwargs) for i in range(MC_SEEDS)]


def _mc_master_calls(test):
    """The master's estimator on every seed, and its `truth` call when the truth comes from the master."""
    truth = test.truth
    extra = [(truth.get("args", []), truth.get("kwargs", {}))] if isinstance(truth, dict) and "call" in truth else []
    return [(args, kwargs, test.call) for args, kwargs in _mc_calls(test)] + [
        (args, kwargs, truth["call"]) for args, kwargs in extra]


# ---------------------------------------------------------------- judging beyond one answer

def _mc(test, expected, answers):
    """Every seed's (estimate, stderr) near the truth, and the estimates scattered as stderr says.

    An estimator that returns the exact value with an invented standard error gives the same
    number for every seed: its scatter is zero, and it fails. (Noise of the right size passes:
    where the draws can be fixed, prefer "mc".)
    """
    if len(answers) != MC_SEEDS or not all(compare.near(a["value"], **_near(expected)) for a in answers):
        return False   # each seed's pair as the copy's self-check judges its one seed's
    pairs = np.array([numbers(a["value"]) for a in answers])
    estimates, stderrs = pairs[:, 0], pairs[:, 1]
    scatter = estimates.std(ddof=1) / stderrs.mean()
    return bool(MC_SCATTER[0] < scatter < MC_SCATTER[1])


def _near(expected):
    """compare.near's parameters for one seed of an mc-stderr test."""
    return {"exact": expected["exact"], "window": MC_SE_WINDOW, "stderr": expected["stderr"], "ratio": MC_SE_RATIO}


# ---------------------------------------------------------------- the fields of a test

def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _numbers(value):
    try:
        numbers(value)
        return True
    except InvalidAnswer:
        return False


def _interval(value):
    return isinstance(value, list) and len(value) == 2 and all(map(_number, value)) and value[0] <= value[1]


def _truth(value):
    if _number(value):
        return True
    if not isinstance(value, dict) or len([k for k in ("call", "reference") if k in value]) != 1:
        return False
    return (set(value) <= {"call", "reference", "args", "kwargs"} and isinstance(value.get("args", []), list)
            and isinstance(value.get("kwargs", {}), dict))


def _is_error(name):
    return isinstance(name, str) and isinstance(getattr(builtins, name, None), type) and issubclass(
        getattr(builtins, name), BaseException)


def _properties(value):
    names = [value] if isinstance(value, str) else value
    return isinstance(names, list) and bool(names) and all(p in compare.PROPERTIES for p in names)


def _interval_iff_asked(fields):
    if ("in interval" in _as_list(fields["property"])) != ("interval" in fields):
        return "interval", "is given exactly when the property 'in interval' is asked for"
    return None


def _seed_last(fields):
    if not (fields.get("args") and type(fields["args"][-1]) is int):
        return "args", "a Monte Carlo test's last argument is the seed, a whole number"
    return None


def _as_list(value):
    return [value] if isinstance(value, str) else list(value)


# A kind's own fields: name -> (required, test of its value, what it must be, in words).
NOT_NEGATIVE = (False, lambda v: _number(v) and v >= 0, "a number of at least 0")
MATHLIB = (False, lambda v: isinstance(v, str), "the name of a mathlib function")
CLOSE_FIELDS = {
    "rtol": NOT_NEGATIVE,
    "atol": NOT_NEGATIVE,
    "expected": (False, _numbers, "a number or a list of numbers"),
    "reference": MATHLIB,
    "ref_args": (False, lambda v: isinstance(v, list), "a list"),
    "ref_kwargs": (False, lambda v: isinstance(v, dict), "a dict"),
}


def _list(array):
    return np.asarray(array).tolist()


@dataclass(frozen=True)
class Kind:
    """One kind of test.

    fields:   its own fields (beyond call, args, kwargs, points, check and public), as CLOSE_FIELDS.
    expect:   (test, [raw answer of the master per master call]) -> the expected answer.
    compare:  the function of ``compare`` that judges one answer: compare(answer, **params).
    params:   (test, expected) -> its keyword arguments (plain JSON: the self-check gets them too).
    shows:    (test, expected) -> what is checked, in words.
    calls:    test -> [(args, kwargs)] to call the student's function with in the sandbox.
    master_calls: test -> [(args, kwargs, function)] the master is called with at build time
              (default: its calls, of the same function).
    passes:   (test, expected, [raw answer per call]) -> bool, where one answer is not enough.
    load:     the expected answer as stored in a bundle (JSON) -> as `expect` gave it.
    validate: the test's fields -> (field, problem) for what the fields say together, or None.
    raises:   its answers are exceptions (their class names), not values.
    needs_values: its points count only when the same function's value tests all pass (so do a
              value test's whose answer is a landmark a constant gives: see `landmark`).
    """
    fields: dict
    expect: Callable
    compare: Callable
    params: Callable
    shows: Callable
    calls: Callable = _one_call
    master_calls: Callable | None = None
    passes: Callable | None = None
    load: Callable = lambda expected: expected
    validate: Callable = lambda fields: None
    raises: bool = False
    needs_values: bool = False

    def judge(self, test, expected, answers):
        """Whether the raw answers of a test's calls pass (InvalidAnswer for an answer of the wrong form)."""
        if self.passes is not None:
            return self.passes(test, expected, answers)
        return self.compare(answers[0].get("classes" if self.raises else "value"), **self.params(test, expected))

    def calls_of_master(self, test):
        if self.master_calls is not None:
            return self.master_calls(test)
        return [(args, kwargs, test.call) for args, kwargs in self.calls(test)]


def tolerances(test):
    """(rtol, atol) of a test of a kind that has them, the defaults where it does not give them."""
    return (DEFAULT_RTOL if test.rtol is None else test.rtol), (DEFAULT_ATOL if test.atol is None else test.atol)


def _shown_properties(test, names):
    return " and ".join(p if p != "in interval" else f"in [{test.interval[0]:g}, {test.interval[1]:g}]" for p in names)


KINDS = {
    "close": Kind(
        CLOSE_FIELDS, _reference, compare.close,
        lambda t, e: {"expected": _list(e), "rtol": tolerances(t)[0], "atol": tolerances(t)[1]},
        lambda t, e: f"close to {_fmt(e)} (rtol {tolerances(t)[0]:g}, atol {tolerances(t)[1]:g})",
        load=lambda e: np.asarray(e, dtype=float)),
    "equals": Kind(
        {"expected": (False, lambda v: isinstance(v, (str, bool, int, float, list)),
                      "a string, bool, number or list of numbers")},
        _literal_expected, compare.equal, lambda t, e: {"expected": e}, lambda t, e: f"equal to {e!r}"),
    "raises": Kind(
        {"error": (True, _is_error, "the name of a built-in exception such as ValueError")},
        lambda t, m: t.error, compare.raised, lambda t, e: {"error": e}, lambda t, e: f"raises {e}",
        raises=True, needs_values=True),
    "property": Kind(
        {"property": (True, _properties, "one of " + ", ".join(repr(p) for p in compare.PROPERTIES)
                      + " (or a list of them)"),
         "interval": (False, _interval, "a list [low, high]")},
        lambda t, m: list(t.property), compare.has, lambda t, e: {"properties": list(e), "interval": t.interval},
        _shown_properties, validate=_interval_iff_asked, needs_values=True),
    "mc": Kind(
        {"reference": (False, lambda v: isinstance(v, str), "the name of a mathlib estimator taking rng=")},
        _mc_draws_expected, compare.draws, lambda t, e: {"expected": _list(e), "rtol": list(MC_RTOL)},
        lambda t, e: (f"(estimate, stderr) on the draws the question fixes: {_fmt(e)} "
                      f"(rtol {MC_RTOL[0]:g} and {MC_RTOL[1]:g})"),
        load=lambda e: np.asarray(e, dtype=float), validate=_seed_last),
    # The self-check calls it with the test's one seed: an estimate near the truth (compare.near).
    "mc-stderr": Kind(
        {"truth": (True, _truth, "the exact value: a number, {\"call\": name, \"args\": [...]} "
                                 "(the master's function) or {\"reference\": name, \"args\": [...]} (mathlib's)")},
        _mc_reference, compare.near, lambda t, e: _near(e),
        lambda t, e: (f"for each of {MC_SEEDS} seeds, (estimate, stderr) with the estimate within "
                      f"{MC_SE_WINDOW} standard errors of {e['exact']:.6g}, a stderr within a factor "
                      f"{MC_SE_RATIO:g} of {e['stderr']:.3g}, and estimates that differ from seed to "
                      f"seed as much as the stderr says"),
        calls=_mc_calls, master_calls=_mc_master_calls, passes=_mc, validate=_seed_last),
}
VALUE_KINDS = [name for name, kind in KINDS.items() if not kind.needs_values]
COMMON_FIELDS = {"call", "args", "kwargs", "points", "check", "public"}


def _fmt(array):
    text = np.array2string(np.asarray(array), precision=10, threshold=20)
    return text if len(text) < 300 else text[:300] + "..."


def compact(value, limit=100, digits=6):
    """A value on one line of at most `limit` characters: numbers to `digits` significant digits, long arrays
    elided."""
    try:
        array = numbers(value.tolist() if isinstance(value, np.ndarray) else value)
        text = np.array2string(array, threshold=12, edgeitems=2, separator=", ", max_line_width=10**6,
                               formatter={"float_kind": lambda x: f"{x:.{digits}g}"}) if array.ndim else \
            f"{float(array):.{digits}g}"
    except InvalidAnswer:
        text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _or(names):
    return ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]


def read_test(fields, question, cell=None, index=None):
    """The Test that a master's dict of fields writes, under `question`; FieldError naming the first
    field that is wrong."""
    if not isinstance(fields, dict):
        raise FieldError("", "a test must be a dict such as {\"call\": ..., \"args\": [...], \"points\": 1, "
                             "\"check\": \"close\"}")
    if fields.get("check") not in KINDS:
        raise FieldError("check", f"unknown check {fields.get('check')!r}: it must be one of "
                         + ", ".join(repr(k) for k in KINDS))
    kind = KINDS[fields["check"]]
    for field in fields:
        if field not in COMMON_FIELDS | set(kind.fields):
            raise FieldError(field, f"a {fields['check']!r} test has no field {field!r} (its fields: "
                             + ", ".join(sorted(COMMON_FIELDS | set(kind.fields))) + ")")
    if not isinstance(fields.get("call"), str) or not fields["call"].isidentifier():
        raise FieldError("call", "must name the student's function, such as \"my_entropy\"")
    if type(fields.get("points")) is not int or fields["points"] < 0:
        raise FieldError("points", f"must be a whole number of at least 0, not {fields.get('points')!r}")
    fields = {"args": [], "kwargs": {}, "public": False, **fields}
    if not isinstance(fields["args"], list):
        raise FieldError("args", "must be a list of the function's positional arguments")
    if not isinstance(fields["kwargs"], dict) or not all(isinstance(k, str) for k in fields["kwargs"]):
        raise FieldError("kwargs", "must be a dict of the function's keyword arguments")
    if not isinstance(fields["public"], bool):
        raise FieldError("public", "must be true or false")
    if fields["public"] and fields["points"]:
        raise FieldError("points", f"a public test must have 0 points, not {fields['points']}: its expected value is "
                         "in the student's copy, where returning it would earn them; put the points on hidden tests")
    for field, (required, ok, words) in kind.fields.items():
        if required and field not in fields:
            raise FieldError(field, f"a {fields['check']!r} test needs {field!r}: {words}")
        if field in fields and not ok(fields[field]):
            raise FieldError(field, f"must be {words}, not {fields[field]!r}")
    problem = kind.validate(fields)
    if problem:
        raise FieldError(*problem)
    if "property" in fields:
        fields["property"] = _as_list(fields["property"])
    return Test(question=question, cell=cell, index=index, **fields)


def landmark(expected):
    """An expected answer that a constant gives: a bool, a string (one of a few classes), or numbers all
    whole or infinite (inf, 0, exactly 1 bit), alone or in lists."""
    if isinstance(expected, (bool, str)):
        return True
    if isinstance(expected, (int, float, list)):   # an ``equals`` test's literal
        try:
            expected = numbers(expected)
        except InvalidAnswer:
            return False
    return (isinstance(expected, np.ndarray) and expected.size > 0
            and bool(np.all(~np.isfinite(expected) | (expected == np.round(expected)))))


def depends(test, expected):
    """A test whose points count only when the same function's other value tests pass."""
    return KINDS[test.check].needs_values or landmark(expected)


def shows(test, expected, condition=True):
    """What a test checks, in words; with `condition`, also when its points count, if not always."""
    words = KINDS[test.check].shows(test, expected)
    if condition and depends(test, expected):
        words += " (these points count only when the same function's values are right)"
    return words


def master_calls(tests):
    """[(call, test index)] the master is called with at build time, in the order of the tests."""
    return [({"call": function, "args": args, "kwargs": kwargs}, i)
            for i, t in enumerate(tests) for args, kwargs, function in KINDS[t.check].calls_of_master(t)]


def expected_answers(tests, master=None):
    """Every expected answer of a table of tests, from the master's raw answers
    (master[i]: the raw answers of test i's master calls); call this before any submission runs.

    TestRefused names the test where the master cannot give its answer, and a table where a
    function's raises, property or landmark tests could earn points without one ordinary value
    test of the same function beside them.
    """
    expected = []
    for i, test in enumerate(tests):
        try:
            expected.append(KINDS[test.check].expect(test, master[i] if master else []))
        except MasterProblem as error:
            raise TestRefused(i, str(error), of_master=True) from None
        except IndexError:
            raise TestRefused(i, "no answer from the master") from None
    ordinary = {t.call for t, e in zip(tests, expected) if not depends(t, e)}
    answers = {}   # function -> the distinct answers of its value tests: no one constant gives two
    for t, e in zip(tests, expected):
        if not KINDS[t.check].needs_values:
            answers.setdefault(t.call, set()).add(repr(_list(e)))
    for i, (test, exp) in enumerate(zip(tests, expected)):
        if depends(test, exp) and test.call not in ordinary and len(answers.get(test.call, ())) < 2:
            raise TestRefused(i, f"{test.call} has only {test.check} tests whose answer a constant can give "
                              "(a bool, a string, inf, a whole number) or that need values, and no ordinary "
                              f"value test ({_or(VALUE_KINDS)}) nor two value tests of different answers to "
                              "earn them with")
    return expected


def calls(tests, rng):
    """What the sandbox must call, in an order drawn from `rng`, and which test each call serves.

    Returns (calls, owners): calls[k] is {"call", "args", "kwargs"} and owners[k]
    the index of its test. Neither the test's kind nor its place travels.
    """
    jobs = [({"call": t.call, "args": args, "kwargs": kwargs}, i)
            for i, t in enumerate(tests) for args, kwargs in KINDS[t.check].calls(t)]
    order = rng.permutation(len(jobs))
    return [jobs[k][0] for k in order], [jobs[k][1] for k in order]
