"""The hidden tests: what each kind of check expects, how an answer is judged, and scores.

A test case is a dict with ``question``, ``points``, ``check`` (a key of ``KINDS``)
and, except for ``source``, ``call``, ``args`` and ``kwargs``: the student's
function and the inputs it is called with.

Everything here runs in the grader's own process. Expected answers are computed
by ``expected_answers`` before any student code runs; an answer that comes back
from a sandbox is raw data that ``judge`` validates (types, shapes, sizes) before
comparing it with the expectation.
"""

import ast
from dataclasses import dataclass
from typing import Callable

import numpy as np

MAX_NUMBERS = 10_000      # numbers in one answer, as in the runner
MC_SE_WINDOW = 5          # an MC estimate must be this many of its own standard errors from the truth
MC_SE_RATIO = 2.0         # ... and its standard error within this factor of mathlib's
DEFAULT_RTOL, DEFAULT_ATOL = 1e-7, 1e-10
# Names that reach code by a string: a function that uses them cannot be read statically.
DYNAMIC_ACCESS = {"getattr", "eval", "exec", "compile", "__import__", "importlib", "globals", "vars", "locals", "__dict__"}


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

def _reference(case):
    import mathlib

    function = getattr(mathlib, case["reference"])
    return np.asarray(function(*case.get("ref_args", case["args"]), **case.get("ref_kwargs", case["kwargs"])),
                      dtype=float)


def _close(case, expected, answer):
    got = numbers(answer["value"])
    return got.shape == expected.shape and bool(np.allclose(
        got, expected, rtol=case.get("rtol", DEFAULT_RTOL), atol=case.get("atol", DEFAULT_ATOL)))


def _mc_reference(case):
    """The exact KL and the standard error of mathlib's own estimate with the same draws."""
    import mathlib

    exact = mathlib.kl_mvn(*case["args"][:4])
    estimate = mathlib.mc_kl_mvn(*case["args"][:5], rng=np.random.default_rng(12345))
    return {"exact": float(exact), "stderr": float(estimate.stderr)}


def _mc(case, expected, answer):
    got = numbers(answer["value"])
    if got.shape != (2,) or not np.all(np.isfinite(got)) or got[1] <= 0:
        return False
    estimate, stderr = got
    return (abs(estimate - expected["exact"]) < MC_SE_WINDOW * stderr
            and 1 / MC_SE_RATIO < stderr / expected["stderr"] < MC_SE_RATIO)


def _equals(case, expected, answer):
    return literal(answer["value"]) == expected


def _raises(case, expected, answer):
    classes = answer.get("classes")
    if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
        return False
    return f"builtins.{expected}" in classes


def _source(case, expected, answer):
    return answer["value"]


@dataclass(frozen=True)
class Kind:
    """One kind of check.

    answer:  what the sandbox sends back for it: "array", "literal", "error", or
             None when the grader reads the notebook's text instead.
    expect:  case -> the expected answer, computed before any student code runs.
    passes:  (case, expected, answer) -> bool; may raise InvalidAnswer.
    shows:   (case, expected) -> what was checked, in words, for the feedback.
    """
    answer: str | None
    expect: Callable
    passes: Callable
    shows: Callable


KINDS = {
    "close": Kind("array", _reference, _close,
                  lambda c, e: f"close to {_fmt(e)} (rtol {c.get('rtol', DEFAULT_RTOL):g}, atol {c.get('atol', DEFAULT_ATOL):g})"),
    "mc": Kind("array", _mc_reference, _mc,
               lambda c, e: (f"(estimate, stderr) with the estimate within {MC_SE_WINDOW} standard errors of "
                             f"{e['exact']:.6g} and a stderr within a factor {MC_SE_RATIO:g} of {e['stderr']:.3g}")),
    "equals": Kind("literal", lambda c: c["expected"], _equals, lambda c, e: f"equal to {e!r}"),
    "raises": Kind("error", lambda c: c["error"], _raises,
                   lambda c, e: f"raises {e} (these points count only when the same function's values are right)"),
    "source": Kind(None, lambda c: None, _source, lambda c, e: _source_rule(c)),
}
VALUE_KINDS = {name for name, kind in KINDS.items() if kind.answer in ("array", "literal")}


def _source_rule(case):
    rule = [f"uses {', '.join(case['needs'])}"] if case.get("needs") else []
    rule += [f"does not use {', '.join(case['avoids'])}"] if case.get("avoids") else []
    return f"its code, as written in the notebook, {' and '.join(rule) or 'exists'}"


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
    valued = {c["call"] for c in cases if c["check"] in VALUE_KINDS}
    for case in cases:
        if case["check"] == "raises" and case["call"] not in valued:
            raise ValueError(f"{case['call']} has raises cases but no value cases to earn them with")
    return cases


def expected_answers(cases):
    """Every expected answer of a table of cases; call this before any submission runs."""
    return [KINDS[case["check"]].expect(case) for case in cases]


def calls(cases):
    """What the sandbox must call: every case that needs an answer from running code."""
    return [{"call": c["call"], "args": c["args"], "kwargs": c["kwargs"], "answer": KINDS[c["check"]].answer}
            for c in cases if KINDS[c["check"]].answer is not None]


# ---------------------------------------------------------------- reading the code itself

def _python(source):
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except (SyntaxError, ValueError):
        return None


def function_identifiers(cells, name):
    """Every identifier that the notebook's function `name` can reach, read from its text.

    The function and every top-level function it names (transitively) are read
    as written; None when `name` is not defined exactly once by a top-level
    ``def`` (rebinding it, by assignment or import, would let the code that runs
    differ from the code that is read).
    """
    defs, bindings = {}, {}
    for source in cells:
        tree = _python(source)
        for node in (tree.body if tree else []):
            targets = []
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                targets = [node.name]
                if isinstance(node, ast.FunctionDef):
                    defs[node.name] = node
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                targets = [(a.asname or a.name).split(".")[0] for a in node.names]
            else:
                targets = [n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]
            for target in targets:
                bindings[target] = bindings.get(target, 0) + 1
    if name not in defs or bindings.get(name) != 1:
        return None
    seen, todo, identifiers = set(), [name], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for node in ast.walk(defs[current]):
            if isinstance(node, ast.Name):
                identifiers.add(node.id)
                if node.id in defs and bindings.get(node.id) == 1:
                    todo.append(node.id)
            elif isinstance(node, ast.Attribute):
                identifiers.add(node.attr)
    return identifiers


def source_answer(case, cells):
    """The answer of a source check, decided from the notebook's text alone."""
    identifiers = function_identifiers(cells, case["call"])
    if identifiers is None:
        return {"value": False, "note": f"{case['call']} is not defined once by a top-level def"}
    missing = set(case.get("needs", [])) - identifiers
    used = (set(case.get("avoids", [])) | DYNAMIC_ACCESS) & identifiers
    notes = [f"does not use {', '.join(sorted(missing))}"] * bool(missing)
    notes += [f"uses {', '.join(sorted(used))}"] * bool(used)
    return {"value": not (missing or used), "note": "; ".join(notes)}


# ---------------------------------------------------------------- scoring

@dataclass
class Result:
    case: dict
    expected: object
    answer: dict | None
    passed: bool
    note: str = ""


def judge(cases, expected, answers):
    """One Result per case. `answers[k]` is the raw answer of case k, or None."""
    results = []
    for case, exp, answer in zip(cases, expected, answers):
        passed, note = False, ""
        if answer is None:
            note = "no answer came back"
        elif "value" not in answer and KINDS[case["check"]].answer != "error":
            note = f"raised {answer.get('error', 'an error')}" if "error" in answer else "no value"
        elif "value" in answer and KINDS[case["check"]].answer == "error":
            note = "returned a value instead of raising"
        elif answer.get("value", "") is None and KINDS[case["check"]].answer is not None:
            note = "returned None (does the function return its result?)"
        else:
            try:
                passed = bool(KINDS[case["check"]].passes(case, exp, answer))
            except (InvalidAnswer, KeyError, TypeError) as error:
                note = f"not a valid answer: {error}"
            note = note or answer.get("note", "")
        results.append(Result(case, exp, answer, passed, note))
    _raises_need_values(results)
    return results


def _raises_need_values(results):
    """A raises case counts only when every value case of the same function passed."""
    wrong = {r.case["call"] for r in results if r.case["check"] in VALUE_KINDS and not r.passed}
    for r in results:
        if r.case["check"] == "raises" and r.passed and r.case["call"] in wrong:
            r.passed = False
            r.note = f"raised as asked, but {r.case['call']} also returns wrong values elsewhere"


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


__all__ = ["KINDS", "InvalidAnswer", "validate_cases", "expected_answers", "calls", "source_answer",
           "judge", "points", "maximum"]
