r"""Entropy, cross entropy, and the KL and Jensen--Shannon divergences (B.1--B.7).

Every function treats the last axis as the outcome axis and broadcasts over
any leading (batch) axes. ``base=None`` gives nats; ``base=2`` bits;
``base=10`` hartleys; any positive ``base`` other than 1 is accepted.

Conventions, as in Appendix B: :math:`0 \log 0 = 0`, so outcomes outside the
support of ``p`` contribute nothing, and :math:`D_{KL}(p \| q) = +\infty`
whenever ``p`` puts mass where ``q`` has none.
"""

import numpy as np
from scipy.special import entr, rel_entr, xlog1py, xlogy

from . import _series, _validate

__all__ = [
    "entropy",
    "cross_entropy",
    "kl_divergence",
    "js_divergence",
    "js_distance",
    "binary_entropy",
    "binary_cross_entropy",
]

def entropy(p, *, base=None):
    r"""Shannon entropy of a discrete distribution, (B.3).

    .. math:: H(p) = -\sum_{x} p(x) \log p(x)

    Parameters
    ----------
    p : array_like, shape (..., K)
        Probabilities over K outcomes along the last axis; each row is
        non-negative and sums to 1.
    base : float, optional
        Base of the logarithm: ``None`` (nats, the default), 2 (bits),
        10 (hartleys), or any positive number other than 1.

    Returns
    -------
    numpy.float64 or numpy.ndarray, shape (...)
        The entropy of each distribution in the batch.

    Raises
    ------
    ValueError
        If ``p`` is not a probability vector along its last axis, or ``base``
        is invalid.

    Notes
    -----
    Terms with :math:`p(x) = 0` contribute 0 (the convention :math:`0\log 0 = 0`).

    Examples
    --------
    >>> from mathlib import entropy
    >>> round(float(entropy([0.5, 0.5], base=2)), 12)
    1.0
    >>> float(entropy([1.0, 0.0]))
    0.0
    """
    divisor = _validate.log_base(base)
    p = _validate.probability_vector(p, "p")
    return np.sum(entr(p), axis=-1) / divisor


def cross_entropy(p, q, *, base=None):
    r"""Cross entropy :math:`H(p, q)` of ``p`` relative to ``q``, (B.2).

    .. math:: H(p, q) = -\sum_{x} p(x) \log q(x)

    Parameters
    ----------
    p, q : array_like, shape (..., K)
        Probability vectors along the last axis; leading axes broadcast.
    base : float, optional
        Base of the logarithm (``None`` for nats).

    Returns
    -------
    numpy.float64 or numpy.ndarray, shape (...)
        :math:`H(p, q)`; ``inf`` where ``p`` has mass on an outcome to which
        ``q`` gives none.

    Notes
    -----
    :math:`H(p, q) = H(p) + D_{KL}(p \| q)`, so minimising the cross entropy
    over ``q`` is minimising the KL divergence.

    Examples
    --------
    >>> from mathlib import cross_entropy
    >>> round(float(cross_entropy([0.1, 0.4, 0.5], [0.2, 0.3, 0.5])), 10)
    0.9891065033
    >>> float(cross_entropy([0.5, 0.5], [1.0, 0.0]))
    inf
    """
    divisor = _validate.log_base(base)
    p, q = _validated_pair(p, q)
    return -np.sum(xlogy(p, q), axis=-1) / divisor


def kl_divergence(p, q, *, base=None):
    r"""KL divergence :math:`D_{KL}(p \| q)` of ``p`` relative to ``q``, (B.1).

    .. math:: D_{KL}(p \| q) = \sum_{x \in \mathcal{X}_p} p(x) \log \frac{p(x)}{q(x)}

    Parameters
    ----------
    p, q : array_like, shape (..., K)
        Probability vectors along the last axis; leading axes broadcast.
    base : float, optional
        Base of the logarithm (``None`` for nats).

    Returns
    -------
    numpy.float64 or numpy.ndarray, shape (...)
        :math:`D_{KL}(p \| q) \ge 0`; ``inf`` when the support of ``p`` is not
        contained in that of ``q``.

    Notes
    -----
    The sum is evaluated as :math:`\sum_x \big[p(x)\log\frac{p(x)}{q(x)} - p(x) + q(x)\big]`,
    which equals (B.1) because both distributions sum to one, and whose terms
    are all non-negative: :math:`q\,g(p/q - 1)` with
    :math:`g(d) = (1 + d)\log(1 + d) - d`. Near :math:`p = q` the function
    :math:`g` is evaluated by its power series, so the result keeps full
    relative accuracy even when the divergence is tiny, where the textbook sum of
    :math:`p\log(p/q)` loses most of its digits to cancellation. Because every
    term is non-negative, rounding in the normalisation of the inputs can never
    make the result negative. Tiny ``q`` (down to subnormal numbers) does not
    overflow.

    Examples
    --------
    The worked example of the book's KL explainer, in nats and in bits:

    >>> from mathlib import kl_divergence
    >>> P, Q = [0.1, 0.4, 0.5], [0.2, 0.3, 0.5]
    >>> round(float(kl_divergence(P, Q)), 10)
    0.0457581109
    >>> round(float(kl_divergence(P, Q, base=2)), 10)
    0.0660149997
    >>> float(kl_divergence([0.5, 0.5], [1.0, 0.0]))
    inf
    """
    divisor = _validate.log_base(base)
    p, q = _validated_pair(p, q)
    return _kl(p, q) / divisor


def js_divergence(p, q, *, base=None):
    r"""Jensen--Shannon divergence, (B.7).

    .. math:: \mathrm{JSD}(p \| q) = \tfrac12 D_{KL}(p \| m) + \tfrac12 D_{KL}(q \| m),
              \qquad m = \tfrac12 (p + q)

    Parameters
    ----------
    p, q : array_like, shape (..., K)
        Probability vectors along the last axis; leading axes broadcast.
    base : float, optional
        Base of the logarithm (``None`` for nats).

    Returns
    -------
    numpy.float64 or numpy.ndarray, shape (...)
        A symmetric, finite value in :math:`[0, \log 2]` (at most 1 bit); it
        reaches :math:`\log 2` exactly when ``p`` and ``q`` have disjoint supports.

    Examples
    --------
    >>> from mathlib import js_divergence
    >>> float(js_divergence([1.0, 0.0], [0.0, 1.0], base=2))
    1.0
    """
    divisor = _validate.log_base(base)
    p, q = _validated_pair(p, q)
    m = 0.5 * (p + q)
    jsd = 0.5 * (_kl(p, m) + _kl(q, m))
    return np.minimum(jsd, np.log(2.0)) / divisor


def js_distance(p, q, *, base=None):
    r"""Jensen--Shannon distance, the square root of (B.7).

    Unlike the divergence, the distance is a metric: it satisfies the triangle
    inequality.

    Parameters
    ----------
    p, q : array_like, shape (..., K)
        Probability vectors along the last axis; leading axes broadcast.
    base : float, optional
        Base of the logarithm used for the divergence (``None`` for nats).

    Returns
    -------
    numpy.float64 or numpy.ndarray, shape (...)
        :math:`\sqrt{\mathrm{JSD}(p \| q)}`.

    Examples
    --------
    >>> from mathlib import js_distance
    >>> float(js_distance([1.0, 0.0], [0.0, 1.0], base=2))
    1.0
    """
    return np.sqrt(js_divergence(p, q, base=base))


def binary_entropy(p1, *, base=None):
    r"""Entropy of a two-outcome distribution with :math:`p(1) = p_1`, (B.4).

    .. math:: H(p) = -\big(p_1 \log p_1 + (1 - p_1)\log(1 - p_1)\big)

    Parameters
    ----------
    p1 : array_like
        Probability of outcome 1, each entry in [0, 1].
    base : float, optional
        Base of the logarithm (``None`` for nats).

    Returns
    -------
    numpy.float64 or numpy.ndarray
        Same shape as ``p1``.

    Examples
    --------
    >>> from mathlib import binary_entropy
    >>> float(binary_entropy(0.5, base=2))
    1.0
    """
    divisor = _validate.log_base(base)
    p1 = _validate.unit_interval(p1, "p1")
    return (entr(p1) + entr(1.0 - p1)) / divisor


def binary_cross_entropy(p1, q1, *, base=None):
    r"""Cross entropy of two two-outcome distributions, (B.5).

    .. math:: H(p, q) = -\big(p_1 \log q_1 + (1 - p_1)\log(1 - q_1)\big)

    Parameters
    ----------
    p1, q1 : array_like
        Probabilities of outcome 1 under ``p`` and ``q``, in [0, 1]; they
        broadcast against each other.
    base : float, optional
        Base of the logarithm (``None`` for nats).

    Returns
    -------
    numpy.float64 or numpy.ndarray
        ``inf`` where ``p`` has mass on an outcome to which ``q`` gives none.

    Examples
    --------
    >>> from mathlib import binary_cross_entropy
    >>> round(float(binary_cross_entropy(1.0, 0.9)), 12)
    0.105360515658
    """
    divisor = _validate.log_base(base)
    p1 = _validate.unit_interval(p1, "p1")
    q1 = _validate.unit_interval(q1, "q1")
    p1, q1 = _validate.broadcast(p1, q1, names=("p1", "q1"))
    return -(xlogy(p1, q1) + xlog1py(1.0 - p1, -q1)) / divisor


def _validated_pair(p, q):
    p = _validate.probability_vector(p, "p")
    q = _validate.probability_vector(q, "q")
    return _validate.same_outcomes(p, q)


def _kl(p, q):
    """KL in nats of validated, broadcast probability arrays (see kl_divergence)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        # Below this relative gap |p - q| / q a term is computed by its power series,
        # which keeps full relative accuracy when p is close to q.
        near = (q > 0) & (np.abs(p - q) <= _series.XLOGX_RADIUS * q)
        d = np.where(near, (p - q) / np.where(near, q, 1.0), 0.0)
        # Each term p log(p/q) - p + q >= 0: by its series near p = q, else directly.
        terms = np.where(near, q * _series.one_plus_d_log_one_plus_d_minus_d(d), rel_entr(p, q) - p + q)
    return np.sum(terms, axis=-1)
