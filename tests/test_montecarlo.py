"""Tests of mathlib.montecarlo: seeded estimates that must agree with the closed forms."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from mathlib import MonteCarloResult, kl_divergence, kl_mvn, mc_kl, mc_kl_mvn

CASES = {
    "m=1": (np.array([0.5]), np.array([[2.0]]), np.array([-0.5]), np.array([[0.8]])),
    "m=3 correlated": (
        np.array([1.0, 0.0, -1.0]),
        np.array([[2.0, 0.9, 0.3], [0.9, 1.0, 0.2], [0.3, 0.2, 0.5]]),
        np.zeros(3),
        np.array([[1.0, 0.5, 0.0], [0.5, 1.5, 0.1], [0.0, 0.1, 1.0]]),
    ),
    "m=5 standard": (np.full(5, 0.3), np.diag([0.5, 1.0, 1.5, 2.0, 0.8]), np.zeros(5), np.eye(5)),
}


@pytest.mark.parametrize("case", CASES)
def test_mc_kl_mvn_within_four_standard_errors(case):
    mu1, s1, mu2, s2 = CASES[case]
    res = mc_kl_mvn(mu1, s1, mu2, s2, 200_000, rng=np.random.default_rng(2024))
    exact = kl_mvn(mu1, s1, mu2, s2)
    assert isinstance(res, MonteCarloResult) and res.n == 200_000
    assert abs(res.estimate - exact) < 4 * res.stderr
    # The standard error is the spread of the log-ratio over sqrt(n): small, but not zero.
    assert 0 < res.stderr < 0.02


def test_mc_detects_a_wrong_formula():
    # A formula that drops the -m term is caught many standard errors away.
    mu1, s1, mu2, s2 = CASES["m=3 correlated"]
    res = mc_kl_mvn(mu1, s1, mu2, s2, 200_000, rng=np.random.default_rng(7))
    wrong = kl_mvn(mu1, s1, mu2, s2) + 3 / 2
    assert abs(res.estimate - wrong) > 20 * res.stderr


def test_same_seed_same_result_and_no_global_state():
    mu1, s1, mu2, s2 = CASES["m=1"]
    np.random.seed(0)
    a = mc_kl_mvn(mu1, s1, mu2, s2, 1000, rng=np.random.default_rng(1))
    np.random.seed(99)
    b = mc_kl_mvn(mu1, s1, mu2, s2, 1000, rng=np.random.default_rng(1))
    assert a == b


def test_standard_error_shrinks_like_one_over_sqrt_n():
    mu1, s1, mu2, s2 = CASES["m=3 correlated"]
    small = mc_kl_mvn(mu1, s1, mu2, s2, 10_000, rng=np.random.default_rng(3))
    large = mc_kl_mvn(mu1, s1, mu2, s2, 1_000_000, rng=np.random.default_rng(3))
    assert_allclose(small.stderr / large.stderr, 10.0, rtol=0.1)


def test_generic_estimator_on_a_discrete_pair():
    p, q = np.array([0.1, 0.4, 0.5]), np.array([0.2, 0.3, 0.5])
    res = mc_kl(
        lambda rng, n: rng.choice(3, size=n, p=p), lambda x: np.log(p[x]), lambda x: np.log(q[x]),
        100_000, rng=np.random.default_rng(11),
    )
    assert abs(res.estimate - kl_divergence(p, q)) < 4 * res.stderr


class TestErrors:
    args = CASES["m=1"]

    @pytest.mark.parametrize("n", [0, 1, -5])
    def test_too_few_draws(self, n):
        with pytest.raises(ValueError, match="n must be at least 2"):
            mc_kl_mvn(*self.args, n, rng=np.random.default_rng(0))

    def test_non_integer_n(self):
        with pytest.raises(ValueError, match="n must be an integer"):
            mc_kl_mvn(*self.args, 10.5, rng=np.random.default_rng(0))

    def test_rng_must_be_a_generator(self):
        with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
            mc_kl_mvn(*self.args, 10, rng=0)

    def test_bad_covariance_named(self):
        mu1, s1, mu2, _ = self.args
        with pytest.raises(ValueError, match="Sigma2 is not positive definite"):
            mc_kl_mvn(mu1, s1, mu2, [[-1.0]], 10, rng=np.random.default_rng(0))

    def test_unsupported_mass_is_an_error_not_nan(self):
        with pytest.raises(ValueError, match="not finite"), np.errstate(divide="ignore"):
            mc_kl(lambda rng, n: rng.integers(0, 2, n), lambda x: np.log(np.full(x.shape, 0.5)),
                  lambda x: np.log(np.where(x == 0, 1.0, 0.0)), 100, rng=np.random.default_rng(0))


class TestQuasiMonteCarlo:
    @pytest.mark.parametrize("case", CASES)
    def test_within_four_standard_errors(self, case):
        mu1, s1, mu2, s2 = CASES[case]
        res = mc_kl_mvn(mu1, s1, mu2, s2, 2**15, rng=np.random.default_rng(5), method="qmc")
        assert res.n == 2**15
        assert abs(res.estimate - kl_mvn(mu1, s1, mu2, s2)) < 4 * res.stderr

    def test_beats_plain_monte_carlo_at_equal_cost(self):
        mu1, s1, mu2, s2 = CASES["m=3 correlated"]
        mc = mc_kl_mvn(mu1, s1, mu2, s2, 2**16, rng=np.random.default_rng(6))
        qmc = mc_kl_mvn(mu1, s1, mu2, s2, 2**16, rng=np.random.default_rng(6), method="qmc")
        assert qmc.stderr < mc.stderr / 5

    @pytest.mark.parametrize(
        "kwargs, message",
        [
            ({"n": 1000, "method": "qmc"}, "power of 2"),
            ({"n": 2**10, "method": "qmc", "scrambles": 1}, "scrambles must be an integer of at least 2"),
            ({"n": 2**10, "method": "sobol"}, "method must be 'mc' or 'qmc'"),
        ],
    )
    def test_errors(self, kwargs, message):
        with pytest.raises(ValueError, match=message):
            mc_kl_mvn(*CASES["m=1"], rng=np.random.default_rng(0), **kwargs)
