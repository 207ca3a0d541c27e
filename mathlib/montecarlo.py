r"""Monte Carlo estimates of the KL divergence, with their standard errors.

The KL divergence (B.6) is an expectation under ``p``:

.. math:: D_{KL}(p \| q) = \mathbb{E}_{X \sim p}\big[\log p(X) - \log q(X)\big],

so the mean of the log-ratio over ``n`` independent draws from ``p`` estimates
it, and the sample standard deviation over :math:`\sqrt{n}` is the standard
error of that mean. Every draw comes from the ``numpy.random.Generator``
passed in; nothing is drawn from global state.
"""

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri
from scipy.stats import qmc

from . import _linalg, _validate
from .gaussian import mvn_logpdf

__all__ = ["MonteCarloResult", "mc_kl", "mc_kl_mvn"]


@dataclass(frozen=True)
class MonteCarloResult:
    """A Monte Carlo estimate of an expectation.

    Attributes
    ----------
    estimate : float
        The sample mean.
    stderr : float
        Its standard error, the sample standard deviation (``ddof=1``) over
        the square root of ``n``.
    n : int
        The number of draws.
    """

    estimate: float
    stderr: float
    n: int


def mc_kl(sample_p, logpdf_p, logpdf_q, n, *, rng):
    r"""Monte Carlo estimate of :math:`D_{KL}(p \| q)`, the expectation form of (B.6).

    Parameters
    ----------
    sample_p : callable
        ``sample_p(rng, n)`` returns ``n`` independent draws from ``p``, stacked
        along the first axis.
    logpdf_p, logpdf_q : callable
        Log-densities (or log-probabilities) of ``p`` and ``q``, evaluated on
        the array of draws and returning one value per draw.
    n : int
        Number of draws, at least 2 (a standard error needs two).
    rng : numpy.random.Generator
        The source of randomness, e.g. ``numpy.random.default_rng(seed)``.

    Returns
    -------
    MonteCarloResult
        ``estimate``, ``stderr`` and ``n``.

    Examples
    --------
    KL between :math:`\mathcal{N}(1, 1)` and :math:`\mathcal{N}(0, 1)` is 1/2:

    >>> import numpy as np
    >>> from mathlib import mc_kl, normal_pdf
    >>> res = mc_kl(lambda rng, n: rng.normal(1.0, 1.0, size=n),
    ...             lambda x: np.log(normal_pdf(x, 1.0, 1.0)),
    ...             lambda x: np.log(normal_pdf(x, 0.0, 1.0)),
    ...             100_000, rng=np.random.default_rng(0))
    >>> abs(res.estimate - 0.5) < 4 * res.stderr
    True
    """
    n = _sample_size(n)
    _check_generator(rng)
    x = sample_p(rng, n)
    log_ratio = np.asarray(logpdf_p(x), dtype=float) - np.asarray(logpdf_q(x), dtype=float)
    if log_ratio.shape != (n,):
        raise ValueError(f"logpdf_p and logpdf_q must return one value per draw, shape ({n},); "
                         f"got {log_ratio.shape}")
    if not np.all(np.isfinite(log_ratio)):
        raise ValueError("log p - log q is not finite at some draw (q has no mass where p has)")
    return MonteCarloResult(
        estimate=float(np.mean(log_ratio)),
        stderr=float(np.std(log_ratio, ddof=1) / np.sqrt(n)),
        n=n,
    )


def mc_kl_mvn(mu1, Sigma1, mu2, Sigma2, n, *, rng, method="mc", scrambles=32):
    r"""Monte Carlo estimate of the KL divergence between two normals, for checking (B.9).

    Draws :math:`x = \mu_1 + L_1 z` with :math:`z` standard normal and
    :math:`\Sigma_1 = L_1 L_1^\top`, and averages the difference of the two
    log-densities (B.8).

    Parameters
    ----------
    mu1, mu2 : array_like, shape (m,)
    Sigma1, Sigma2 : array_like, shape (m, m)
    n : int
        Number of points in all, at least 2.
    rng : numpy.random.Generator
    method : {"mc", "qmc"}
        ``"mc"``: independent pseudo-random draws; the standard error comes from
        their spread. ``"qmc"``: randomised quasi-Monte Carlo, ``scrambles``
        independently scrambled Sobol' sequences of ``n / scrambles`` points each
        (a power of 2), mapped to normals by the inverse CDF; the estimate is the
        mean of the per-scramble means and the standard error comes from their
        spread. Its error falls nearly like :math:`1/n` instead of :math:`1/\sqrt{n}`.
    scrambles : int
        Number of independent scrambles for ``"qmc"`` (at least 2; 32 or more
        gives a trustworthy standard error).

    Returns
    -------
    MonteCarloResult

    Examples
    --------
    >>> import numpy as np
    >>> from mathlib import kl_mvn, mc_kl_mvn
    >>> mu1, S1 = np.array([1.0, 0.0]), np.array([[2.0, 0.5], [0.5, 1.0]])
    >>> mu2, S2 = np.zeros(2), np.eye(2)
    >>> res = mc_kl_mvn(mu1, S1, mu2, S2, 200_000, rng=np.random.default_rng(1))
    >>> bool(abs(res.estimate - kl_mvn(mu1, S1, mu2, S2)) < 4 * res.stderr)
    True
    >>> qmc = mc_kl_mvn(mu1, S1, mu2, S2, 2**15, rng=np.random.default_rng(1), method="qmc")
    >>> bool(qmc.stderr < res.stderr)
    True
    """
    mu1 = _validate.mean_vector(mu1, "mu1")
    mu2 = _validate.mean_vector(mu2, "mu2")
    L1 = _linalg.factor(Sigma1, "Sigma1")
    L2 = _linalg.factor(Sigma2, "Sigma2")
    if mu1.ndim != 1 or mu2.ndim != 1 or L1.ndim != 2 or L2.ndim != 2:
        raise ValueError("mc_kl_mvn takes one pair of normals: means of shape (m,), covariances (m, m)")
    _validate.matching_dimension(mu1, L1, ("mu1", "Sigma1"))
    _validate.matching_dimension(mu2, L2, ("mu2", "Sigma2"))
    _validate.matching_dimension(mu1, L2, ("mu1", "Sigma2"))

    m = mu1.shape[-1]

    def to_p(z):  # standard normal points to draws from p
        return mu1 + z @ L1.T

    def logpdf_p(x):
        return mvn_logpdf(x, mu1, Sigma1)

    def logpdf_q(x):
        return mvn_logpdf(x, mu2, Sigma2)

    if method == "mc":
        return mc_kl(lambda rng, n: to_p(rng.standard_normal((n, m))), logpdf_p, logpdf_q, n, rng=rng)
    if method != "qmc":
        raise ValueError(f"method must be 'mc' or 'qmc' (got {method!r})")
    n = _sample_size(n)
    _check_generator(rng)
    if isinstance(scrambles, bool) or not isinstance(scrambles, (int, np.integer)) or scrambles < 2:
        raise ValueError(f"scrambles must be an integer of at least 2 (got {scrambles!r})")
    per_scramble = n // scrambles
    if per_scramble * scrambles != n or per_scramble & (per_scramble - 1):
        raise ValueError(f"with method='qmc', n / scrambles must be a power of 2 (got n={n}, scrambles={scrambles})")
    means = np.empty(scrambles)
    for r in range(scrambles):
        sobol = qmc.Sobol(d=m, scramble=True, seed=rng)
        x = to_p(ndtri(sobol.random_base2(int(np.log2(per_scramble)))))
        means[r] = np.mean(logpdf_p(x) - logpdf_q(x))
    return MonteCarloResult(
        estimate=float(np.mean(means)),
        stderr=float(np.std(means, ddof=1) / np.sqrt(scrambles)),
        n=n,
    )


def _check_generator(rng):
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng must be a numpy.random.Generator, e.g. numpy.random.default_rng(seed)")


def _sample_size(n):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise ValueError(f"n must be an integer number of draws (got {n!r})")
    if n < 2:
        raise ValueError(f"n must be at least 2 to give a standard error (got {n})")
    return int(n)
