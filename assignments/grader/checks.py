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
MC_SEEDS = 8              # an MC case calls the estimator with this many seeds ...
MC_SCATTER = (0.3, 2.2)   # ... whose estimates' spread / mean stderr must fall in here
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
#
# Each kind gets, for one case, the list of raw answers of its calls (one call, or
# MC_SEEDS for a Monte Carlo case); a raw answer is a dict with "value" or "error".

def _reference(case):
    import mathlib

    function = getattr(mathlib, case["reference"])
    return np.asarray(function(*case.get("ref_args", case["args"]), **case.get("ref_kwargs", case["kwargs"])),
                      dtype=float)


def _close(case, expected, answers):
    got = numbers(answers[0]["value"])
    return got.shape == expected.shape and bool(np.allclose(
        got, expected, rtol=case.get("rtol", DEFAULT_RTOL), atol=case.get("atol", DEFAULT_ATOL)))


def _mc_calls(case):
    """The estimator called with MC_SEEDS seeds: the case's own and the next ones."""
    *args, seed = case["args"]
    return [(args + [seed + i], case["kwargs"]) for i in range(MC_SEEDS)]


def _mc_reference(case):
    """The exact KL and the standard error of mathlib's own estimate with as many draws."""
    import mathlib

    exact = mathlib.kl_mvn(*case["args"][:4])
    estimate = mathlib.mc_kl_mvn(*case["args"][:5], rng=np.random.default_rng(12345))
    return {"exact": float(exact), "stderr": float(estimate.stderr)}


def _mc(case, expected, answers):
    """Every seed's (estimate, stderr) near the truth, and the estimates scattered as stderr says.

    An estimator that returns the exact value with an invented standard error
    gives the same number for every seed: its scatter is zero, and it fails.
    """
    pairs = np.array([numbers(a["value"]) for a in answers])
    if pairs.shape != (MC_SEEDS, 2) or not np.all(np.isfinite(pairs)) or np.any(pairs[:, 1] <= 0):
        return False
    estimates, stderrs = pairs[:, 0], pairs[:, 1]
    near = np.all(np.abs(estimates - expected["exact"]) < MC_SE_WINDOW * stderrs)
    honest_se = np.all((1 / MC_SE_RATIO < stderrs / expected["stderr"]) & (stderrs / expected["stderr"] < MC_SE_RATIO))
    scatter = estimates.std(ddof=1) / stderrs.mean()
    return bool(near and honest_se and MC_SCATTER[0] < scatter < MC_SCATTER[1])


def _equals(case, expected, answers):
    return literal(answers[0]["value"]) == expected


def _raises(case, expected, answers):
    classes = answers[0].get("classes")
    if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
        return False
    return f"builtins.{expected}" in classes


def _source(case, expected, answers):
    return answers[0]["value"] is True


def _one_call(case):
    return [(case["args"], case["kwargs"])]


@dataclass(frozen=True)
class Kind:
    """One kind of check.

    calls:   case -> [(args, kwargs)] to call the student's function with in the
             sandbox, or None when the grader reads the notebook's text instead.
    expect:  case -> the expected answer, computed before any student code runs.
    passes:  (case, expected, [raw answer per call]) -> bool; may raise InvalidAnswer.
    shows:   (case, expected) -> what was checked, in words, for the feedback.
    needs_values: its points count only when the same function's value checks all pass.
    """
    calls: Callable | None
    expect: Callable
    passes: Callable
    shows: Callable
    needs_values: bool = False
    gives_values: bool = True


KINDS = {
    "close": Kind(_one_call, _reference, _close,
                  lambda c, e: f"close to {_fmt(e)} (rtol {c.get('rtol', DEFAULT_RTOL):g}, atol {c.get('atol', DEFAULT_ATOL):g})"),
    "mc": Kind(_mc_calls, _mc_reference, _mc,
               lambda c, e: (f"for each of {MC_SEEDS} seeds, (estimate, stderr) with the estimate within "
                             f"{MC_SE_WINDOW} standard errors of {e['exact']:.6g}, a stderr within a factor "
                             f"{MC_SE_RATIO:g} of {e['stderr']:.3g}, and estimates that differ from seed to "
                             f"seed as much as the stderr says")),
    "equals": Kind(_one_call, lambda c: c["expected"], _equals, lambda c, e: f"equal to {e!r}"),
    "raises": Kind(_one_call, lambda c: c["error"], _raises,
                   lambda c, e: f"raises {e} (these points count only when the same function's values are right)",
                   needs_values=True, gives_values=False),
    "source": Kind(None, lambda c: None, _source, lambda c, e: _source_rule(c), needs_values=True,
                   gives_values=False),
}
VALUE_KINDS = {name for name, kind in KINDS.items() if kind.gives_values}


def _source_rule(case):
    rule = [f"uses {', '.join(case['needs'])}"] if case.get("needs") else []
    rule += [f"does not use {', '.join(case['avoids'])}"] if case.get("avoids") else []
    return (f"its code, as written in the notebook, {' and '.join(rule) or 'exists'} "
            "(these points count only when the same function's values are right)")


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
        if KINDS[case["check"]].needs_values and case["call"] not in valued:
            raise ValueError(f"{case['call']} has {case['check']} cases but no value cases to earn them with")
    return cases


def expected_answers(cases):
    """Every expected answer of a table of cases; call this before any submission runs."""
    return [KINDS[case["check"]].expect(case) for case in cases]


def calls(cases, rng):
    """What the sandbox must call, in an order drawn from `rng`, and which case each call serves.

    Returns (calls, owners): calls[k] is {"call", "args", "kwargs"} and owners[k]
    the index of its case. Neither the check's kind nor the case's place travels.
    """
    jobs = [({"call": c["call"], "args": args, "kwargs": kwargs}, i)
            for i, c in enumerate(cases) if KINDS[c["check"]].calls
            for args, kwargs in KINDS[c["check"]].calls(c)]
    order = rng.permutation(len(jobs))
    return [jobs[k][0] for k in order], [jobs[k][1] for k in order]


# ---------------------------------------------------------------- reading the code itself

MAX_READ_BYTES = 64 << 10  # a notebook with more code than this is not read (its source checks fail)
RUNS_OTHER_CODE = {"run", "load", "loadpy"}  # line magics that bring in code the text does not show


def _python(source):
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _magic(node, method):
    """The arguments of a get_ipython().<method>(...) statement, if `node` is one."""
    call = node.value if isinstance(node, ast.Expr) else None
    if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr == method
            and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in call.args)):
        return [a.value for a in call.args]
    return None


def _statements(source, depth=0):
    """A cell's top-level statements, with the bodies of cell magics (%%capture ...) read as code too."""
    tree = _python(source)
    for node in (tree.body if tree else []):
        cell_magic = _magic(node, "run_cell_magic")
        if cell_magic is not None and len(cell_magic) == 3 and depth < 3:
            yield from _statements(cell_magic[2], depth + 1)
        else:
            yield node


def _names(node):
    """Identifiers a statement or expression mentions: names, attributes, imported names."""
    found = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            found.add(n.id)
        elif isinstance(n, ast.Attribute):
            found.add(n.attr)
        elif isinstance(n, ast.alias):
            found.update(n.name.split("."))
    return found


class NotebookReading:
    """What a notebook's code says, read once per submission, without running any of it."""

    def __init__(self, cells):
        self.problem = ""
        if sum(len(c) for c in cells) > MAX_READ_BYTES:
            self.problem = f"the notebook has more than {MAX_READ_BYTES >> 10} KiB of code, too much to read"
            return
        self.defs, self.other_bindings, self.count = {}, {}, {}
        statements = [node for source in cells for node in _statements(source)]
        everything = set().union(*(_names(node) for node in statements)) if statements else set()
        magics = {m[0] for node in statements if (m := _magic(node, "run_line_magic"))}
        if everything & DYNAMIC_ACCESS or magics & RUNS_OTHER_CODE:
            used = sorted(everything & DYNAMIC_ACCESS | magics & RUNS_OTHER_CODE)
            self.problem = f"the notebook uses {', '.join(used)}, so its code cannot be read as written"
            return
        for node in statements:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                targets = [node.name]
                if isinstance(node, ast.FunctionDef):
                    self.defs[node.name] = node
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                targets = [(a.asname or a.name).split(".")[0] for a in node.names]
            else:
                targets = [n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]
            for target in targets:
                self.count[target] = self.count.get(target, 0) + 1
                if target not in self.defs or self.defs[target] is not node:
                    self.other_bindings.setdefault(target, []).append(node)

    def identifiers(self, name):
        """Every identifier function `name` can reach as written: its body, the top-level
        functions it names, and the statements that bind the other top-level names it uses.
        None when `name` is not defined exactly once, by a top-level def."""
        if self.problem or name not in self.defs or self.count.get(name) != 1:
            return None
        seen, todo, found = set(), [name], set()
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            nodes = [self.defs[current]] if current in self.defs else self.other_bindings.get(current, [])
            for node in nodes:
                names = _names(node)
                found |= names
                todo += [n for n in names if n in self.defs or n in self.other_bindings]
        return found


def source_answer(case, reading):
    """The answer of a source check, decided from the notebook's text alone."""
    identifiers = reading.identifiers(case["call"])
    if identifiers is None:
        return {"value": False, "note": reading.problem or f"{case['call']} is not defined once by a top-level def"}
    missing = set(case.get("needs", [])) - identifiers
    used = set(case.get("avoids", [])) & identifiers
    notes = [f"does not use {', '.join(sorted(missing))}"] * bool(missing)
    notes += [f"uses {', '.join(sorted(used))}"] * bool(used)
    return {"value": not (missing or used), "note": "; ".join(notes)}


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
            if case["check"] == "source":
                note = str(raw[0].get("note", ""))
        results.append(Result(case, exp, raw[0] if raw else None, passed, note, detail))
    _needing_values(results)
    return results


def _needing_values(results):
    """Raises and source cases count only when every value case of the same function passed."""
    wrong = {r.case["call"] for r in results if r.case["check"] in VALUE_KINDS and not r.passed}
    for r in results:
        if KINDS[r.case["check"]].needs_values and r.passed and r.case["call"] in wrong:
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


__all__ = ["KINDS", "InvalidAnswer", "NotebookReading", "validate_cases", "expected_answers", "calls",
           "source_answer", "judge", "points", "maximum"]
