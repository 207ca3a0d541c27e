r"""The two power series that keep tiny divergences accurate, and Horner's rule for both.

Near :math:`p = q` the terms of (B.1) and the spread of (B.9) are differences of
nearly equal numbers. Written as power series in the relative gap :math:`d`,
they start at :math:`d^2` and lose nothing to cancellation:

- :func:`one_plus_d_log_one_plus_d_minus_d`: :math:`(1 + d)\log(1 + d) - d`, a term of
  the KL sum (:mod:`mathlib.divergences`);
- :func:`d_minus_log1p`: :math:`d - \log(1 + d)`, an eigenvalue's share of (B.9)
  (:mod:`mathlib.gaussian`).
"""

import numpy as np

# (1 + d) log(1 + d) - d = sum_{k >= 2} (-1)^k d^k / (k (k - 1)); 16 terms reach double
# precision for |d| <= XLOGX_RADIUS.
XLOGX_RADIUS = 0.1
_XLOGX_COEFFS = [(-1) ** k / (k * (k - 1)) for k in range(2, 18)]
# d - log(1 + d) = sum_{k >= 2} (-d)^k / k; 24 terms reach double precision for |d| <= 0.2.
_LOG1P_RADIUS = 0.2
_LOG1P_COEFFS = [1.0 / k for k in range(2, 26)]


def _horner(coefficients, x):
    """sum_k coefficients[k] x^k, by Horner's rule."""
    acc = np.zeros_like(x)
    for c in reversed(coefficients):
        acc = acc * x + c
    return acc


def one_plus_d_log_one_plus_d_minus_d(d):
    """(1 + d) log(1 + d) - d for |d| <= XLOGX_RADIUS, by its series."""
    return _horner(_XLOGX_COEFFS, d) * d * d


def d_minus_log1p(d):
    """d - log(1 + d) to full relative accuracy: by its series for |d| <= 0.2, else directly."""
    d = np.asarray(d)
    with np.errstate(invalid="ignore"):
        out = np.array(d - np.log1p(d))
    near = np.abs(d) <= _LOG1P_RADIUS
    if np.any(near):
        x = d[near]
        out[near] = x * x * _horner(_LOG1P_COEFFS, -x)
    return out
