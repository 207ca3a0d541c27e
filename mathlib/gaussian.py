r"""Normal densities (B.8) and the KL divergence between normals (B.9--B.11).

Means have shape ``(..., m)`` and covariances ``(..., m, m)``; leading axes
broadcast. Every covariance is used only through its lower Cholesky factor
:math:`L` (:math:`\Sigma = L L^\top`): quadratic forms come from triangular
solves and :math:`\log\det\Sigma = 2 \sum_i \log L_{ii}`. No covariance is ever
inverted, and no determinant is formed (it under- or overflows for large m).
"""

import math

import numpy as np

from . import _linalg, _series, _validate

__all__ = [
    "normal_pdf",
    "mvn_logpdf",
    "mvn_pdf",
    "kl_mvn",
    "kl_mvn_isotropic",
    "kl_mvn_standard",
]

_LOG_2PI = np.log(2.0 * np.pi)
# kl_mvn switches to its cancellation-free form when the divergence is below
# this fraction of the terms that cancel (losing more than about 2 of 16 digits).
_CANCELLATION = 1e-2
# kl_mvn corrects for the rounding errors of the Cholesky factors where they could
# cost more than this relative error.
_REFINE = 1e-12
_EPS = _linalg.EPS
# kl_mvn takes a large batch in blocks of at most this many pairs and matrix entries,
# small enough for its temporaries to stay in the processor's cache.
_BLOCK_PAIRS = 2**14
_BLOCK_ENTRIES = 2**16


def normal_pdf(x, mu, sigma2):
    r"""Density of the univariate normal distribution with variance ``sigma2``.

    .. math:: \mathcal{N}(x; \mu, \sigma^2) = \frac{1}{\sigma\sqrt{2\pi}}
              e^{-(x - \mu)^2 / (2\sigma^2)}

    Parameters
    ----------
    x, mu : array_like
        Points and means; they broadcast.
    sigma2 : array_like
        Variances :math:`\sigma^2 > 0` (not standard deviations, as in the book).

    Returns
    -------
    numpy.float64 or numpy.ndarray

    Examples
    --------
    >>> from mathlib import normal_pdf
    >>> round(float(normal_pdf(0.0, 0.0, 1.0)), 12)
    0.398942280401
    """
    x = _validate.finite_array(x, "x")
    mu = _validate.finite_array(mu, "mu")
    sigma2 = _validate.positive(sigma2, "sigma2")
    x, mu, sigma2 = _validate.broadcast(x, mu, sigma2, names=("x", "mu", "sigma2"))
    return np.exp(-0.5 * (x - mu) ** 2 / sigma2) / np.sqrt(2.0 * np.pi * sigma2)


def mvn_logpdf(x, mu, Sigma):
    r"""Log-density of the multivariate normal distribution, (B.8).

    .. math:: \log \mathcal{N}(x; \mu, \Sigma) = -\tfrac12 (x-\mu)^\top \Sigma^{-1} (x-\mu)
              - \tfrac{m}{2}\log(2\pi) - \tfrac12 \log\det\Sigma

    Parameters
    ----------
    x : array_like, shape (..., m)
        Points.
    mu : array_like, shape (..., m)
        Means.
    Sigma : array_like, shape (..., m, m)
        Symmetric positive definite covariances.

    Returns
    -------
    numpy.float64 or numpy.ndarray, shape (...)
        The broadcast batch of log-densities.

    Examples
    --------
    >>> from mathlib import mvn_logpdf
    >>> round(float(mvn_logpdf([0.0, 0.0], [0.0, 0.0], [[1.0, 0.0], [0.0, 1.0]])), 12)
    -1.837877066409
    """
    x = _validate.mean_vector(x, "x")
    mu = _validate.mean_vector(mu, "mu")
    L = _linalg.factor(Sigma, "Sigma")
    _validate.matching_dimension(mu, L, ("mu", "Sigma"))
    _validate.matching_dimension(x, L, ("x", "Sigma"))
    diff = _broadcast_vectors(x, mu, names=("x", "mu"))
    z = _linalg.solve_lower(L, diff, name="x - mu")
    m = L.shape[-1]
    return -0.5 * np.sum(z**2, axis=-1) - 0.5 * m * _LOG_2PI - 0.5 * _linalg.logdet(L)


def mvn_pdf(x, mu, Sigma):
    r"""Density of the multivariate normal distribution, the exponential of (B.8).

    Parameters
    ----------
    x, mu : array_like, shape (..., m)
    Sigma : array_like, shape (..., m, m)

    Returns
    -------
    numpy.float64 or numpy.ndarray, shape (...)

    Examples
    --------
    >>> from mathlib import mvn_pdf
    >>> round(float(mvn_pdf([0.0], [0.0], [[1.0]])), 12)
    0.398942280401
    """
    return np.exp(mvn_logpdf(x, mu, Sigma))


def kl_mvn(mu1, Sigma1, mu2, Sigma2):
    r"""KL divergence between two multivariate normal distributions, (B.9).

    .. math:: D_{KL}(\mathcal{N}_{\mu_1,\Sigma_1} \| \mathcal{N}_{\mu_2,\Sigma_2})
              = \tfrac12\Big[(\mu_1-\mu_2)^\top\Sigma_2^{-1}(\mu_1-\mu_2) - m
              + \operatorname{tr}(\Sigma_2^{-1}\Sigma_1)
              + \log\frac{\det\Sigma_2}{\det\Sigma_1}\Big]

    Parameters
    ----------
    mu1, mu2 : array_like, shape (..., m)
        Means of the first and second distribution.
    Sigma1, Sigma2 : array_like, shape (..., m, m)
        Their symmetric positive definite covariances.

    Returns
    -------
    numpy.float64 or numpy.ndarray, shape (...)

    Notes
    -----
    With :math:`\Sigma_i = L_i L_i^\top` and :math:`A = L_2^{-1} L_1`,
    :math:`\operatorname{tr}(\Sigma_2^{-1}\Sigma_1) = \lVert A \rVert_F^2`, the
    quadratic form is :math:`\lVert L_2^{-1}(\mu_1 - \mu_2) \rVert^2`, and
    :math:`\log\det(\Sigma_2^{-1}\Sigma_1) = 2\sum_i \log\big((L_1)_{ii}/(L_2)_{ii}\big)`,
    one sum of logarithms of ratios rather than a difference of two large
    log-determinants.

    When the two distributions are close, :math:`\operatorname{tr}(\Sigma_2^{-1}\Sigma_1) - m
    + \log\det\Sigma_2 - \log\det\Sigma_1` is a small difference of large terms and
    loses its digits to cancellation. Where that threatens, those terms are
    recomputed as :math:`\sum_i \big(d_i - \log(1 + d_i)\big)`, with :math:`d_i` the
    eigenvalues of :math:`L_2^{-1}(\Sigma_1 - \Sigma_2)L_2^{-\top}` and a power series
    for small :math:`d_i`: every term is non-negative and computed to full
    relative accuracy, so even a divergence of :math:`10^{-14}` keeps its digits.

    A factor computed in floating point is the exact factor of a covariance
    that differs from the given one in the last digits; (B.9) magnifies that
    difference by about the condition numbers of the covariances. Where an
    estimate of them (LAPACK's for one pair, a bound for a batch) says that this
    could cost more than :math:`10^{-12}` of the result, the residuals
    :math:`\Sigma_i - L_i L_i^\top` are computed exactly enough (by splitting the
    factors into slices whose products are exact) and the result is corrected to
    first order in them, a step of iterative refinement; the cancellation-free
    form receives the same correction.

    Batches are vectorised: for :math:`m \le 2` the factors and solves are written
    out in closed form, for :math:`m \le 16` the triangular solves are one
    forward substitution over the whole batch, and a large batch is taken in
    blocks of rows that fit the processor's cache.

    Examples
    --------
    >>> import numpy as np
    >>> from mathlib import kl_mvn
    >>> round(float(kl_mvn([1.0, 0.0], np.eye(2), [0.0, 0.0], np.eye(2))), 12)
    0.5
    """
    mu1 = _validate.mean_vector(mu1, "mu1")
    mu2 = _validate.mean_vector(mu2, "mu2")
    S1 = _validate.square_matrix(Sigma1, "Sigma1")
    S2 = _validate.square_matrix(Sigma2, "Sigma2")
    _validate.matching_dimension(mu1, S1, ("mu1", "Sigma1"))
    _validate.matching_dimension(mu2, S2, ("mu2", "Sigma2"))
    _validate.matching_dimension(mu1, S2, ("mu1", "Sigma2"))
    try:
        batch = np.broadcast_shapes(mu1.shape[:-1], mu2.shape[:-1], S1.shape[:-2], S2.shape[:-2])
    except ValueError:
        raise ValueError(f"mismatched shapes: the batches of mu1 {mu1.shape}, Sigma1 {S1.shape}, "
                         f"mu2 {mu2.shape} and Sigma2 {S2.shape} do not broadcast") from None
    # A large batch of covariances goes through in blocks along its first axis; an
    # argument that does not have that axis broadcasts against each block as it is.
    args = (mu1, S1, mu2, S2)
    has_axis = [len(batch) > 0 and a.ndim - core == len(batch) and a.shape[0] == batch[0]
                for a, core in zip(args, (1, 2, 1, 2))]
    m = S1.shape[-1]
    pairs_per_row = math.prod(batch[1:])
    rows = max(1, min(_BLOCK_PAIRS // pairs_per_row, _BLOCK_ENTRIES // (m * m * pairs_per_row)))
    if not (has_axis[1] or has_axis[3]) or batch[0] <= rows:
        return _kl_mvn_block(*args)
    out = np.empty(batch)
    try:
        for start in range(0, batch[0], rows):
            block = slice(start, start + rows)
            out[block] = _kl_mvn_block(*(a[block] if cut else a for a, cut in zip(args, has_axis)))
    except ValueError:
        # Name a bad covariance by its index in the whole batch, not in its block.
        _linalg.cholesky(S1, "Sigma1")
        _linalg.cholesky(S2, "Sigma2")
        raise
    return out


def _kl_mvn_block(mu1, S1, mu2, S2):
    """kl_mvn for checked arrays whose batches broadcast."""
    if S1.shape[-1] <= _linalg.CLOSED_FORM_MAX and max(S1.ndim, S2.ndim) > 2:
        return _kl_mvn_tiny(mu1, S1, mu2, S2)
    return _kl_mvn_factored(mu1, S1, mu2, S2)


def _kl_mvn_factored(mu1, S1, mu2, S2):
    """kl_mvn through Cholesky factors, refined where their rounding errors matter."""
    L1 = _linalg.cholesky(S1, "Sigma1")
    L2 = _linalg.cholesky(S2, "Sigma2")
    diff = _broadcast_vectors(mu1, mu2, names=("mu1", "mu2"))
    m = L1.shape[-1]
    if L1.ndim == L2.ndim == 2:
        z = _linalg.solve_lower(L2, diff, name="mu1 - mu2")
        A = _linalg.solve_lower_matrix(L2, L1)
        kappa1, kappa2 = _linalg.condition(S1, L1), _linalg.condition(S2, L2)
    else:
        # A batch: the inverse factors give both the solves and the condition bounds.
        inv1, inv2 = (_linalg.solve_lower_matrix(L, np.eye(m)) for L in (L1, L2))
        z = np.einsum("...ij,...j->...i", inv2, diff)
        A = inv2 @ L1
        kappa1, kappa2 = _linalg.condition(S1, L1, inv1), _linalg.condition(S2, L2, inv2)
    maha = np.einsum("...i,...i->...", z, z)
    trace = np.einsum("...ij,...ij->...", A, A)
    # log det(S2^-1 S1) as one sum of logarithms of ratios: no cancellation between
    # two large log-determinants.
    ratios = np.diagonal(L1, axis1=-2, axis2=-1) / np.diagonal(L2, axis1=-2, axis2=-1)
    logratio = 2.0 * np.sum(np.log(ratios), axis=-1)
    kl, needs = _combine(maha, trace, logratio, kappa1, kappa2, diff, S1, S2)
    if np.any(needs):
        kl = _patched(kl, needs, _refined, (S1, 2), (L1, 2), (S2, 2), (L2, 2), (z, 1), (A, 2),
                      (maha, 0), (trace, 0), (logratio, 0))
    return kl


def _refined(S1, L1, S2, L2, z, A, maha, trace, logratio):
    r"""(B.9) from its parts, corrected for the rounding errors of the Cholesky factors.

    With residuals :math:`R_i = \Sigma_i - L_i L_i^\top` (computed exactly enough by
    :func:`_residual`), :math:`P = L_2^{-1} R_2 L_2^{-\top}` and
    :math:`Q = L_1^{-1} R_1 L_1^{-\top}`, to first order in the residuals
    :math:`z^\top z` loses :math:`z^\top P z`, :math:`\operatorname{tr}(\Sigma_2^{-1}\Sigma_1)`
    changes by :math:`\langle Q, A^\top A\rangle - \langle P, A A^\top\rangle` and
    :math:`\log\det(\Sigma_2^{-1}\Sigma_1)` by :math:`\operatorname{tr} Q - \operatorname{tr} P`.
    The second-order terms are of the size of the squared rounding errors.
    """
    P, Q = _whitened_residual(S2, L2), _whitened_residual(S1, L1)
    At = np.swapaxes(A, -1, -2)
    maha = maha - np.einsum("...i,...ij,...j->...", z, P, z)
    trace = trace + np.sum(Q * (At @ A) - P * (A @ At), axis=(-2, -1))
    logratio = logratio + np.trace(Q, axis1=-2, axis2=-1) - np.trace(P, axis1=-2, axis2=-1)
    return 0.5 * (maha + trace - L1.shape[-1] - logratio)


def _whitened_residual(S, L):
    """L^-1 (S - L L^T) L^-T, the factor's rounding error seen from the factor's own frame."""
    return _linalg.solve_lower_matrix(L, np.swapaxes(_linalg.solve_lower_matrix(L, _residual(S, L)), -1, -2))


def _residual(S, L):
    """S - L L^T to about six significant digits, although it is of the size of rounding errors.

    Each row of L is cut into slices that carry few enough bits for every product of
    two slices, summed over a row, to be exact in floating point (Ozaki's error-free
    splitting); the slices' products then cancel S in order of decreasing size.
    """
    m = L.shape[-1]
    bits = (53 - math.ceil(math.log2(m))) // 2
    hi, rest = _split(L, bits)
    mid, lo = _split(rest, bits)

    def times(a, b):  # a b^T
        return a @ np.swapaxes(b, -1, -2)

    def both(a, b):  # a b^T + b a^T
        return times(a, b) + times(b, a)

    return ((S - times(hi, hi)) - both(hi, mid)) - (times(mid, mid) + both(hi, lo)) - (
        both(mid, lo) + times(lo, lo))


def _split(x, bits):
    """x = head + tail exactly, each row's head being multiples of 2^(e - bits), |x| <= 2^e."""
    with np.errstate(divide="ignore"):
        top = np.ceil(np.log2(np.max(np.abs(x), axis=-1, keepdims=True)))
    sigma = np.where(np.isfinite(top), 2.0 ** (top + 53 - bits), 0.0)
    head = (x + sigma) - sigma
    return head, x - head


def _kl_mvn_tiny(mu1, S1, mu2, S2):
    """kl_mvn for batches of 1 x 1 or 2 x 2 covariances, in closed form.

    With the pivots of :func:`_linalg.tiny_pivots`, the Cholesky solves of
    :func:`kl_mvn` written out entry by entry need no square root.
    """
    a1, *rest1 = _linalg.tiny_pivots(S1, "Sigma1")
    a2, *rest2 = _linalg.tiny_pivots(S2, "Sigma2")
    diff = _broadcast_vectors(mu1, mu2, names=("mu1", "mu2"))
    r = a1 / a2
    if not rest1:  # 1 x 1: the cancellation-free form is a closed form, d = (a1 - a2) / a2
        return 0.5 * (diff[..., 0] ** 2 / a2 + _series.d_minus_log1p((a1 - a2) / a2))
    (b1, p1), (b2, p2) = rest1, rest2
    d0 = diff[..., 0]
    maha = d0 * d0 / a2 + (diff[..., 1] - b2 / a2 * d0) ** 2 / p2
    q = p1 / p2
    trace = r + q + (b1 - b2 * r) ** 2 / (a1 * p2)
    # tr(S)^2 / det(S) bounds the condition number of a 2 x 2 covariance; ill-conditioned
    # pairs, where the pivots' rounding errors matter, take the refined path.
    kappa1, kappa2 = ((S[..., 0, 0] + S[..., 1, 1]) ** 2 / (a * p) for S, a, p in ((S1, a1, p1), (S2, a2, p2)))
    kl, needs = _combine(maha, trace, np.log(r * q), kappa1, kappa2, diff, S1, S2)
    if np.any(needs):
        kl = _patched(kl, needs, _kl_mvn_factored, (mu1, 1), (S1, 2), (mu2, 1), (S2, 2))
    return kl


def _combine(maha, trace, logratio, kappa1, kappa2, diff, S1, S2):
    """(B.9) from its parts: the Mahalanobis term, tr(S2^-1 S1) and log det(S2^-1 S1).

    Returns the divergence and a mask of the pairs that need :func:`_refined`.

    The spread tr - m - logratio is a difference of terms of size tr + m + |logratio|;
    where the result is not much larger than that, cancellation threatens and the spread
    is recomputed in the cancellation-free form. Elsewhere, the rounding errors of the
    factors cost a relative error of about eps (kappa2 (m + tr + maha) + kappa1 (m + tr))
    / (m 2 KL), kappa being (bounds on) the covariances' condition numbers: on random
    pairs (m = 2 ... 50, condition numbers up to 1e6) the measured error stays below
    an eighth of this estimate. Pairs where it exceeds 1e-12 need the refinement.
    """
    m = S1.shape[-1]
    spread = trace - m - logratio
    twice = maha + spread
    threatened = twice < _CANCELLATION * (trace + m + np.abs(logratio))
    if np.any(threatened):
        twice = _patched(twice, threatened, _stable_twice, (diff, 1), (S1, 2), (S2, 2))
    error = _EPS * (kappa2 * (m + trace + maha) + kappa1 * (m + trace))
    needs = (error > _REFINE * m * twice) & ~threatened
    return 0.5 * twice, needs


def _patched(values, mask, compute, *args):
    """``values`` with the pairs where ``mask`` holds recomputed as ``compute(*args)``.

    Each argument comes with the number of its trailing axes that belong to one pair;
    only the masked pairs are gathered (by index, at a cost in proportion to their
    number), and a single pair (a 0-d mask) is passed whole.
    """
    batch = mask.shape
    pick = np.nonzero(mask) if batch else ()
    values = np.array(np.broadcast_to(values, batch))
    values[pick] = compute(*(np.broadcast_to(a, batch + a.shape[a.ndim - core:])[pick] for a, core in args))
    return values


def kl_mvn_isotropic(mu1, Sigma1, mu2, sigma2_sq):
    r"""KL divergence from a normal to an isotropic normal, (B.10).

    .. math:: D_{KL}(\mathcal{N}_{\mu_1,\Sigma_1} \| \mathcal{N}_{\mu_2,\sigma_2^2 I})
              = \frac{\lVert\mu_1-\mu_2\rVert^2}{2\sigma_2^2} - \frac{m}{2}
              + \frac{\operatorname{tr}\Sigma_1}{2\sigma_2^2}
              + \frac{m\log\sigma_2^2}{2} - \frac{\log\det\Sigma_1}{2}

    Parameters
    ----------
    mu1, mu2 : array_like, shape (..., m)
    Sigma1 : array_like, shape (..., m, m)
    sigma2_sq : array_like, shape (...)
        The variance :math:`\sigma_2^2 > 0` of every coordinate of the second
        distribution.

    Returns
    -------
    numpy.float64 or numpy.ndarray, shape (...)

    Examples
    --------
    >>> import numpy as np
    >>> from mathlib import kl_mvn_isotropic
    >>> round(float(kl_mvn_isotropic([0.0, 0.0], np.eye(2), [0.0, 0.0], np.e)), 12)
    0.367879441171
    """
    mu1 = _validate.mean_vector(mu1, "mu1")
    mu2 = _validate.mean_vector(mu2, "mu2")
    L1 = _linalg.factor(Sigma1, "Sigma1")
    s2 = _validate.positive(sigma2_sq, "sigma2_sq")
    _validate.matching_dimension(mu1, L1, ("mu1", "Sigma1"))
    _validate.matching_dimension(mu2, L1, ("mu2", "Sigma1"))
    diff = _broadcast_vectors(mu1, mu2, names=("mu1", "mu2"))
    m = L1.shape[-1]
    sq_dist = np.sum(diff**2, axis=-1)
    trace = np.sum(L1**2, axis=(-2, -1))
    return (sq_dist + trace) / (2.0 * s2) - 0.5 * m + 0.5 * m * np.log(s2) - 0.5 * _linalg.logdet(L1)


def kl_mvn_standard(mu1, Sigma1):
    r"""KL divergence from a normal to the standard normal, (B.11).

    .. math:: D_{KL}(\mathcal{N}_{\mu_1,\Sigma_1} \| \mathcal{N}_{0,I})
              = \tfrac12\lVert\mu_1\rVert^2 - \tfrac{m}{2}
              + \tfrac12\operatorname{tr}\Sigma_1 - \tfrac12\log\det\Sigma_1

    This is the KL term of a variational autoencoder's loss, where
    :math:`\Sigma_1` is diagonal.

    Parameters
    ----------
    mu1 : array_like, shape (..., m)
    Sigma1 : array_like, shape (..., m, m)

    Returns
    -------
    numpy.float64 or numpy.ndarray, shape (...)

    Examples
    --------
    >>> import numpy as np
    >>> from mathlib import kl_mvn_standard
    >>> round(float(kl_mvn_standard([0.0, 0.0], np.diag([2.0, 0.5]))), 12)
    0.25
    """
    mu1 = _validate.mean_vector(mu1, "mu1")
    L1 = _linalg.factor(Sigma1, "Sigma1")
    _validate.matching_dimension(mu1, L1, ("mu1", "Sigma1"))
    m = L1.shape[-1]
    sq_norm = np.sum(mu1**2, axis=-1)
    trace = np.sum(L1**2, axis=(-2, -1))
    return 0.5 * (sq_norm - m + trace - _linalg.logdet(L1))


def _broadcast_vectors(a, b, names):
    """a - b for two batches of vectors of the same dimension."""
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"mismatched shapes: {names[0]} {a.shape} and {names[1]} {b.shape}")
    a, b = _validate.broadcast(a, b, names=names)
    return a - b


def _stable_twice(diff, S1, S2):
    r"""Twice (B.9) without cancellation, for a stack of pairs (or one pair).

    The spread :math:`\operatorname{tr}(\Sigma_2^{-1}\Sigma_1) - m - \log\det(\Sigma_2^{-1}\Sigma_1)`
    is :math:`\sum_i f(d_i)`, :math:`f(d) = d - \log(1 + d)`, with :math:`d_i` the
    eigenvalues of :math:`D = L_2^{-1}(\Sigma_1 - \Sigma_2)L_2^{-\top}`; a power series
    gives :math:`f` for small :math:`d`. Where the condition number of
    :math:`\Sigma_2` makes the factor's rounding errors matter, both terms are
    corrected to first order in its residual (see :func:`_refined`): with
    :math:`P = L_2^{-1} R_2 L_2^{-\top}` and :math:`u_i` the eigenvectors of
    :math:`D`, :math:`z^\top z` loses :math:`z^\top P z` and each :math:`d_i` loses
    :math:`d_i u_i^\top P u_i`.
    """
    L2 = np.linalg.cholesky(S2)
    z = _linalg.solve_lower(L2, diff, name="mu1 - mu2")
    E = _linalg.solve_lower_matrix(L2, S1 - S2)
    D = _linalg.solve_lower_matrix(L2, np.swapaxes(E, -1, -2))
    d, U = np.linalg.eigh(0.5 * (D + np.swapaxes(D, -1, -2)))
    twice = np.sum(z**2, axis=-1) + np.sum(_series.d_minus_log1p(d), axis=-1)
    needs = _EPS * _linalg.condition(S2, L2) > _REFINE
    if np.any(needs):
        twice = _patched(twice, needs, _stable_refined, (twice, 0), (S2, 2), (L2, 2), (z, 1), (d, 1), (U, 2))
    return twice


def _stable_refined(twice, S2, L2, z, d, U):
    """The first-order correction of :func:`_stable_twice` for the rounding errors of L2."""
    P = _whitened_residual(S2, L2)
    along = np.einsum("...ji,...jk,...ki->...i", U, P, U)  # u_i^T P u_i
    return twice - np.einsum("...i,...ij,...j->...", z, P, z) - np.sum(along * d * d / (1 + d), axis=-1)
