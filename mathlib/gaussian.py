r"""Normal densities (B.8) and the KL divergence between normals (B.9--B.11).

Means have shape ``(..., m)`` and covariances ``(..., m, m)``; leading axes
broadcast. Every covariance is used only through its lower Cholesky factor
:math:`L` (:math:`\Sigma = L L^\top`): quadratic forms come from triangular
solves (for a batch, through the inverses of the triangular factors) and
:math:`\log\det\Sigma = 2 \sum_i \log L_{ii}`. No covariance is ever inverted,
and no determinant is formed (it under- or overflows for large m).

The path of :func:`kl_mvn`: validate, then (block by block for a large batch)
factor and compute the named terms of (B.9) (:func:`_kl_mvn_factored`, or closed
forms for batches of 1 x 1 and 2 x 2 covariances), then let :mod:`mathlib._accuracy`
check the result and correct the pairs that need it.
"""

from typing import NamedTuple

import numpy as np

from . import _accuracy, _batching, _linalg, _small, _validate
from ._batching import Matrices, Scalars, Vectors

__all__ = [
    "normal_pdf",
    "mvn_logpdf",
    "mvn_pdf",
    "kl_mvn",
    "kl_mvn_isotropic",
    "kl_mvn_standard",
]

_LOG_2PI = np.log(2.0 * np.pi)


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


class _Normals(NamedTuple):
    """A batch of pairs of normals, as :func:`kl_mvn` takes them."""
    mu1: Vectors
    Sigma1: Matrices
    mu2: Vectors
    Sigma2: Matrices


class _ToIsotropic(NamedTuple):
    """A batch of pairs, as :func:`kl_mvn_isotropic` takes them."""
    mu1: Vectors
    Sigma1: Matrices
    mu2: Vectors
    sigma2_sq: Scalars


class _ToStandard(NamedTuple):
    """A batch of normals, as :func:`kl_mvn_standard` takes them."""
    mu1: Vectors
    Sigma1: Matrices


def _kl_mvn_factored(pairs, offset=0):
    """(B.9) from the Cholesky factors S_i = L_i L_i^T, then checked by the accuracy layer.

    ``offset``: where the pairs start in the whole batch (see ``_batching.in_blocks``).
    """
    diff, S1, S2 = pairs
    L1, L2 = _linalg.cholesky(S1, "Sigma1", offset), _linalg.cholesky(S2, "Sigma2", offset)
    z, A, kappa1, kappa2 = _linalg.whiten(diff, L1, L2, S1, S2)  # L2^-1 (mu1 - mu2), L2^-1 L1
    m = L1.shape[-1]
    mahalanobis = np.einsum("...i,...i->...", z, z)  # (mu1 - mu2)^T S2^-1 (mu1 - mu2)
    trace = np.einsum("...ij,...ij->...", A, A)  # tr(S2^-1 S1)
    log_det = _linalg.log_det_s2inv_s1(L1, L2)  # log det(S2^-1 S1) = -log(det S2 / det S1)
    kl = 0.5 * (mahalanobis + (trace - m - log_det))  # (B.9)
    # Beneath the formula: a cancellation-free form where the terms cancel, and a step of
    # refinement where the factors' rounding errors matter (see mathlib._accuracy).
    terms = _accuracy.Terms(maha=mahalanobis, trace=trace, logratio=log_det, kappa1=kappa1, kappa2=kappa2)
    kl, needs = _accuracy.checked(kl, terms, pairs)
    if np.any(needs):
        factored = _accuracy.Factored(S1=S1, L1=L1, S2=S2, L2=L2, z=z, A=A,
                                      maha=mahalanobis, trace=trace, logratio=log_det)
        kl = _batching.patched(kl, needs, _accuracy.refined, factored)
    return kl


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

    Beneath that, :mod:`mathlib._accuracy` keeps every digit that (B.9) as
    computed would lose: where the terms cancel (close distributions), the spread
    is recomputed as :math:`\sum_i \big(d_i - \log(1 + d_i)\big)`, with :math:`d_i` the
    eigenvalues of :math:`L_2^{-1}(\Sigma_1 - \Sigma_2)L_2^{-\top}`; where the factors'
    rounding errors could cost more than :math:`10^{-12}` of the result
    (ill-conditioned covariances), a step of iterative refinement corrects it.

    Batches are vectorised: for batches with :math:`m \le 2` the factors and solves are written
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
    return _batching.in_blocks(_kl_mvn_block, _Normals(mu1, S1, mu2, S2), batch, S1.shape[-1] ** 2)


def _kl_mvn_block(normals, offset):
    """kl_mvn for checked arrays whose batches broadcast: the block of the whole batch
    that starts at row ``offset`` (which names a bad covariance by its index in the batch)."""
    mu1, S1, mu2, S2 = normals
    pairs = _accuracy.Pairs(diff=_broadcast_vectors(mu1, mu2, names=("mu1", "mu2")), S1=S1, S2=S2)
    if S1.shape[-1] <= _linalg.CLOSED_FORM_MAX and max(S1.ndim, S2.ndim) > 2:
        return _small.kl_mvn_small(pairs, offset, fallback=_kl_mvn_factored)
    return _kl_mvn_factored(pairs, offset)


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
    S1 = _validate.square_matrix(Sigma1, "Sigma1")
    L1 = _linalg.cholesky(S1, "Sigma1")
    s2 = _validate.positive(sigma2_sq, "sigma2_sq")
    _validate.matching_dimension(mu1, L1, ("mu1", "Sigma1"))
    _validate.matching_dimension(mu2, L1, ("mu2", "Sigma1"))
    diff = _broadcast_vectors(mu1, mu2, names=("mu1", "mu2"))
    m = L1.shape[-1]
    sq_dist = np.sum(diff**2, axis=-1)
    trace = np.sum(L1**2, axis=(-2, -1))
    log_det = _linalg.logdet(L1)
    kl = (sq_dist + trace) / (2.0 * s2) - 0.5 * m + 0.5 * m * np.log(s2) - 0.5 * log_det  # (B.10)
    # Close distributions: the terms cancel, and kl_mvn's cancellation-free path takes over.
    close = 2.0 * kl < _accuracy.CANCELLATION * (trace / s2 + m + np.abs(m * np.log(s2) - log_det))
    if np.any(close):
        def exact(p):
            return kl_mvn(p.mu1, p.Sigma1, p.mu2, p.sigma2_sq[..., None, None] * np.eye(m))
        kl = _batching.patched(kl, close, exact, _ToIsotropic(mu1, S1, mu2, s2))
    return kl


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
    S1 = _validate.square_matrix(Sigma1, "Sigma1")
    L1 = _linalg.cholesky(S1, "Sigma1")
    _validate.matching_dimension(mu1, L1, ("mu1", "Sigma1"))
    m = L1.shape[-1]
    sq_norm = np.sum(mu1**2, axis=-1)
    trace = np.sum(L1**2, axis=(-2, -1))
    log_det = _linalg.logdet(L1)
    kl = 0.5 * (sq_norm - m + trace - log_det)  # (B.11)
    # Close distributions: the terms cancel, and kl_mvn's cancellation-free path takes over.
    close = 2.0 * kl < _accuracy.CANCELLATION * (trace + m + np.abs(log_det))
    if np.any(close):
        def exact(p):
            return kl_mvn(p.mu1, p.Sigma1, np.zeros(m), np.eye(m))
        kl = _batching.patched(kl, close, exact, _ToStandard(mu1, S1))
    return kl


def _broadcast_vectors(a, b, names):
    """a - b for two batches of vectors of the same dimension."""
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(f"mismatched shapes: {names[0]} {a.shape} and {names[1]} {b.shape}")
    a, b = _validate.broadcast(a, b, names=names)
    return a - b
