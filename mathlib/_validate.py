"""Input checks shared by every public function of :mod:`mathlib`.

Each helper either returns a clean float array or raises a ``ValueError``
whose message names the offending argument and says what is wrong with it.
Nothing here computes a result; the public modules call these first so that
bad input never turns into a silent ``nan``.
"""

import numpy as np
import scipy.linalg

#: Relative tolerance for "sums to one" and for symmetry of a covariance.
SUM_TOL = 1e-9
SYMMETRY_TOL = 1e-10
#: Batches of covariances up to this size are factored in closed form, entry by entry.
CLOSED_FORM_MAX = 2


def _where(bad):
    """" at index i, j" for the first True entry of ``bad`` ("" for a scalar)."""
    if bad.ndim == 0:
        return ""
    index = np.unravel_index(np.argmax(bad), bad.shape)
    return " at index " + ", ".join(str(int(i)) for i in index)


def _first_value(a, bad):
    """The first offending entry of ``a`` and where it is, as ``"-1.0 at index 3"``."""
    return f"{float(a[np.unravel_index(np.argmax(bad), bad.shape)])!r}{_where(bad)}"


def _which(name, bad):
    """``name`` for one matrix, ``name[i]`` for the first bad one of a batch."""
    if bad.ndim == 0:
        return name
    index = np.unravel_index(np.argmax(bad), bad.shape)
    return f"{name}[{', '.join(str(int(i)) for i in index)}]"


def finite_array(x, name):
    """Return ``x`` as a float array, refusing ``nan`` and ``inf``."""
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be numeric ({err})") from None
    bad = ~np.isfinite(a)
    if np.any(bad):
        raise ValueError(f"{name} contains nan or inf (got {_first_value(a, bad)})")
    return a


def probability_vector(p, name):
    """Check a distribution (or a batch of them) along the last axis."""
    a = finite_array(p, name)
    if a.ndim == 0 or a.shape[-1] == 0:
        raise ValueError(f"{name} must have at least one outcome along its last axis")
    if np.any(a < 0):
        raise ValueError(f"{name} has negative probabilities (got {_first_value(a, a < 0)})")
    sums = a.sum(axis=-1)
    off = np.abs(sums - 1.0) > SUM_TOL
    if np.any(off):
        raise ValueError(f"{_which(name, off)} does not sum to 1 along its last axis "
                         f"(its sum is {float(sums[np.unravel_index(np.argmax(off), off.shape)])!r})")
    return a


def unit_interval(p, name):
    """Check probabilities of a binary outcome: every entry in [0, 1]."""
    a = finite_array(p, name)
    bad = (a < 0) | (a > 1)
    if np.any(bad):
        raise ValueError(f"{name} must lie in [0, 1], got {_first_value(a, bad)}")
    return a


def positive(x, name):
    """Check a strictly positive quantity such as a variance."""
    a = finite_array(x, name)
    if np.any(a <= 0):
        raise ValueError(f"{name} must be positive, got {_first_value(a, a <= 0)}")
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


def covariance(sigma, name):
    """Check a covariance (or a batch); return it as an array with its lower Cholesky factor.

    The factor is the only route from a covariance to solves and
    log-determinants in :mod:`mathlib`; the checks name ``name`` and say
    whether it is not square, not symmetric or not positive definite.
    """
    a = square_matrix(sigma, name)
    return a, cholesky(a, name)


def square_matrix(sigma, name):
    """Check a finite matrix (or a batch) of shape ``(..., m, m)``."""
    a = finite_array(sigma, name)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{name} must be a square matrix of shape (..., m, m), got shape {a.shape}")
    if a.shape[-1] == 0:
        raise ValueError(f"{name} is 0 x 0: a normal distribution needs m >= 1")
    return a


def cholesky(a, name):
    """Lower Cholesky factor of a square matrix (or a batch), checking that it is a covariance.

    Raises a ``ValueError`` naming ``name`` if a matrix is not symmetric or not
    positive definite.
    """
    if a.ndim > 2 and a.shape[-1] <= CLOSED_FORM_MAX:  # a batch of tiny matrices
        return _cholesky_tiny(a, name)
    _check_symmetric(a, name)
    try:
        if a.ndim == 2:  # one matrix: LAPACK directly, without a second finiteness scan
            return scipy.linalg.cholesky(a, lower=True, check_finite=False)
        return np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        raise ValueError(f"{_which(name, _not_positive_definite(a))} is not positive definite") from None


def tiny_pivots(a, name):
    r"""Check a batch of 1 x 1 or 2 x 2 covariances; return the entries of their factorisation.

    For :math:`\Sigma = [[a, b], [b, c]]` these are ``(a, b, p)`` with the second
    pivot :math:`p = c - b^2/a` (``(a,)`` for 1 x 1 matrices): the matrix is
    positive definite exactly when both pivots are positive, its determinant is
    :math:`a p`, and its Cholesky factor is :math:`[[\sqrt a, 0], [b/\sqrt a, \sqrt p]]`.
    """
    _check_symmetric(a, name)
    first = a[..., 0, 0]
    entries = (first,)
    if a.shape[-1] == 2:
        second = a[..., 1, 0]
        with np.errstate(invalid="ignore", divide="ignore"):
            entries = (first, second, a[..., 1, 1] - second * second / first)
    bad = np.logical_or.reduce([~(pivot > 0) for pivot in entries[::2]])
    if np.any(bad):
        raise ValueError(f"{_which(name, bad)} is not positive definite")
    return entries


def _cholesky_tiny(a, name):
    """Cholesky factors of a batch of 1 x 1 or 2 x 2 covariances, entry by entry."""
    entries = tiny_pivots(a, name)
    L = np.zeros_like(a)
    L[..., 0, 0] = np.sqrt(entries[0])
    if len(entries) == 3:
        L[..., 1, 0] = entries[1] / L[..., 0, 0]
        L[..., 1, 1] = np.sqrt(entries[2])
    return L


def _check_symmetric(a, name):
    """Symmetric exactly (the common case, checked first) or to a relative tolerance.

    The tolerance scales with the largest diagonal entry of each matrix (for a
    positive definite matrix no entry exceeds it).
    """
    transposed = np.swapaxes(a, -1, -2)
    if np.array_equal(a, transposed):
        return
    tol = SYMMETRY_TOL * np.max(np.abs(np.diagonal(a, axis1=-2, axis2=-1)), axis=-1, initial=0.0)
    bad = np.any(np.abs(a - transposed) > tol[..., None, None], axis=(-2, -1))
    if np.any(bad):
        raise ValueError(f"{_which(name, bad)} is not symmetric")


def _not_positive_definite(a):
    """Which matrices of a batch have no Cholesky factor (called only after a failure)."""
    bad = np.zeros(a.shape[:-2], dtype=bool)
    for index in np.ndindex(bad.shape):
        try:
            np.linalg.cholesky(a[index])
        except np.linalg.LinAlgError:
            bad[index] = True
    return bad


def matching_dimension(mu, L, names):
    """Check that a mean of shape (..., m) fits a factor of shape (..., m, m)."""
    if mu.shape[-1] != L.shape[-1]:
        raise ValueError(
            f"mismatched shapes: {names[0]} has dimension {mu.shape[-1]} "
            f"but {names[1]} is {L.shape[-1]}x{L.shape[-1]}"
        )
