r"""Cross entropy as a classification loss, on logits, with its derivatives.

A classifier outputs logits :math:`z \in \mathbb{R}^K`; the softmax turns them
into a distribution :math:`q = \operatorname{softmax}(z)`, and the loss for a
target distribution :math:`y` (one-hot for a hard label) is the cross
entropy (B.2) :math:`H(y, q) = -\sum_k y_k \log q_k`. Everything is computed
through log-sum-exp, so logits of any finite size are safe. The last axis is
the class axis; leading axes are a batch.
"""

import numpy as np
from scipy.special import expit

from . import _series, _validate

__all__ = [
    "softmax",
    "log_softmax",
    "softmax_cross_entropy",
    "softmax_cross_entropy_grad",
    "softmax_cross_entropy_hessian",
    "sigmoid",
    "binary_cross_entropy_with_logits",
    "smooth_labels",
    "distillation_loss",
    "distillation_loss_grad",
]


def softmax(z):
    r"""Softmax of logits along the last axis.

    .. math:: \operatorname{softmax}(z)_k = \frac{e^{z_k}}{\sum_j e^{z_j}}
              = e^{z_k - \operatorname{LSE}(z)}

    Parameters
    ----------
    z : array_like, shape (..., K)
        Finite logits.

    Returns
    -------
    numpy.ndarray, shape (..., K)
        Probability vectors. Adding a constant to every logit changes nothing.

    Examples
    --------
    >>> from mathlib import softmax
    >>> softmax([1000.0, 1000.0]).tolist()
    [0.5, 0.5]
    """
    z = _logits(z)
    e = np.exp(z - np.max(z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def log_softmax(z):
    r"""Logarithm of the softmax, :math:`z_k - \log\sum_j e^{z_j}`, via log-sum-exp.

    With :math:`s = z - \max_j z_j` (every :math:`s_k \le 0`, the largest exactly 0),
    :math:`\log\operatorname{softmax}(z)_k = s_k - \log\sum_j e^{s_j}`: the shift is
    subtracted *before* the logarithm is taken, so logits of any size keep the digits
    of their differences (``z - logsumexp(z)`` would lose them all for
    :math:`|z| \ge 10^{16}`, where the two terms agree to every digit).

    Parameters
    ----------
    z : array_like, shape (..., K)
        Finite logits.

    Returns
    -------
    numpy.ndarray, shape (..., K)
        Finite wherever :math:`z_k - \max_j z_j` is (it is :math:`-\infty` only
        where that difference overflows, as for :math:`z = (10^{308}, -10^{308})`).

    Examples
    --------
    >>> from mathlib import log_softmax
    >>> log_softmax([1e4, 0.0]).tolist()
    [0.0, -10000.0]
    >>> log_softmax([1e16, 1e16]).tolist()  # log(1/2) each, however large the logits
    [-0.6931471805599453, -0.6931471805599453]
    """
    z = _logits(z)
    with np.errstate(over="ignore"):  # a difference beyond the doubles is -inf, as documented
        shifted = z - np.max(z, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def softmax_cross_entropy(z, y):
    r"""Cross-entropy loss of logits ``z`` against targets ``y``, (B.2) on a softmax.

    .. math:: \ell(z, y) = -\sum_k y_k \log\operatorname{softmax}(z)_k
              = \operatorname{LSE}(z) - \sum_k y_k z_k

    Parameters
    ----------
    z : array_like, shape (..., K)
        Logits.
    y : array_like
        Either integer class labels of shape ``(...)`` with values in
        ``0, ..., K-1``, or probability vectors of shape ``(..., K)``. Labels
        must be integers: a floating ``y`` of whole numbers shaped like the
        batch is ambiguous and raises ``ValueError``.

    Returns
    -------
    numpy.float64 or numpy.ndarray, shape (...)

    Examples
    --------
    >>> import numpy as np
    >>> from mathlib import softmax_cross_entropy
    >>> bool(np.isclose(softmax_cross_entropy([0.0, 0.0, 0.0], 2), np.log(3)))
    True
    """
    z = _logits(z)
    y = _targets(z, y)
    # 0 log 0 = 0: a class with no target mass adds nothing, even where its
    # log-probability underflows to -inf.
    with np.errstate(invalid="ignore"):
        terms = np.where(y > 0, y * log_softmax(z), 0.0)
    return 0.0 - np.sum(terms, axis=-1)  # 0.0 - 0.0 is +0.0, where -0.0 would show


def softmax_cross_entropy_grad(z, y):
    r"""Gradient of :func:`softmax_cross_entropy` with respect to the logits.

    .. math:: \nabla_z \ell(z, y) = \operatorname{softmax}(z) - y

    Parameters
    ----------
    z : array_like, shape (..., K)
    y : array_like
        Integer labels of shape ``(...)`` or probability vectors ``(..., K)``.

    Returns
    -------
    numpy.ndarray, shape (..., K)

    Examples
    --------
    >>> from mathlib import softmax_cross_entropy_grad
    >>> softmax_cross_entropy_grad([0.0, 0.0], 0).tolist()
    [-0.5, 0.5]
    """
    z = _logits(z)
    y = _targets(z, y)
    return softmax(z) - y


def softmax_cross_entropy_hessian(z):
    r"""Hessian of :func:`softmax_cross_entropy` with respect to the logits.

    .. math:: \nabla_z^2 \ell(z, y) = \operatorname{diag}(p) - p p^\top,
              \qquad p = \operatorname{softmax}(z)

    It does not depend on the targets, and it is also the Jacobian of the
    softmax. It is positive semi-definite with the all-ones vector in its
    null space, so the loss is convex, but not strictly, in the logits.

    Parameters
    ----------
    z : array_like, shape (..., K)

    Returns
    -------
    numpy.ndarray, shape (..., K, K)

    Examples
    --------
    >>> from mathlib import softmax_cross_entropy_hessian
    >>> softmax_cross_entropy_hessian([0.0, 0.0]).tolist()
    [[0.25, -0.25], [-0.25, 0.25]]
    """
    p = softmax(z)
    eye = np.eye(p.shape[-1])
    return p[..., :, None] * eye - p[..., :, None] * p[..., None, :]


def sigmoid(z):
    r"""The logistic function :math:`\sigma(z) = 1 / (1 + e^{-z})`, without overflow.

    Parameters
    ----------
    z : array_like

    Returns
    -------
    numpy.float64 or numpy.ndarray

    Examples
    --------
    >>> from mathlib import sigmoid
    >>> float(sigmoid(0.0)), float(sigmoid(-1e4))
    (0.5, 0.0)
    """
    return expit(_validate.finite_array(z, "z"))


def binary_cross_entropy_with_logits(z, y):
    r"""Binary cross entropy (B.5) of :math:`\sigma(z)` against targets ``y``.

    .. math:: \ell(z, y) = -\big(y\log\sigma(z) + (1-y)\log(1-\sigma(z))\big)
              = \max(z, 0) - y z + \log\big(1 + e^{-|z|}\big)

    The right-hand form is exact and never overflows; its gradient in ``z`` is
    :math:`\sigma(z) - y` and its second derivative :math:`\sigma(z)(1-\sigma(z))`.
    Applied entrywise, it is the multi-label loss (independent sigmoids).

    Parameters
    ----------
    z : array_like
        Logits, finite (stable for :math:`|z|` up to :math:`10^4` and beyond).
    y : array_like
        Targets in [0, 1] (hard labels 0/1 or probabilities); broadcast with ``z``.

    Returns
    -------
    numpy.float64 or numpy.ndarray

    Examples
    --------
    >>> from mathlib import binary_cross_entropy_with_logits
    >>> float(binary_cross_entropy_with_logits(1e4, 0.0))
    10000.0
    """
    z = _validate.finite_array(z, "z")
    y = _validate.unit_interval(y, "y")
    z, y = _validate.broadcast(z, y, names=("z", "y"))
    return np.maximum(z, 0.0) - y * z + np.log1p(np.exp(-np.abs(z)))


def smooth_labels(y, epsilon, num_classes):
    r"""Label smoothing: the target :math:`(1 - \varepsilon)\, y + \varepsilon u`.

    Here :math:`u` is the uniform distribution on the ``num_classes`` classes.
    Since cross entropy (B.2) is linear in its first argument and
    :math:`H(u, q) = \log K + D_{KL}(u \| q)`,

    .. math:: H\big((1 - \varepsilon) y + \varepsilon u, q\big)
              = (1 - \varepsilon) H(y, q) + \varepsilon D_{KL}(u \| q)
              + \varepsilon \log K ,

    so the smoothed loss is the usual one plus a pull towards uniform
    predictions, and its minimiser over the logits is finite for every
    :math:`\varepsilon > 0`.

    Parameters
    ----------
    y : array_like
        Integer class labels of shape ``(...)`` with values in
        ``0, ..., num_classes - 1``, or probability vectors ``(..., K)``.
    epsilon : float or array_like
        The weight of the uniform distribution, in [0, 1]; broadcast with
        the batch.
    num_classes : int
        The number of classes :math:`K`.

    Returns
    -------
    numpy.ndarray, shape (..., K)

    Examples
    --------
    >>> from mathlib import smooth_labels
    >>> smooth_labels(2, 0.3, 3).round(12).tolist()
    [0.1, 0.1, 0.8]
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise ValueError(f"num_classes must be a positive integer, got {num_classes!r}")
    epsilon = _validate.unit_interval(epsilon, "epsilon")
    y_arr = np.asarray(y)
    if np.issubdtype(y_arr.dtype, np.integer):
        batch = y_arr.shape
    elif y_arr.ndim == 0 or y_arr.shape[-1] != num_classes:
        raise ValueError(f"y must hold integer labels or probability vectors over "
                         f"num_classes = {num_classes} classes, got shape {y_arr.shape}")
    else:
        batch = y_arr.shape[:-1]
    target = _targets(np.zeros(batch + (num_classes,)), y_arr)
    epsilon = np.asarray(epsilon)[..., None]
    return (1.0 - epsilon) * target + epsilon / num_classes


def distillation_loss(student_logits, teacher_logits, temperature):
    r"""Knowledge distillation: :math:`T^2 D_{KL}(p_T \| q_T)` (B.1) at temperature :math:`T`.

    .. math:: p_T = \operatorname{softmax}(v / T), \qquad
              q_T = \operatorname{softmax}(z / T),

    for teacher logits :math:`v` and student logits :math:`z`. Without the
    factor :math:`T^2` the gradient (:func:`distillation_loss_grad`) would
    shrink like :math:`1/T^2`; with it, the gradient tends to a limit as
    :math:`T \to \infty`, and the loss tends to
    :math:`\frac{1}{2K}\lVert (z - \bar z) - (v - \bar v) \rVert^2`, a match
    of centred logits.

    The divergence is computed from log-softmax values, each term as
    :math:`p \log(p/q) - p + q \ge 0` (by its power series where
    :math:`p \approx q`), so it stays accurate when it is tiny (large
    :math:`T`) and finite for logits of any finite size.

    Parameters
    ----------
    student_logits, teacher_logits : array_like, shape (..., K)
        Logits :math:`z` and :math:`v`; leading axes broadcast as a batch.
    temperature : float or array_like
        :math:`T > 0`, broadcast with the batch.

    Returns
    -------
    numpy.float64 or numpy.ndarray, shape (...)

    Examples
    --------
    Equal logits cost nothing; logits that differ by a constant are equal:

    >>> from mathlib import distillation_loss
    >>> float(distillation_loss([1.0, 2.0, 3.0], [11.0, 12.0, 13.0], 2.0))
    0.0
    """
    z, v, t = _distillation_inputs(student_logits, teacher_logits, temperature)
    log_p, log_q = log_softmax(v / t), log_softmax(z / t)
    p, q = np.exp(log_p), np.exp(log_q)
    with np.errstate(over="ignore"):  # a huge ratio p / q only takes the direct branch
        d = np.expm1(log_p - log_q)  # p / q - 1
    near = np.abs(d) <= _series.XLOGX_RADIUS
    with np.errstate(invalid="ignore"):
        terms = np.where(near, q * _series.one_plus_d_log_one_plus_d_minus_d(np.where(near, d, 0.0)),
                         p * (log_p - log_q) - p + q)
    return t[..., 0] ** 2 * np.sum(terms, axis=-1)


def distillation_loss_grad(student_logits, teacher_logits, temperature):
    r"""Gradient of :func:`distillation_loss` with respect to the student's logits.

    .. math:: \nabla_z\, T^2 D_{KL}(p_T \| q_T) = T\,(q_T - p_T) ,

    the cross-entropy gradient (prediction minus target) at temperature
    :math:`T`, times :math:`T^2` and the chain rule's :math:`1/T`.

    Parameters
    ----------
    student_logits, teacher_logits : array_like, shape (..., K)
    temperature : float or array_like

    Returns
    -------
    numpy.ndarray, shape (..., K)

    Examples
    --------
    >>> from mathlib import distillation_loss_grad
    >>> distillation_loss_grad([0.0, 0.0], [0.0, 0.0], 5.0).tolist()
    [0.0, 0.0]
    """
    z, v, t = _distillation_inputs(student_logits, teacher_logits, temperature)
    return t * (softmax(z / t) - softmax(v / t))


def _distillation_inputs(student_logits, teacher_logits, temperature):
    z = _logits(student_logits)
    v = _logits(teacher_logits)
    z, v = _validate.broadcast(z, v, names=("student_logits", "teacher_logits"))
    t = _validate.positive(temperature, "temperature")[..., None]
    try:
        np.broadcast_shapes(z.shape, t.shape)
    except ValueError:
        raise ValueError(f"temperature {t.shape[:-1]} does not broadcast with the batch "
                         f"of logits {z.shape[:-1]}") from None
    return z, v, t


def _logits(z):
    z = _validate.finite_array(z, "z")
    if z.ndim == 0 or z.shape[-1] == 0:
        raise ValueError("z must have at least one class along its last axis")
    return z


def _targets(z, y):
    """Targets as probability vectors broadcast to the shape of the logits.

    The rule: an *integer* ``y`` with one axis fewer than ``z`` holds class labels;
    any other ``y`` holds probability vectors along its last axis (broadcast over
    the batch). A floating ``y`` of whole numbers shaped like the batch could be
    either (labels stored as floats, or one target for every row when the batch
    has as many rows as there are classes), so it is refused rather than guessed.
    """
    y_arr = np.asarray(y)
    n_classes = z.shape[-1]
    if np.issubdtype(y_arr.dtype, np.integer) and y_arr.ndim == z.ndim - 1:
        bad = (y_arr < 0) | (y_arr >= n_classes)
        if np.any(bad):
            got = _validate.first_value(y_arr, bad)
            raise ValueError(f"y has labels outside 0, ..., {n_classes - 1} (got {got})")
        try:
            y_arr = np.broadcast_to(y_arr, z.shape[:-1])
        except ValueError:
            raise ValueError(f"mismatched shapes: labels y {y_arr.shape} for logits z {z.shape}") from None
        return (y_arr[..., None] == np.arange(n_classes)).astype(float)
    if (np.issubdtype(y_arr.dtype, np.floating) and y_arr.ndim == z.ndim - 1
            and y_arr.shape == z.shape[:-1] and np.all(y_arr == np.round(y_arr))):
        raise ValueError(
            f"y {y_arr.shape} of whole numbers is ambiguous for logits z {z.shape}: for class "
            "labels pass integers (y.astype(int)); for one target distribution per row give "
            f"y the shape of z, {z.shape}")
    y_arr = _validate.probability_vector(y_arr, "y")
    y_arr, _ = _validate.same_outcomes(y_arr, z, names=("y", "z"))
    return y_arr
