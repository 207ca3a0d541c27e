"""How one answer is compared with its expected answer: the one definition of each comparison.

The grader's kinds of test (``checks.KINDS``) judge raw answers with these functions, and
every student copy's self-check cell carries this file's text (``release``), so that the public
tests pass or fail in JupyterLab exactly as they do in grading. Hence NumPy only, nothing of the
grader. An answer is a raw answer's value as the runner sends it (``None``, a bool, int, float,
string, or nested lists of floats), or for ``raised`` the names of an exception's classes.
"""

import numpy as np

MAX_NUMBERS = 10_000   # numbers in one answer (the sandbox gives the runner this number too)
PROPERTY_TOL = 1e-9


class InvalidAnswer(ValueError):
    """An answer that is not of the form its comparison expects."""


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


def close(answer, expected, rtol, atol):
    """Numbers of the expected shape, equal to the expected ones within rtol and atol."""
    got, want = numbers(answer), np.asarray(expected, dtype=float)
    return got.shape == want.shape and bool(np.allclose(got, want, rtol=rtol, atol=atol))


def same(expected, got):
    """Exact equality, a number compared as a number (0.5 == 0.5, 3 == 3.0), an array with its shape."""
    if isinstance(expected, (bool, str)):
        return type(got) is type(expected) and got == expected
    if isinstance(expected, (int, float)):
        if not isinstance(got, (int, float)) or isinstance(got, bool):
            return False
        try:
            return float(got) == float(expected)
        except OverflowError:   # an integer beyond every float: not the number expected
            return False
    if isinstance(expected, list):
        want, have = numbers(expected), numbers(got)
        return want.shape == have.shape and bool(np.array_equal(want, have))
    return False


def equal(answer, expected):
    """A string, bool, number or list of numbers that is the expected value (see ``same``)."""
    if not isinstance(answer, (str, bool, int, float, list)):
        raise InvalidAnswer(f"{type(answer).__name__} where a string, bool, number or list was expected")
    return same(expected, answer)


def _spd(a, interval):
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.size == 0 or not np.all(np.isfinite(a)):
        return False
    if not np.allclose(a, a.T, rtol=PROPERTY_TOL, atol=0):
        return False
    return bool(np.all(np.linalg.eigvalsh((a + a.T) / 2) > 0))


def _sums_to_one(a, interval):
    return a.size > 0 and bool(np.all(a >= 0) and np.allclose(a.sum(axis=-1), 1.0, rtol=0, atol=PROPERTY_TOL))


def _in_interval(a, interval):
    return a.size > 0 and bool(np.all((interval[0] <= a) & (a <= interval[1])))


PROPERTIES = {"symmetric positive definite": _spd, "sums to one": _sums_to_one, "in interval": _in_interval}


def has(answer, properties, interval=None):
    """Numbers with every one of the named properties (``PROPERTIES``)."""
    got = numbers(answer)
    return all(PROPERTIES[name](got, interval) for name in properties)


def draws(answer, expected, rtol):
    """The pair (estimate, stderr) of the expected draws, each to its relative tolerance."""
    got, want = numbers(answer), np.asarray(expected, dtype=float)
    return got.shape == (2,) and bool(np.all(np.abs(got - want) <= np.multiply(rtol, np.abs(want))))


def near(answer, exact, window, stderr, ratio):
    """One pair (estimate, stderr) of finite numbers: the stderr within a factor `ratio` of the expected
    `stderr`, and the estimate within `window` stderrs of `exact`."""
    got = numbers(answer)
    if got.shape != (2,) or not np.all(np.isfinite(got)) or not got[1] > 0:
        return False
    return bool(abs(got[0] - exact) < window * got[1] and 1 / ratio < got[1] / stderr < ratio)


def raised(classes, error):
    """The class names of an exception (module.qualname) include the built-in `error`."""
    return isinstance(classes, list) and all(isinstance(c, str) for c in classes) and f"builtins.{error}" in classes


COMPARISONS = {f.__name__: f for f in (close, equal, has, draws, near, raised)}
