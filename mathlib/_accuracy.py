r"""The accuracy layer beneath (B.9): cancellation-free form and iterative refinement.

:func:`mathlib.gaussian.kl_mvn` computes the three named terms of (B.9), the
Mahalanobis term, :math:`\operatorname{tr}(\Sigma_2^{-1}\Sigma_1)` and
:math:`\log\det(\Sigma_2^{-1}\Sigma_1)`, assembles (B.9) from them, and hands the
result and its terms to :func:`checked`, which decides, pair by pair, whether the
value can be trusted:

- where the terms cancel (the two distributions are close), the spread is
  recomputed as :math:`\sum_i \big(d_i - \log(1 + d_i)\big)` (:func:`stable_twice`);
- where the Cholesky factors' rounding errors could cost more than ``REFINE`` of the
  result (ill-conditioned covariances), the terms are corrected to first order in
  the factors' residuals (:func:`refined`), computed exactly enough by
  :func:`residual`.
"""

import math
from typing import NamedTuple

import numpy as np

from . import _batching, _linalg, _series
from ._batching import Matrices, Scalars, Vectors

# kl_mvn switches to its cancellation-free form when the divergence is below
# this fraction of the terms that cancel (losing more than about 2 of 16 digits).
CANCELLATION = 1e-2
# kl_mvn corrects for the rounding errors of the Cholesky factors where they could
# cost more than this relative error.
REFINE = 1e-12


class Pairs(NamedTuple):
    """A batch of pairs of normals, as the cancellation-free form takes them."""
    diff: Vectors    # mu1 - mu2
    S1: Matrices     # Sigma1
    S2: Matrices     # Sigma2


class Terms(NamedTuple):
    """The named terms of (B.9) as computed, with the condition numbers of the covariances."""
    maha: Scalars      # (mu1 - mu2)^T S2^-1 (mu1 - mu2)
    trace: Scalars     # tr(S2^-1 S1)
    logratio: Scalars  # log det(S2^-1 S1)
    kappa1: Scalars    # the condition numbers of S1 and S2 (bounds on them, for a batch)
    kappa2: Scalars


class Factored(NamedTuple):
    """The terms of (B.9) as computed, and what :func:`refined` needs to correct them."""
    S1: Matrices
    L1: Matrices        # S1 = L1 L1^T
    S2: Matrices
    L2: Matrices        # S2 = L2 L2^T
    z: Vectors          # L2^-1 (mu1 - mu2)
    A: Matrices         # L2^-1 L1
    maha: Scalars       # z^T z
    trace: Scalars      # tr(S2^-1 S1)
    logratio: Scalars   # log det(S2^-1 S1)


class Spread(NamedTuple):
    """Twice (B.9) in its cancellation-free form, and what :func:`stable_refined` needs to correct it."""
    twice: Scalars
    S2: Matrices
    L2: Matrices        # S2 = L2 L2^T
    z: Vectors          # L2^-1 (mu1 - mu2)
    d: Vectors          # the eigenvalues of L2^-1 (S1 - S2) L2^-T
    U: Matrices         # and its eigenvectors


def refined(f):
    r"""(B.9) from its parts (a :class:`Factored`), corrected for the rounding errors of the factors.

    With residuals :math:`R_i = \Sigma_i - L_i L_i^\top` (computed exactly enough by
    :func:`residual`), :math:`P = L_2^{-1} R_2 L_2^{-\top}` and
    :math:`Q = L_1^{-1} R_1 L_1^{-\top}`, to first order in the residuals
    :math:`z^\top z` loses :math:`z^\top P z`, :math:`\operatorname{tr}(\Sigma_2^{-1}\Sigma_1)`
    changes by :math:`\langle Q, A^\top A\rangle - \langle P, A A^\top\rangle` and
    :math:`\log\det(\Sigma_2^{-1}\Sigma_1)` by :math:`\operatorname{tr} Q - \operatorname{tr} P`.
    The second-order terms are of the size of the squared rounding errors.
    """
    P, Q = whitened_residual(f.S2, f.L2), whitened_residual(f.S1, f.L1)
    A, At = f.A, np.swapaxes(f.A, -1, -2)
    maha = f.maha - np.einsum("...i,...ij,...j->...", f.z, P, f.z)
    trace = f.trace + np.sum(Q * (At @ A) - P * (A @ At), axis=(-2, -1))
    logratio = f.logratio + np.trace(Q, axis1=-2, axis2=-1) - np.trace(P, axis1=-2, axis2=-1)
    return 0.5 * (maha + trace - f.L1.shape[-1] - logratio)


def whitened_residual(S, L):
    """L^-1 (S - L L^T) L^-T, the factor's rounding error seen from the factor's own frame."""
    return _linalg.solve_lower_matrix(L, np.swapaxes(_linalg.solve_lower_matrix(L, residual(S, L)), -1, -2))


def residual(S, L):
    """S - L L^T to about six significant digits, although it is of the size of rounding errors.

    Each row of L is cut into a head and a middle slice that carry few enough bits for
    their products, summed over a row, to be exact in floating point (Ozaki's error-free
    splitting), and a small tail; the products then cancel S in order of decreasing
    size, and only those involving the tail are rounded, at the level of eps^2.
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


def checked(kl, terms, pairs):
    """(B.9) as computed from its :class:`Terms` for a batch of :class:`Pairs`, made trustworthy.

    Returns the divergence and a mask of the pairs that need :func:`refined`.

    The spread tr - m - logratio is a difference of terms of size tr + m + |logratio|;
    where twice the result is below CANCELLATION (1 %) of that size, more than about two
    digits cancel, and the spread is recomputed in the cancellation-free form. Elsewhere, the rounding errors of the
    factors cost a relative error of about eps (kappa2 (m + tr + maha) + kappa1 (m + tr))
    / (m 2 KL), kappa being (bounds on) the covariances' condition numbers: on random
    pairs (m = 2 ... 50, condition numbers up to 1e6) the measured error stays below
    an eighth of this estimate. Pairs where it exceeds 1e-12 need the refinement.
    """
    m = pairs.S1.shape[-1]
    maha, trace, logratio, kappa1, kappa2 = terms
    twice = 2.0 * kl
    threatened = twice < CANCELLATION * (trace + m + np.abs(logratio))
    if np.any(threatened):
        twice = _batching.patched(twice, threatened, stable_twice, pairs)
    error = _linalg.EPS * (kappa2 * (m + trace + maha) + kappa1 * (m + trace))
    needs = (error > REFINE * m * twice) & ~threatened
    return 0.5 * twice, needs


def stable_twice(pairs):
    r"""Twice (B.9) without cancellation, for a batch of :class:`Pairs` (or one pair).

    The spread :math:`\operatorname{tr}(\Sigma_2^{-1}\Sigma_1) - m - \log\det(\Sigma_2^{-1}\Sigma_1)`
    is :math:`\sum_i f(d_i)`, :math:`f(d) = d - \log(1 + d)`, with :math:`d_i` the
    eigenvalues of :math:`D = L_2^{-1}(\Sigma_1 - \Sigma_2)L_2^{-\top}`; a power series
    gives :math:`f` for small :math:`d`. Where the condition number of
    :math:`\Sigma_2` makes the factor's rounding errors matter, both terms are
    corrected to first order in its residual (see :func:`refined`): with
    :math:`P = L_2^{-1} R_2 L_2^{-\top}` and :math:`u_i` the eigenvectors of
    :math:`D`, :math:`z^\top z` loses :math:`z^\top P z` and each :math:`d_i` loses
    :math:`d_i u_i^\top P u_i`.
    """
    diff, S1, S2 = pairs
    L2 = np.linalg.cholesky(S2)
    z = _linalg.solve_lower(L2, diff, name="mu1 - mu2")
    E = _linalg.solve_lower_matrix(L2, S1 - S2)
    D = _linalg.solve_lower_matrix(L2, np.swapaxes(E, -1, -2))
    d, U = np.linalg.eigh(0.5 * (D + np.swapaxes(D, -1, -2)))
    twice = np.sum(z**2, axis=-1) + np.sum(_series.d_minus_log1p(d), axis=-1)
    needs = _linalg.EPS * _linalg.condition(S2, L2) > REFINE
    if np.any(needs):
        twice = _batching.patched(twice, needs, stable_refined, Spread(twice=twice, S2=S2, L2=L2, z=z, d=d, U=U))
    return twice


def stable_refined(s):
    """The first-order correction of :func:`stable_twice` (a :class:`Spread`) for the rounding
    errors of L2."""
    P = whitened_residual(s.S2, s.L2)
    along = np.einsum("...ji,...jk,...ki->...i", s.U, P, s.U)  # u_i^T P u_i
    d = s.d
    return s.twice - np.einsum("...i,...ij,...j->...", s.z, P, s.z) - np.sum(along * d * d / (1 + d), axis=-1)
