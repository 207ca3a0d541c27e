r"""Linear algebra on covariances through their Cholesky factors, for one matrix or a batch.

A covariance enters :mod:`mathlib` only through its lower Cholesky factor
:math:`L` (:math:`\Sigma = L L^\top`): the factorisation is also the check that
the matrix is positive definite. From the factor come triangular solves,
:math:`\log\det\Sigma = 2 \sum_i \log L_{ii}` and condition estimates; nothing
inverts a covariance or forms a determinant.
"""

import numpy as np
import scipy.linalg
from scipy.linalg import solve_triangular
from scipy.linalg.lapack import dpocon

from . import _validate

EPS = np.finfo(float).eps
#: Batches of covariances up to this size are factored in closed form, entry by entry.
CLOSED_FORM_MAX = 2
#: Batches of matrices up to this size are solved by vectorised forward substitution.
SUBSTITUTION_MAX = 16


def factor(sigma, name):
    """Check a covariance (or a batch): square, symmetric, positive definite; return its factor."""
    return cholesky(_validate.square_matrix(sigma, name), name)


def cholesky(a, name, offset=0):
    """Lower Cholesky factor of a square matrix (or a batch), checking that it is a covariance.

    Raises a ``ValueError`` naming ``name`` if a matrix is not symmetric or not
    positive definite; for a block of rows of a larger batch, starting at row ``offset``
    of it, by its index in that batch.
    """
    if a.ndim > 2 and a.shape[-1] <= CLOSED_FORM_MAX:  # a batch of tiny matrices
        return _cholesky_tiny(a, name, offset)
    _validate.symmetric(a, name, offset)
    try:
        if a.ndim == 2:  # one matrix: LAPACK directly, without a second finiteness scan
            return scipy.linalg.cholesky(a, lower=True, check_finite=False)
        return np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        raise ValueError(f"{_validate.which(name, _not_positive_definite(a), offset)} is not positive definite") from None


def tiny_pivots(a, name, offset=0):
    r"""Check a batch of 1 x 1 or 2 x 2 covariances; return the entries of their factorisation.

    For :math:`\Sigma = [[a, b], [b, c]]` these are ``(a, b, p)`` with the second
    pivot :math:`p = c - b^2/a` (``(a,)`` for 1 x 1 matrices): the matrix is
    positive definite exactly when both pivots are positive, its determinant is
    :math:`a p`, and its Cholesky factor is :math:`[[\sqrt a, 0], [b/\sqrt a, \sqrt p]]`.
    ``name`` and ``offset`` name a bad matrix, as in :func:`cholesky`.
    """
    _validate.symmetric(a, name, offset)
    first = a[..., 0, 0]
    entries = (first,)
    if a.shape[-1] == 2:
        second = a[..., 1, 0]
        with np.errstate(invalid="ignore", divide="ignore"):
            entries = (first, second, a[..., 1, 1] - second * second / first)
    bad = np.logical_or.reduce([~(pivot > 0) for pivot in entries[::2]])
    if np.any(bad):
        raise ValueError(f"{_validate.which(name, bad, offset)} is not positive definite")
    return entries


def _cholesky_tiny(a, name, offset):
    """Cholesky factors of a batch of 1 x 1 or 2 x 2 covariances, entry by entry."""
    entries = tiny_pivots(a, name, offset)
    L = np.zeros_like(a)
    L[..., 0, 0] = np.sqrt(entries[0])
    if len(entries) == 3:
        L[..., 1, 0] = entries[1] / L[..., 0, 0]
        L[..., 1, 1] = np.sqrt(entries[2])
    return L


def _not_positive_definite(a):
    """Which matrices of a batch have no Cholesky factor (called only after a failure)."""
    bad = np.zeros(a.shape[:-2], dtype=bool)
    for index in np.ndindex(bad.shape):
        try:
            np.linalg.cholesky(a[index])
        except np.linalg.LinAlgError:
            bad[index] = True
    return bad


def whiten(diff, L1, L2, S1, S2):
    """L2^-1 diff and L2^-1 L1, with the condition numbers of S1 and S2 (bounds for a batch)."""
    if L1.ndim == L2.ndim == 2:
        z = solve_lower(L2, diff, name="mu1 - mu2")
        A = solve_lower_matrix(L2, L1)
        return z, A, condition(S1, L1), condition(S2, L2)
    # A batch: the inverse factors give both the solves and the condition bounds.
    inv1, inv2 = (solve_lower_matrix(L, np.eye(L1.shape[-1])) for L in (L1, L2))
    z = np.einsum("...ij,...j->...i", inv2, diff)
    return z, inv2 @ L1, condition(S1, L1, inv1), condition(S2, L2, inv2)


def log_det_s2inv_s1(L1, L2):
    """log det(S2^-1 S1) as one sum of logarithms of ratios of the factors' diagonals.

    No difference of two large log-determinants, so nothing cancels.
    """
    ratios = np.diagonal(L1, axis1=-2, axis2=-1) / np.diagonal(L2, axis1=-2, axis2=-1)
    return 2.0 * np.sum(np.log(ratios), axis=-1)


def logdet(L):
    """log det(L L^T) from the diagonal of a Cholesky factor."""
    return 2.0 * np.sum(np.log(np.diagonal(L, axis1=-2, axis2=-1)), axis=-1)


def solve_lower(L, b, name):
    """Solve L z = b for a batch of vectors b (..., m) against factors L (..., m, m)."""
    if L.ndim == 2:
        # One factor for every vector: a single triangular solve with many right-hand sides.
        flat = b.reshape(-1, b.shape[-1])
        return solve_triangular(L, flat.T, lower=True, check_finite=False).T.reshape(b.shape)
    try:
        np.broadcast_shapes(L.shape[:-2], b.shape[:-1])
    except ValueError:
        raise ValueError(f"mismatched shapes: the batch of {name} {b.shape[:-1]} "
                         f"does not broadcast with the covariances' {L.shape[:-2]}") from None
    return solve_lower_matrix(L, b[..., None])[..., 0]


def solve_lower_matrix(L, B):
    """Solve L X = B for lower-triangular L (..., m, m) and B (..., m, k); batches broadcast."""
    if L.ndim == 2 and B.ndim == 2:
        return solve_triangular(L, B, lower=True, check_finite=False)
    m, k = B.shape[-2:]
    if m > SUBSTITUTION_MAX:
        # Larger matrices: NumPy's batched LU solve (it ignores the triangle, but loops over
        # the batch in C; SciPy's triangular solve takes one matrix at a time).
        return np.linalg.solve(L, B)
    # A batch of small matrices: forward substitution, one column of L at a time, each
    # step a single operation on the whole batch, laid out last so that it is contiguous.
    batch = np.broadcast_shapes(L.shape[:-2], B.shape[:-2])
    Lt = np.moveaxis(np.broadcast_to(L, batch + (m, m)).reshape(-1, m, m), 0, -1).copy()
    X = np.moveaxis(np.broadcast_to(B, batch + (m, k)).reshape(-1, m, k), 0, -1).copy()
    for j in range(m):
        X[j] /= Lt[j, j]
        X[j + 1:] -= Lt[j + 1:, j, None] * X[j]
    return np.moveaxis(X, -1, 0).reshape(batch + (m, k))


def condition(S, L, inverse=None):
    """Condition number of S = L L^T: LAPACK's estimate for one matrix, for a batch the
    bound tr(S) tr(S^-1) = ||L||_F^2 ||L^-1||_F^2 (``inverse`` is L^-1, if known)."""
    if L.ndim == 2:
        return 1.0 / max(dpocon(L, np.linalg.norm(S, 1), uplo="L")[0], EPS)
    if inverse is None:
        inverse = solve_lower_matrix(L, np.eye(L.shape[-1]))
    return np.trace(S, axis1=-2, axis2=-1) * np.sum(inverse**2, axis=(-2, -1))
