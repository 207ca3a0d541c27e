"""Input checks shared by every public function of :mod:`mathlib`.

Each helper either returns a clean float array or raises a ``ValueError``
whose message names the offending argument and says what is wrong with it.
Nothing here computes a result; the public modules call these first so that
bad input never turns into a silent ``nan``.
"""

import numpy as np

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


def cholesky(sigma, name):
    """Check a covariance (or a batch) and return its lower Cholesky factor.

    The factor is the only route from a covariance to solves and
    log-determinants in :mod:`mathlib`; the checks name ``name`` and say
    whether it is not square, not symmetric or not positive definite.
    """
    a = finite_array(sigma, name)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{name} must be a square matrix of shape (..., m, m), got shape {a.shape}")
    scale = np.max(np.abs(a), axis=(-2, -1), keepdims=True)
    if np.any(np.abs(a - np.swapaxes(a, -1, -2)) > SYMMETRY_TOL * scale):
        raise ValueError(f"{name} is not symmetric")
    try:
        return np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        raise ValueError(f"{name} is not positive definite") from None


def matching_dimension(mu, L, names):
    """Check that a mean of shape (..., m) fits a factor of shape (..., m, m)."""
    if mu.shape[-1] != L.shape[-1]:
        raise ValueError(
            f"mismatched shapes: {names[0]} has dimension {mu.shape[-1]} "
            f"but {names[1]} is {L.shape[-1]}x{L.shape[-1]}"
        )
