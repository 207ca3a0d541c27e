# Self-check: run this cell once, then `check("q1")` under each question, or `check_all()`.
# It runs the public tests only, on your functions, with NumPy; the grader also runs hidden tests.
import json as _json
import numpy as _np

_PUBLIC = _json.loads("{}")  # the public tests and their expected answers


def _holds(test, value):
    got = _np.asarray(value, dtype=float)
    if test["check"] == "close":
        want = _np.asarray(test["expected"], dtype=float)
        return got.shape == want.shape and bool(_np.allclose(got, want, rtol=test["rtol"], atol=test["atol"]))
    if test["check"] == "property":
        for name in test["property"]:
            if name == "sums to one" and not (got.size and _np.all(got >= 0)
                                               and _np.allclose(got.sum(axis=-1), 1, rtol=0, atol=1e-9)):
                return False
            if name == "in interval" and not _np.all((test["interval"][0] <= got) & (got <= test["interval"][1])):
                return False
            if name == "symmetric positive definite" and not (
                    got.ndim == 2 and got.shape[0] == got.shape[1] and _np.allclose(got, got.T, rtol=1e-9, atol=0)
                    and _np.all(_np.linalg.eigvalsh((got + got.T) / 2) > 0)):
                return False
        return True
    if test["check"] == "mc":   # on the draws the question fixes: equal to rounding
        want = _np.asarray(test["expected"], dtype=float)
        return got.shape == (2,) and bool(_np.all(_np.abs(got - want) <= _np.multiply(test["rtol"], _np.abs(want))))
    if test["check"] == "mc-stderr":   # one seed: within 5 of its own standard errors of the truth
        estimate, stderr = got
        return bool(stderr > 0 and abs(estimate - test["expected"]) < 5 * stderr)
    return False


def _passes(test):
    function = globals().get(test["call"])
    if not callable(function):
        return False, f"{test['call']} is not defined yet"
    try:
        value = function(*_json.loads(_json.dumps(test["args"])), **test["kwargs"])
    except Exception as error:
        if test["check"] == "raises":
            ok = any(c.__name__ == test["error"] for c in type(error).__mro__)
            return ok, "" if ok else f"raised {type(error).__name__}, not {test['error']}"
        return False, f"raised {type(error).__name__}: {error}"
    if test["check"] == "raises":
        return False, f"returned {value!r} instead of raising {test['error']}"
    if value is None or value is Ellipsis:
        return False, "returned None (does it return its result?)"
    try:
        if test["check"] == "equals":
            want = test["expected"]
            if isinstance(want, (bool, str)):
                ok = type(value) is type(want) and value == want
            else:
                ok = _np.asarray(value, dtype=float).shape == _np.shape(want) and bool(_np.all(
                    _np.asarray(value, dtype=float) == _np.asarray(want, dtype=float)))
        else:
            ok = _holds(test, value)
    except Exception as error:
        return False, f"returned something of the wrong form ({type(error).__name__})"
    return ok, "" if ok else f"returned {str(value)[:200]}"


def check(question):
    """Run one question's public tests and say what passed."""
    q = _PUBLIC[question]
    passed = 0
    for test in q["tests"]:
        ok, why = _passes(test)
        passed += ok
        call = f"{test['call']}({', '.join(map(repr, test['args']))})"
        print(f"  {'passed' if ok else 'FAILED'}: {call}" + (f": {why}" if why else ""))
    hidden = f"; the grader decides its {q['points']} point(s) with hidden tests too"
    print(f"{q['title']}: {passed} of {len(q['tests'])} public tests passed{hidden}")
    return passed == len(q["tests"])


def check_all():
    """Every question's public tests."""
    results = {question: check(question) for question in _PUBLIC}
    print(f"All questions: {sum(results.values())} of {len(results)} pass their public tests.")
