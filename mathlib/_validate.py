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


def finite_array(x, name):
    """Return ``x`` as a float array, refusing ``nan`` and ``inf``."""
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be numeric ({err})") from None
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains nan or inf")
    return a


def probability_vector(p, name):
    """Check a distribution (or a batch of them) along the last axis."""
    a = finite_array(p, name)
    if a.ndim == 0 or a.shape[-1] == 0:
        raise ValueError(f"{name} must have at least one outcome along its last axis")
    if np.any(a < 0):
        raise ValueError(f"{name} has negative probabilities")
    sums = a.sum(axis=-1)
    if np.any(np.abs(sums - 1.0) > SUM_TOL):
        worst = sums.flat[np.argmax(np.abs(sums - 1.0))]
        raise ValueError(f"{name} does not sum to 1 along its last axis (a sum is {worst!r})")
    return a


def unit_interval(p, name):
    """Check probabilities of a binary outcome: every entry in [0, 1]."""
    a = finite_array(p, name)
    if np.any((a < 0) | (a > 1)):
        raise ValueError(f"{name} must lie in [0, 1]")
    return a


def positive(x, name):
    """Check a strictly positive quantity such as a variance."""
    a = finite_array(x, name)
    if np.any(a <= 0):
        raise ValueError(f"{name} must be positive (got a value <= 0)")
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
    return a


def covariance(sigma, name):
    """Check a covariance (or a batch); return it as an array with its lower Cholesky factor.

    The factor is the only route from a covariance to solves and
    log-determinants in :mod:`mathlib`; the checks name ``name`` and say
    whether it is not square, not symmetric or not positive definite.
    """
    a = finite_array(sigma, name)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{name} must be a square matrix of shape (..., m, m), got shape {a.shape}")
    if not _is_symmetric(a):
        raise ValueError(f"{name} is not symmetric")
    try:
        if a.ndim == 2:  # one matrix: LAPACK directly, without a second finiteness scan
            return a, scipy.linalg.cholesky(a, lower=True, check_finite=False)
        if a.shape[-1] <= 2:  # a batch of tiny matrices: the factor in closed form
            return a, _cholesky_tiny(a)
        return a, np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        raise ValueError(f"{name} is not positive definite") from None


def _cholesky_tiny(a):
    """Cholesky factors of a batch of 1 x 1 or 2 x 2 matrices, entry by entry."""
    L = np.zeros_like(a)
    with np.errstate(invalid="ignore", divide="ignore"):
        L[..., 0, 0] = np.sqrt(a[..., 0, 0])
        pivots = [a[..., 0, 0]]
        if a.shape[-1] == 2:
            L[..., 1, 0] = a[..., 1, 0] / L[..., 0, 0]
            pivots.append(a[..., 1, 1] - L[..., 1, 0] ** 2)
            L[..., 1, 1] = np.sqrt(pivots[-1])
    if not all(np.all(p > 0) for p in pivots):
        raise np.linalg.LinAlgError("not positive definite")
    return L


def _is_symmetric(a):
    """Symmetric to a relative tolerance, the scale being the largest diagonal entry.

    (For a positive definite matrix no entry exceeds the largest diagonal one.)
    """
    m = a.shape[-1]
    if a.ndim > 2 and m <= 2:  # a batch of tiny matrices: one pair of entries each
        tol = SYMMETRY_TOL * np.maximum(np.abs(a[..., 0, 0]), np.abs(a[..., -1, -1]))
        return m == 1 or bool(np.all(np.abs(a[..., 0, 1] - a[..., 1, 0]) <= tol))
    tol = SYMMETRY_TOL * np.max(np.abs(np.diagonal(a, axis1=-2, axis2=-1)), axis=-1, initial=0.0)
    if a.ndim == 2:
        return bool(np.all(np.abs(a - a.T) <= tol))
    # A batch: compare the two triangles through flat indices, one gather per triangle.
    upper, lower = np.triu_indices(m, 1)
    flat = a.reshape(a.shape[:-2] + (m * m,))
    gap = np.abs(np.take(flat, upper * m + lower, axis=-1) - np.take(flat, lower * m + upper, axis=-1))
    return bool(np.all(gap <= tol[..., None]))


def matching_dimension(mu, L, names):
    """Check that a mean of shape (..., m) fits a factor of shape (..., m, m)."""
    if mu.shape[-1] != L.shape[-1]:
        raise ValueError(
            f"mismatched shapes: {names[0]} has dimension {mu.shape[-1]} "
            f"but {names[1]} is {L.shape[-1]}x{L.shape[-1]}"
        )
