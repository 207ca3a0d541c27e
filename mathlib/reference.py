"""References for checking the library: 50-digit values, the textbook formulas, test cases.

The ``_mp`` functions evaluate the textbook formulas on the exact values of the
given float inputs, at 50 significant digits by default, so that what remains of
the difference from a float64 result is the float64 result's own error. They are
slow (pure Python) and meant for tests, benchmarks and the accuracy chapter.

:func:`kl_mvn_textbook` and :func:`kl_mvn_plain_cholesky` are (B.9) written the
obvious ways in float64, kept here, in one place, only to be compared with
:func:`mathlib.kl_mvn` (the accuracy chapter shows where they lose their digits).
"""

import numpy as np
from scipy.linalg import cholesky, solve_triangular

try:
    import mpmath
except ModuleNotFoundError:
    raise ModuleNotFoundError('mathlib.reference needs mpmath, an optional dependency of mathlib: '
                              'pip install "mathlib-medl[reference]"', name="mpmath") from None

__all__ = [
    "kl_divergence_mp",
    "kl_mvn_mp",
    "kl_mvn_textbook",
    "kl_mvn_plain_cholesky",
    "exact_distribution",
    "random_covariance",
    "kl_mvn_cases",
]


def kl_mvn_textbook(mu1, S1, mu2, S2):
    """(B.9) as printed, with an explicit inverse and two determinants: for comparison only.

    The inverse and the determinants are exactly what :mod:`mathlib.gaussian`
    avoids: a determinant under- or overflows for large m, and the terms cancel
    when the two distributions are close.
    """
    inv = np.linalg.inv(S2)
    d = mu1 - mu2
    return 0.5 * (d @ inv @ d - len(mu1) + np.trace(inv @ S1)
                  + np.log(np.linalg.det(S2) / np.linalg.det(S1)))


def kl_mvn_plain_cholesky(mu1, S1, mu2, S2):
    """(B.9) from Cholesky factors and triangular solves, without refinement: for comparison only."""
    L1, L2 = cholesky(S1, lower=True), cholesky(S2, lower=True)
    z = solve_triangular(L2, mu1 - mu2, lower=True)
    A = solve_triangular(L2, L1, lower=True)
    log_det_s2_over_s1 = 2 * np.sum(np.log(np.diag(L2) / np.diag(L1)))
    return 0.5 * (z @ z - len(mu1) + np.sum(A**2) + log_det_s2_over_s1)


def kl_divergence_mp(p, q, dps=50):
    r"""(B.1) of two float probability vectors, at ``dps`` digits.

    Float vectors sum to 1 only up to rounding, so the value computed is
    :math:`\sum_x \big[p \log(p/q) - p + q\big]`, which equals (B.1) for normalised
    inputs and keeps a rounding-level imbalance of the inputs (about
    :math:`10^{-16}`) from swamping a divergence of :math:`10^{-14}`.

    Returns
    -------
    mpmath.mpf
        ``+inf`` when ``p`` has mass where ``q`` has none.
    """
    with mpmath.workdps(dps):
        total = mpmath.mpf(0)
        for a, b in zip(np.ravel(p).tolist(), np.ravel(q).tolist()):
            a, b = mpmath.mpf(a), mpmath.mpf(b)
            if a > 0 and b == 0:
                return mpmath.inf
            total += (a * mpmath.log(a / b) if a > 0 else 0) - a + b
        return +total


def kl_mvn_mp(mu1, Sigma1, mu2, Sigma2, dps=50):
    """(B.9) evaluated at ``dps`` digits with mpmath's own linear algebra."""
    with mpmath.workdps(dps):
        mu1, mu2 = mpmath.matrix(np.ravel(mu1).tolist()), mpmath.matrix(np.ravel(mu2).tolist())
        S1, S2 = mpmath.matrix(np.asarray(Sigma1).tolist()), mpmath.matrix(np.asarray(Sigma2).tolist())
        S2_inv = S2**-1
        diff = mu1 - mu2
        quad = (diff.T * S2_inv * diff)[0]
        trace = mpmath.fsum(S2_inv[i, j] * S1[j, i] for i in range(S1.rows) for j in range(S1.rows))
        return 0.5 * (quad - S1.rows + trace + mpmath.log(mpmath.det(S2) / mpmath.det(S1)))


def exact_distribution(weights):
    """Round positive weights to multiples of 2**-50 that sum to exactly 1.

    With such vectors every form of (B.1) has the same exact value, so float
    results of different formulas can be compared with one reference.
    """
    units = np.floor(np.asarray(weights, dtype=float) / np.sum(weights) * 2.0**50)
    units[np.argmax(units)] += 2.0**50 - units.sum()
    return units / 2.0**50


def random_covariance(rng, m, cond):
    """A random m x m covariance with condition number ``cond`` and random eigenvectors."""
    q, _ = np.linalg.qr(rng.standard_normal((m, m)))
    s = (q * np.logspace(0, np.log10(cond), m)) @ q.T
    return 0.5 * (s + s.T)


def kl_mvn_cases(rng, m):
    """Pairs of normals (mu1, Sigma1, mu2, Sigma2) in three families that stress (B.9).

    ``"well-conditioned"``: independent random pairs, condition number 10.
    ``"ill-conditioned"``: the same with condition number 1e6.
    ``"tiny KL"``: a second distribution within about 1e-8 (relative) of the
    first, so that the divergence is about 1e-14 and the textbook formula
    cancels away all its digits (condition number 100).
    ``"tiny KL, ill-conditioned"``: the same with condition number 1e6.
    """
    cases = {}
    for name, cond in [("well-conditioned", 10.0), ("ill-conditioned", 1e6)]:
        cases[name] = (rng.standard_normal(m), random_covariance(rng, m, cond),
                       rng.standard_normal(m), random_covariance(rng, m, cond))
    for name, cond in [("tiny KL", 100.0), ("tiny KL, ill-conditioned", 1e6)]:
        S2 = random_covariance(rng, m, cond)
        E = 1e-8 * rng.standard_normal((m, m))
        S1 = S2 + 0.5 * (E @ S2 + S2 @ E.T)
        mu2 = rng.standard_normal(m)
        cases[name] = (mu2 + 1e-8 * rng.standard_normal(m), 0.5 * (S1 + S1.T), mu2, S2)
    return cases
