"""Tests of mathlib.gaussian: the normal densities (B.8) and (B.9)-(B.11)."""

import re
from fractions import Fraction

import numpy as np
import pytest
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from strategies import covariances, means

from mathlib.reference import kl_mvn_cases, kl_mvn_mp, kl_mvn_textbook, random_covariance
from mathlib import _accuracy, _batching, gaussian, kl_mvn, kl_mvn_isotropic, kl_mvn_standard, mvn_logpdf, mvn_pdf, normal_pdf



class TestDensities:
    @given(st.floats(-5, 5), st.floats(-5, 5), st.floats(0.01, 10))
    def test_normal_pdf_matches_scipy(self, x, mu, sigma2):
        assert_allclose(normal_pdf(x, mu, sigma2), scipy.stats.norm.pdf(x, mu, np.sqrt(sigma2)), rtol=1e-12)

    @pytest.mark.parametrize("m", [1, 2, 5, 30])
    def test_mvn_logpdf_matches_scipy(self, m):
        rng = np.random.default_rng(m)
        mu = rng.standard_normal(m)
        sigma = random_covariance(rng, m, cond=100.0)
        x = rng.standard_normal((7, m))
        want = scipy.stats.multivariate_normal(mu, sigma).logpdf(x)
        assert_allclose(mvn_logpdf(x, mu, sigma), want, rtol=1e-10)
        assert_allclose(mvn_pdf(x, mu, sigma), np.exp(want), rtol=1e-10)

    def test_univariate_case_agrees(self):
        x = np.linspace(-3, 3, 13)
        assert_allclose(mvn_pdf(x[:, None], [0.5], [[2.0]]), normal_pdf(x, 0.5, 2.0), rtol=1e-13)

    def test_batches_of_covariances_broadcast(self):
        rng = np.random.default_rng(4)
        sigmas = np.stack([random_covariance(rng, 3, 10.0) for _ in range(4)])
        mus = rng.standard_normal((4, 3))
        x = rng.standard_normal(3)
        got = mvn_logpdf(x, mus, sigmas)
        want = [scipy.stats.multivariate_normal(mu, s).logpdf(x) for mu, s in zip(mus, sigmas)]
        assert got.shape == (4,)
        assert_allclose(got, want, rtol=1e-12)

    def test_large_dimension_no_determinant_underflow(self):
        # det(0.1 I) underflows to 0 at m = 500; the log-determinant from the Cholesky diagonal does not.
        m = 500
        got = mvn_logpdf(np.zeros(m), np.zeros(m), 0.1 * np.eye(m))
        assert_allclose(got, -0.5 * m * np.log(2 * np.pi * 0.1), rtol=1e-13)


class TestKL:
    @pytest.mark.parametrize("m, cond", [(1, 1.0), (2, 10.0), (3, 1e3), (5, 1e6), (10, 1e4), (10, 1e6)])
    def test_against_mpmath_reference(self, m, cond):
        rng = np.random.default_rng(10 * m + int(np.log10(cond)))
        mu1, mu2 = rng.standard_normal(m), rng.standard_normal(m)
        s1, s2 = random_covariance(rng, m, cond), random_covariance(rng, m, cond)
        ref = float(kl_mvn_mp(mu1, s1, mu2, s2))
        assert_allclose(kl_mvn(mu1, s1, mu2, s2), ref, rtol=1e-9)

    @pytest.mark.parametrize("m", [2, 10, 20])
    def test_accuracy_families(self, m):
        # Relative error 1e-12 against 50 digits: well- and ill-conditioned (1e6) pairs,
        # and divergences of 1e-14.
        for family, (mu1, s1, mu2, s2) in kl_mvn_cases(np.random.default_rng(m), m).items():
            ref = float(kl_mvn_mp(mu1, s1, mu2, s2))
            assert abs(kl_mvn(mu1, s1, mu2, s2) - ref) <= 1e-12 * ref, family

    @pytest.mark.parametrize("m", [2, 10])
    @pytest.mark.parametrize("batched", [False, True])
    def test_structured_ill_conditioned_pairs(self, m, batched):
        # Covariances with condition number 1e6 whose errors do not average out: Sigma1 = 2 Sigma2
        # (exactly KL = m (1 - log 2) / 2), and a mean difference along Sigma2's weakest direction.
        rng = np.random.default_rng(m)
        s2 = random_covariance(rng, m, 1e6)
        weakest = np.linalg.eigh(s2)[1][:, 0]
        mu = rng.standard_normal(m)
        cases = [((mu, 2.0 * s2, mu, s2), m * (1 - np.log(2)) / 2),
                 ((mu + weakest, s2, mu, s2), float(kl_mvn_mp(mu + weakest, s2, mu, s2)))]
        for args, want in cases:
            got = kl_mvn(*(np.stack([a, a]) for a in args))[0] if batched else kl_mvn(*args)
            assert abs(got - want) <= 1e-12 * want

    @pytest.mark.parametrize("m", [2, 8])
    def test_refinement_in_broadcast_batches(self, m):
        # Ill-conditioned covariances (1e6) in a (2, 3) batch against one covariance, both ways round.
        rng = np.random.default_rng(m)
        s = random_covariance(rng, m, 1e6)
        batch = np.reshape([random_covariance(rng, m, 1e6) for _ in range(6)], (2, 3, m, m))
        mu_batch, mu = rng.standard_normal((3, m)), rng.standard_normal((2, 1, m))
        forward, backward = kl_mvn(mu_batch, batch, mu, s), kl_mvn(mu, s, mu_batch, batch)
        for i, j in np.ndindex(2, 3):
            for got, args in ((forward[i, j], (mu_batch[j], batch[i, j], mu[i, 0], s)),
                              (backward[i, j], (mu[i, 0], s, mu_batch[j], batch[i, j]))):
                want = float(kl_mvn_mp(*args, dps=30))
                assert abs(got - want) <= 1e-12 * want

    @pytest.mark.parametrize("m", [2, 10])
    def test_ill_conditioned_pairs_need_the_refinement(self, m, monkeypatch):
        # Without the correction for the factors' rounding errors, the test above fails.
        mu1, s1, mu2, s2 = kl_mvn_cases(np.random.default_rng(m), m)["ill-conditioned"]
        ref = float(kl_mvn_mp(mu1, s1, mu2, s2))
        monkeypatch.setattr(_accuracy, "REFINE", np.inf)
        assert abs(kl_mvn(mu1, s1, mu2, s2) - ref) > 1e-12 * ref

    @pytest.mark.parametrize("m, batch", [(2, ()), (50, ()), (300, ()), (2, (200,)), (8, (200,))])
    def test_well_conditioned_pairs_skip_the_refinement(self, m, batch, monkeypatch):
        # The refinement costs several times the plain computation: only pairs that need it pay.
        refined, original = [], _accuracy.refined

        def counted(*args):
            refined.append(args)
            return original(*args)
        monkeypatch.setattr(_accuracy, "refined", counted)
        rng = np.random.default_rng(m)
        spd = lambda: np.reshape([random_covariance(rng, m, 100.0) for _ in range(int(np.prod(batch)))], batch + (m, m))
        kl = kl_mvn(rng.standard_normal(batch + (m,)), spd(), rng.standard_normal(batch + (m,)), spd())
        assert refined == [], "refined a well-conditioned pair"
        assert np.shape(kl) == batch and np.all(np.isfinite(kl)) and np.all(kl > 0)

    @pytest.mark.parametrize("m, cond", [(3, 1e6), (40, 1e8), (300, 1e3)])
    def test_cholesky_residual_is_exact_enough(self, m, cond):
        # S - L L^T is of the size of rounding errors; exact rational arithmetic checks
        # the sliced products (a few rows of it for the larger matrix).
        rng = np.random.default_rng(m)
        d = 10.0 ** rng.uniform(-3, 3, m)  # rows of very different scales
        s = d[:, None] * random_covariance(rng, m, cond) * d
        s = 0.5 * (s + s.T)
        L = np.linalg.cholesky(s)
        got = _accuracy.residual(s, L)
        for i in range(min(m, 2)):
            for j in range(m):
                exact = Fraction(s[i, j]) - sum(Fraction(L[i, k]) * Fraction(L[j, k]) for k in range(m))
                assert abs(Fraction(got[i, j]) - exact) <= 1e-6 * abs(exact) + Fraction(1e-30), (i, j)

    def test_batch_mixing_all_families(self):
        # The cancellation-free form and the refinement apply to the pairs of a batch that need them.
        cases = list(kl_mvn_cases(np.random.default_rng(1), 3).values())
        got = kl_mvn(*[np.stack([c[i] for c in cases]) for i in range(4)])
        refs = np.array([float(kl_mvn_mp(*c)) for c in cases])
        assert got.shape == (len(cases),)
        assert np.all(np.abs(got - refs) <= 1e-12 * refs)

    def test_textbook_formula_fails_the_tiny_family(self):
        # The same check on inv/det (B.9) as written fails by far: the test above can fail.
        mu1, s1, mu2, s2 = kl_mvn_cases(np.random.default_rng(10), 10)["tiny KL"]
        textbook = kl_mvn_textbook(mu1, s1, mu2, s2)
        ref = float(kl_mvn_mp(mu1, s1, mu2, s2))
        assert abs(textbook - ref) > 1e-3 * ref

    @pytest.mark.parametrize("m", [1, 3, 10])
    def test_closed_forms_keep_their_digits_for_close_distributions(self, m):
        # (B.10) and (B.11) as written cancel when the two distributions are close.
        rng = np.random.default_rng(m)
        S = (1 + 1e-7 * rng.standard_normal()) * np.eye(m) + 1e-8 * np.diag(rng.standard_normal(m))
        mu = 1e-8 * rng.standard_normal(m)
        ref = float(kl_mvn_mp(mu, S, np.zeros(m), np.eye(m)))
        assert abs(kl_mvn_standard(mu, S) - ref) <= 1e-12 * ref
        ref = float(kl_mvn_mp(mu, 2.0 * S, np.zeros(m), 2.0 * np.eye(m)))
        assert abs(kl_mvn_isotropic(mu, 2.0 * S, np.zeros(m), 2.0) - ref) <= 1e-12 * ref
        batch = kl_mvn_standard(np.stack([mu, mu + 1.0]), np.stack([S, S]))
        assert abs(batch[0] - kl_mvn_standard(mu, S)) <= 1e-15 * batch[0]

    def test_an_empty_batch_gives_an_empty_result(self):
        assert kl_mvn(np.zeros((3, 0, 2)), np.eye(2), np.zeros(2), np.eye(2)).shape == (3, 0)

    def test_equal_distributions_give_zero(self):
        rng = np.random.default_rng(0)
        s = random_covariance(rng, 4, 10.0)
        mu = rng.standard_normal(4)
        assert abs(kl_mvn(mu, s, mu, s)) < 1e-14

    def test_univariate_closed_form(self):
        # KL(N(a, s) || N(b, t)) = (log(t/s) + (s + (a - b)^2)/t - 1) / 2, written out independently.
        a, s, b, t = 0.3, 2.0, -1.2, 0.7
        want = 0.5 * (np.log(t / s) + (s + (a - b) ** 2) / t - 1)
        assert_allclose(kl_mvn([a], [[s]], [b], [[t]]), want, rtol=1e-14)

    def test_batch_matches_loop(self):
        rng = np.random.default_rng(5)
        s1 = np.stack([random_covariance(rng, 3, 100.0) for _ in range(6)])
        s2 = random_covariance(rng, 3, 100.0)
        mu1 = rng.standard_normal((6, 3))
        mu2 = rng.standard_normal(3)
        got = kl_mvn(mu1, s1, mu2, s2)
        assert got.shape == (6,)
        assert_allclose(got, [kl_mvn(a, b, mu2, s2) for a, b in zip(mu1, s1)], rtol=1e-13)

    @pytest.mark.parametrize("m", [1, 2, 3, 8, 20])
    @pytest.mark.parametrize("layout", ["one batch axis", "single Sigma2", "two batch axes", "broadcast first axis"])
    def test_blocks_match_single_pairs(self, m, layout, monkeypatch):
        # Large batches go in blocks (made small here), through closed forms for m <= 2 and
        # vectorised substitution up to m = 16; each pair must agree with the one-pair path.
        monkeypatch.setattr(_batching, "BLOCK_PAIRS", 4)
        rng = np.random.default_rng(m)
        spd = lambda *batch: np.reshape([random_covariance(rng, m, 100.0) for _ in range(int(np.prod(batch)))],
                                        batch + (m, m))
        shapes = {
            "one batch axis": ((11,), (11,), (11,), (11,)),
            "single Sigma2": ((11,), (11,), (), ()),
            "two batch axes": ((9, 3), (9, 3), (3,), (9, 1)),
            "broadcast first axis": ((1, 3), (9, 1), (9, 3), (1, 3)),
        }[layout]
        mu1, mu2 = (rng.standard_normal(shape + (m,)) for shape in shapes[::2])
        s1, s2 = (spd(*shape) for shape in shapes[1::2])
        got = kl_mvn(mu1, s1, mu2, s2)
        batch = np.broadcast_shapes(*shapes)
        assert got.shape == batch
        a, b, c, d = (np.broadcast_to(x, batch + x.shape[len(x.shape) - k:])
                      for x, k in ((mu1, 1), (s1, 2), (mu2, 1), (s2, 2)))
        want = [kl_mvn(a[i], b[i], c[i], d[i]) for i in np.ndindex(batch)]
        assert_allclose(got.ravel(), want, rtol=1e-12)

    @pytest.mark.parametrize("family", ["tiny KL", "ill-conditioned", "tiny KL, ill-conditioned"])
    @pytest.mark.parametrize("m", [1, 2, 3, 8, 17])
    def test_batches_keep_full_accuracy(self, m, family):
        # The closed forms, the substitution and the LAPACK paths for batches meet 1e-12 too.
        cases = [kl_mvn_cases(np.random.default_rng(seed), m)[family] for seed in range(4)]
        got = kl_mvn(*[np.stack([c[i] for c in cases]) for i in range(4)])
        refs = np.array([float(kl_mvn_mp(*c)) for c in cases])
        assert np.all(np.abs(got - refs) <= 1e-12 * refs)

    @given(st.integers(1, 4).flatmap(lambda m: st.tuples(means(m), covariances(m), means(m), covariances(m))))
    def test_gibbs_inequality(self, args):
        assert kl_mvn(*args) >= -1e-12

    @given(
        st.integers(1, 4).flatmap(lambda m: st.tuples(means(m), covariances(m), means(m))),
        st.floats(0.05, 20.0),
    )
    def test_isotropic_is_b9_with_scaled_identity(self, args, sigma2_sq):
        mu1, s1, mu2 = args
        m = mu1.shape[0]
        want = kl_mvn(mu1, s1, mu2, sigma2_sq * np.eye(m))
        assert_allclose(kl_mvn_isotropic(mu1, s1, mu2, sigma2_sq), want, rtol=1e-9, atol=1e-12)

    @given(st.integers(1, 4).flatmap(lambda m: st.tuples(means(m), covariances(m))))
    def test_standard_is_isotropic_with_zero_mean_unit_variance(self, args):
        mu1, s1 = args
        want = kl_mvn_isotropic(mu1, s1, np.zeros_like(mu1), 1.0)
        assert_allclose(kl_mvn_standard(mu1, s1), want, rtol=1e-12, atol=1e-12)

    def test_vae_diagonal_term(self):
        # The VAE's KL term: -1/2 sum(1 + log v - mu^2 - v) for a diagonal covariance v.
        mu, v = np.array([0.5, -1.0, 0.0]), np.array([0.2, 1.5, 1.0])
        want = -0.5 * np.sum(1 + np.log(v) - mu**2 - v)
        assert_allclose(kl_mvn_standard(mu, np.diag(v)), want, rtol=1e-14)


class TestErrors:
    @pytest.mark.parametrize("call", [
        lambda: kl_mvn(np.zeros(0), np.zeros((0, 0)), np.zeros(0), np.zeros((0, 0))),
        lambda: kl_mvn_isotropic(np.zeros(0), np.zeros((0, 0)), np.zeros(0), 1.0),
        lambda: kl_mvn_standard(np.zeros(0), np.zeros((0, 0))),
        lambda: mvn_logpdf(np.zeros(0), np.zeros(0), np.zeros((0, 0))),
        lambda: kl_mvn(np.zeros(2), np.zeros((0, 0)), np.zeros(2), np.eye(2)),
    ], ids=["kl_mvn", "isotropic", "standard", "logpdf", "0x0 covariance"])
    def test_a_normal_needs_at_least_one_coordinate(self, call):
        with pytest.raises(ValueError, match=r"needs m >= 1"):
            call()

    I2 = np.eye(2)
    Z2 = np.zeros(2)

    @pytest.mark.parametrize(
        "args, message",
        [
            ((Z2, [[1.0, 2.0], [2.0, 1.0]], Z2, I2), "Sigma1 is not positive definite"),
            ((Z2, I2, Z2, [[1.0, 0.0], [0.0, -1.0]]), "Sigma2 is not positive definite"),
            ((Z2, [[1.0, 0.5], [0.0, 1.0]], Z2, I2), "Sigma1 is not symmetric"),
            ((Z2, np.ones((2, 3)), Z2, I2), "Sigma1 must be a square matrix"),
            ((Z2, I2, Z2, [1.0, 2.0]), "Sigma2 must be a square matrix"),
            ((np.zeros(3), I2, Z2, I2), "mismatched shapes"),
            ((Z2, I2, Z2, np.eye(3)), "mismatched shapes"),
            (([np.nan, 0.0], I2, Z2, I2), "mu1 contains nan or inf"),
            ((Z2, I2, Z2, [[np.inf, 0], [0, 1]]), "Sigma2 contains nan or inf"),
        ],
    )
    def test_kl_mvn(self, args, message):
        with pytest.raises(ValueError, match=message):
            kl_mvn(*args)

    @pytest.mark.parametrize("m", [1, 2, 3])
    def test_messages_name_the_index_and_the_value(self, m):
        covs = np.tile(np.eye(m), (12, 1, 1))
        covs[9] = -np.eye(m)
        with pytest.raises(ValueError, match=r"^Sigma2\[9\] is not positive definite$"):
            kl_mvn(np.zeros(m), np.eye(m), np.zeros(m), covs)
        with pytest.raises(ValueError, match=r"^sigma2_sq must be positive, got -1.0 at index 3$"):
            kl_mvn_isotropic(np.zeros(m), np.eye(m), np.zeros(m), [1.0, 2.0, 3.0, -1.0])
        with pytest.raises(ValueError, match=r"^mu1 contains nan or inf \(got nan at index 2, 0\)$"):
            kl_mvn(np.array([[0.0] * m] * 2 + [[np.nan] * m]), np.eye(m), np.zeros(m), np.eye(m))

    @pytest.mark.parametrize("m", [2, 5])
    @pytest.mark.parametrize("bad, message", [("not positive definite", r"Sigma2\[9\] is not positive definite"),
                                              ("not symmetric", r"Sigma2\[9\] is not symmetric")])
    def test_kl_mvn_finds_a_bad_matrix_in_a_later_block(self, m, bad, message, monkeypatch):
        monkeypatch.setattr(_batching, "BLOCK_PAIRS", 4)
        s2 = np.tile(np.eye(m), (10, 1, 1))
        if bad == "not symmetric":
            s2[-1, 0, 1] = 0.5
        else:
            s2[-1] = -np.eye(m)
        with pytest.raises(ValueError, match=message):
            kl_mvn(np.zeros(m), np.eye(m), np.zeros(m), s2)

    @pytest.mark.parametrize("m", [1, 2, 3])
    @pytest.mark.parametrize("layout", ["one batch axis", "two batch axes"])
    @pytest.mark.parametrize("bad", ["not positive definite", "not symmetric"])
    def test_a_large_batch_names_a_bad_matrix_by_its_index_in_the_whole_batch(self, m, layout, bad, monkeypatch):
        # Blocks as kl_mvn cuts them (not made smaller): the bad matrix is near the end of a
        # batch of three blocks' worth of pairs or more, so far past the first block.
        blocks = []
        block = gaussian._kl_mvn_block
        monkeypatch.setattr(gaussian, "_kl_mvn_block", lambda *args: blocks.append(args[1]) or block(*args))
        n = 3 * _batching.BLOCK_PAIRS
        batch, where = {"one batch axis": ((n,), (n - 5,)), "two batch axes": ((n // 4, 4), (n // 4 - 3, 2))}[layout]
        if bad == "not symmetric" and m == 1:
            pytest.skip("a 1 x 1 matrix is symmetric")
        s1, s2 = np.eye(m), np.tile(2.0 * np.eye(m), batch + (1, 1))
        if bad == "not symmetric":
            s2[where + (0, 1)] = 0.5
        else:
            s2[where] = -np.eye(m)
        name = f"Sigma2[{', '.join(map(str, where))}] is {bad}"
        with pytest.raises(ValueError, match=rf"^{re.escape(name)}$"):
            kl_mvn(np.zeros(m), s1, np.zeros(m), s2)
        assert len(blocks) > 2 and blocks[-1] > 0, "the error was not found in a later block"
        # The batch's other pairs are fine, and so is the whole batch once the bad one is.
        s2[where] = 2.0 * np.eye(m)
        assert_allclose(kl_mvn(np.zeros(m), s1, np.zeros(m), s2), 0.5 * (m / 2 - m + m * np.log(2)), rtol=1e-14)

    @pytest.mark.parametrize("m", [2, 5])
    def test_symmetric_within_rounding_is_accepted(self, m):
        s = np.tile(2.0 * np.eye(m), (3, 1, 1))
        s[:, 0, 1] = 1e-13  # an asymmetry of a rounding error: accepted
        assert np.all(np.isfinite(kl_mvn(np.zeros(m), s, np.zeros(m), np.eye(m))))

    def test_isotropic_variance_must_be_positive(self):
        with pytest.raises(ValueError, match="sigma2_sq must be positive"):
            kl_mvn_isotropic(self.Z2, self.I2, self.Z2, 0.0)

    def test_standard_checks_its_covariance(self):
        with pytest.raises(ValueError, match="Sigma1 is not positive definite"):
            kl_mvn_standard(self.Z2, np.zeros((2, 2)))

    @pytest.mark.parametrize("sigma2", [0.0, -1.0, np.nan])
    def test_normal_pdf_variance(self, sigma2):
        with pytest.raises(ValueError, match="sigma2"):
            normal_pdf(0.0, 0.0, sigma2)

    def test_logpdf_dimension_mismatch(self):
        with pytest.raises(ValueError, match="mismatched shapes"):
            mvn_logpdf(np.zeros(3), self.Z2, self.I2)
        with pytest.raises(ValueError, match="Sigma is not positive definite"):
            mvn_logpdf(self.Z2, self.Z2, -self.I2)
