"""(B.9) in closed form for batches of 1 x 1 and 2 x 2 covariances.

Small covariances are common in batches (a VAE's latent pairs, 2-D examples), and
for them LAPACK's per-matrix overhead dominates: the factorisation is written out
entry by entry instead, over the whole batch at once.
"""

import numpy as np

from . import _accuracy, _batching, _linalg, _series


def kl_mvn_small(pairs, offset, fallback):
    """kl_mvn for batches of 1 x 1 or 2 x 2 covariances (:class:`_accuracy.Pairs`), in closed form.

    With the pivots of :func:`_linalg.tiny_pivots`, the Cholesky solves of
    :func:`kl_mvn` written out entry by entry need no square root. ``offset``: where the
    pairs start in the whole batch, for the messages. Ill-conditioned pairs go to
    ``fallback`` (the factored path).
    """
    diff, S1, S2 = pairs
    a1, *rest1 = _linalg.tiny_pivots(S1, "Sigma1", offset)
    a2, *rest2 = _linalg.tiny_pivots(S2, "Sigma2", offset)
    if not rest1:  # 1 x 1: the cancellation-free form is a closed form, d = (a1 - a2) / a2
        return 0.5 * (diff[..., 0] ** 2 / a2 + _series.d_minus_log1p((a1 - a2) / a2))
    r = a1 / a2
    (b1, p1), (b2, p2) = rest1, rest2
    d0 = diff[..., 0]
    maha = d0 * d0 / a2 + (diff[..., 1] - b2 / a2 * d0) ** 2 / p2
    q = p1 / p2
    trace = r + q + (b1 - b2 * r) ** 2 / (a1 * p2)
    # tr(S)^2 / det(S) bounds the condition number of a 2 x 2 covariance; ill-conditioned
    # pairs, where the pivots' rounding errors matter, take the refined path.
    kappa1, kappa2 = ((S[..., 0, 0] + S[..., 1, 1]) ** 2 / (a * p) for S, a, p in ((S1, a1, p1), (S2, a2, p2)))
    log_det = np.log(r * q)  # log det(S2^-1 S1)
    kl = 0.5 * (maha + (trace - 2 - log_det))  # (B.9) with m = 2
    terms = _accuracy.Terms(maha=maha, trace=trace, logratio=log_det, kappa1=kappa1, kappa2=kappa2)
    kl, needs = _accuracy.checked(kl, terms, pairs)
    if np.any(needs):
        kl = _batching.patched(kl, needs, fallback, pairs)
    return kl
