# Self-check: run this cell once, then `check("q1")` under each question, or `check_all()`.
# It runs the public tests only, on your functions, with NumPy, and compares their answers
# as the grader does; the grader also runs hidden tests.
def _selfcheck(public, names):
    import json

    # compare.py

    def as_sent(value):   # a value as the grader's sandbox sends it back
        if value is None or type(value) in (bool, int, str):
            return value
        return np.asarray(value, dtype=float).tolist()

    def passes(test):
        function = names.get(test["call"])
        if not callable(function):
            return False, f"{test['call']} is not defined yet"
        try:
            args, kwargs = json.loads(json.dumps([test["args"], test["kwargs"]]))
            value = function(*args, **kwargs)
        except Exception as error:
            if not test["expects_error"]:
                return False, f"raised {type(error).__name__}: {error}"
            classes = [f"{c.__module__}.{c.__qualname__}" for c in type(error).__mro__]
            ok = raised(classes, **test["with"])
            return ok, "" if ok else f"raised {type(error).__name__}, not {test['with']['error']}"
        if test["expects_error"]:
            return False, f"returned {value!r} instead of raising {test['with']['error']}"
        if value is None or value is Ellipsis:
            return False, "returned None (does it return its result?)"
        try:
            ok = COMPARISONS[test["compare"]](as_sent(value), **test["with"])
        except Exception as error:
            return False, f"returned something of the wrong form ({type(error).__name__})"
        return ok, "" if ok else f"returned {str(value)[:200]}"

    def expected(test):   # what a public test wants, in words
        given = test["with"]
        if test["expects_error"]:
            return f"raises {given['error']}"
        if "properties" in given:
            return "expected: " + ", ".join(given["properties"])
        if "exact" in given:
            return f"expected: (estimate, stderr) near {given['exact']!r}"
        want = given["expected"]
        if isinstance(want, (list, float)):   # numbers as NumPy prints them, -0.0 as 0.0
            want = np.asarray(want, dtype=float) + 0.0
            return f"expected {want if want.ndim else float(want)!r}"[:200]
        return f"expected {want!r}"[:200]

    def run(question):
        q = public[question]
        passed = 0
        for test in q["tests"]:
            ok, why = passes(test)
            passed += ok
            shown = [repr(a) for a in test["args"]] + [f"{k}={v!r}" for k, v in test["kwargs"].items()]
            call = f"{test['call']}({', '.join(shown)})"
            print(f"  {'passed' if ok else 'FAILED'}: {call}" + (f": {why}" if why else "") + f" ({expected(test)})")
        hidden = f"; the grader decides its {q['points']} point(s) with hidden tests too"
        print(f"{q['title']}: {passed} of {len(q['tests'])} public tests passed{hidden}")
        return passed == len(q["tests"])

    def check(question):
        """Run one question's public tests and say what passed (it returns nothing, so Jupyter shows
        only what it prints)."""
        run(question)

    def check_all():
        """Every question's public tests."""
        results = {question: run(question) for question in public}
        print(f"All questions: {sum(results.values())} of {len(results)} pass their public tests.")

    return check, check_all


import json as _json

check, check_all = _selfcheck(_json.loads("{}"), globals())
