"""Input checks shared by every public function of :mod:`mathlib`.

Each helper either returns a clean float array (or nothing, for a pure check) or raises a ``ValueError``
whose message names the offending argument and says what is wrong with it.
Nothing here computes a result; the public modules call these first so that
bad input never turns into a silent ``nan``.
"""

import numpy as np

#: Tolerance for "sums to one".
SUM_TOL = 1e-9
#: Relative tolerance for the symmetry of a covariance.
SYMMETRY_TOL = 1e-10


def _first(bad, offset=0):
    """Index of the first True entry of ``bad``, and how to say where it is ("" for a scalar).

    ``offset`` is added to the first index where ``bad`` is a block of rows of a larger
    batch that starts there, so that the entry is named by its place in the whole batch.
    """
    index = np.unravel_index(np.argmax(bad), bad.shape)
    shown = [int(i) for i in index]
    if shown:
        shown[0] += offset
    return index, ", ".join(map(str, shown))


def first_value(a, bad):
    """The first offending entry of ``a`` and where it is, as ``"-1.0 at index 3"``."""
    index, where = _first(bad)
    return f"{a[index].item()!r}" + (f" at index {where}" if bad.ndim else "")


def which(name, bad, offset=0):
    """``name`` for one matrix, ``name[i]`` for the first bad one of a batch (see :func:`_first`)."""
    return f"{name}[{_first(bad, offset)[1]}]" if bad.ndim else name


def finite_array(x, name):
    """Return ``x`` as a float array, refusing ``nan`` and ``inf``."""
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be numeric ({err})") from None
    bad = ~np.isfinite(a)
    if np.any(bad):
        raise ValueError(f"{name} contains nan or inf (got {first_value(a, bad)})")
    return a


def probability_vector(p, name):
    """Check a distribution (or a batch of them) along the last axis."""
    a = finite_array(p, name)
    if a.ndim == 0 or a.shape[-1] == 0:
        raise ValueError(f"{name} must have at least one outcome along its last axis")
    if np.any(a < 0):
        raise ValueError(f"{name} has negative probabilities (got {first_value(a, a < 0)})")
    sums = a.sum(axis=-1)
    off = np.abs(sums - 1.0) > SUM_TOL
    if np.any(off):
        raise ValueError(f"{which(name, off)} does not sum to 1 along its last axis "
                         f"(its sum is {sums[_first(off)[0]].item()!r})")
    return a


def unit_interval(p, name):
    """Check probabilities of a binary outcome: every entry in [0, 1]."""
    a = finite_array(p, name)
    bad = (a < 0) | (a > 1)
    if np.any(bad):
        raise ValueError(f"{name} must lie in [0, 1], got {first_value(a, bad)}")
    return a


def positive(x, name):
    """Check a strictly positive quantity such as a variance."""
    a = finite_array(x, name)
    if np.any(a <= 0):
        raise ValueError(f"{name} must be positive, got {first_value(a, a <= 0)}")
    return a


def log_base(base):
    """Return ``log(base)``, the divisor that turns nats into ``base`` units.

    ``None`` means nats (divisor 1). Bits are ``base=2``, hartleys ``base=10``.
    """
    if base is None:
        return 1.0
    b = finite_array(base, "base")
    if b.ndim != 0:
        raise ValueError("base must be a scalar")
    if b <= 0 or b == 1:
        raise ValueError(f"base must be positive and different from 1 (got {float(b)!r})")
    return float(np.log(b))


def same_outcomes(p, q, names=("p", "q")):
    """Broadcast two batches of distributions that share an outcome axis."""
    if p.shape[-1] != q.shape[-1]:
        raise ValueError(
            f"{names[0]} and {names[1]} have mismatched shapes {p.shape} and {q.shape}: "
            "the last (outcome) axis must have the same length"
        )
    return broadcast(p, q, names=names)


def broadcast(*arrays, names):
    """Broadcast arrays against each other, naming them if that is impossible."""
    try:
        return np.broadcast_arrays(*arrays)
    except ValueError:
        shapes = ", ".join(f"{n} {a.shape}" for n, a in zip(names, arrays))
        raise ValueError(f"mismatched shapes: {shapes} do not broadcast") from None


def mean_vector(mu, name):
    """Check a mean vector (or a batch of them) of shape ``(..., m)``."""
    a = finite_array(mu, name)
    if a.ndim == 0:
        raise ValueError(f"{name} must be a vector of shape (..., m), got a scalar")
    if a.shape[-1] == 0:
        raise ValueError(f"{name} has no coordinates: a normal distribution needs m >= 1, got shape {a.shape}")
    return a


def square_matrix(sigma, name):
    """Check a finite matrix (or a batch) of shape ``(..., m, m)``."""
    a = finite_array(sigma, name)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{name} must be a square matrix of shape (..., m, m), got shape {a.shape}")
    if a.shape[-1] == 0:
        raise ValueError(f"{name} is 0 x 0: a normal distribution needs m >= 1")
    return a


def symmetric(a, name, offset=0):
    """Symmetric exactly (the common case, checked first) or to a relative tolerance.

    The tolerance scales with the largest diagonal entry of each matrix (for a
    positive definite matrix no entry exceeds it). ``offset``: see :func:`_first`.
    """
    transposed = np.swapaxes(a, -1, -2)
    if np.array_equal(a, transposed):
        return
    tol = SYMMETRY_TOL * np.max(np.abs(np.diagonal(a, axis1=-2, axis2=-1)), axis=-1, initial=0.0)
    bad = np.any(np.abs(a - transposed) > tol[..., None, None], axis=(-2, -1))
    if np.any(bad):
        raise ValueError(f"{which(name, bad, offset)} is not symmetric")


def matching_dimension(mu, matrix, names):
    """Check that a mean of shape (..., m) fits a matrix of shape (..., m, m)."""
    if mu.shape[-1] != matrix.shape[-1]:
        raise ValueError(
            f"mismatched shapes: {names[0]} has dimension {mu.shape[-1]} "
            f"but {names[1]} is {matrix.shape[-1]}x{matrix.shape[-1]}"
        )
