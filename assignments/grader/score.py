"""Step 6 of the pipeline: raw answers -> scores: each test judged on the raw answers of its calls
(a ``Result``), then points per question.

Everything here runs in the grader's own process. A raw answer is untrusted data from a sandbox
(``protocol``): a dict with "value", or "error" and "classes", or None where none came back. It is
validated (types, shapes, sizes) before it is compared with the expected answer, which was computed
before any submission ran (``checks.expected_answers``).
"""

from dataclasses import dataclass, replace

from .checks import KINDS, depends
from .compare import InvalidAnswer
from .model import Test


INVALID = "not a valid answer"   # the note of an answer of the wrong form (its detail says why)


@dataclass(frozen=True)
class Result:
    """How one test of a submission went."""
    test: Test
    expected: object
    answer: dict | None   # the first raw answer of the test's calls, for the feedback
    passed: bool
    note: str = ""        # in the grader's words
    detail: str = ""      # text that came from the sandbox (an error message): full feedback only
    gated: bool = False   # right, but not counted: the same function's other values are wrong


def _problem(test, answers):
    """(note, detail): why the raw answers of a test cannot pass, before looking at their values."""
    raises = KINDS[test.check].raises
    for answer in answers:
        if answer is None:
            return "no answer came back", ""
        if not raises and "value" not in answer:
            return "raised an exception", str(answer.get("error", ""))
        if raises and "value" in answer:
            return ("returned None instead of raising" if answer["value"] is None
                    else "returned a value instead of raising"), ""
        if not raises and answer.get("value", 0) is None:
            return "returned None (does the function return its result?)", ""
    return "", ""


def judge(tests, expected, answers):
    """One Result per test; `answers[i]` lists the raw answers of test i's calls (None where
    none came back)."""
    results = []
    for test, exp, raw in zip(tests, expected, answers):
        passed, (note, detail) = False, _problem(test, raw)
        if not (note or detail):
            try:
                passed = bool(KINDS[test.check].judge(test, exp, raw))
            except (InvalidAnswer, KeyError, TypeError, AttributeError, ValueError, ArithmeticError) as error:
                note, detail = INVALID, str(error)
        results.append(Result(test, exp, raw[0] if raw else None, passed, note, detail))
    return _needing_values(results)


def _needing_values(results):
    """Raises, property and landmark tests count only when every other value test of the same function passed."""
    out = []
    for r in results:
        others = [o.passed for o in results if o is not r and o.test.call == r.test.call
                  and not KINDS[o.test.check].needs_values]
        if depends(r.test, r.expected) and r.passed and not all(others):
            r = replace(r, passed=False, gated=True,
                        note=f"right as far as it goes, but {r.test.call} returns wrong values elsewhere")
        out.append(r)
    return out


def points(results):
    """Points per question, each clamped to the question's maximum."""
    earned, maximum = {}, {}
    for r in results:
        q = r.test.question
        maximum[q] = maximum.get(q, 0) + r.test.points
        earned[q] = earned.get(q, 0) + (r.test.points if r.passed else 0)
    return {q: max(0, min(earned[q], maximum[q])) for q in maximum}
