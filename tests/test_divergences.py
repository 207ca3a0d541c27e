"""Tests of mathlib.divergences: (B.1)-(B.7)."""

import numpy as np
import pytest
import scipy.special
import scipy.stats
from hypothesis import assume, given
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy.spatial.distance import jensenshannon
from strategies import distributions

from mathlib.reference import exact_distribution, kl_divergence_mp
from mathlib import (
    binary_cross_entropy,
    binary_entropy,
    cross_entropy,
    entropy,
    js_distance,
    js_divergence,
    kl_divergence,
)

P = [0.1, 0.4, 0.5]
Q = [0.2, 0.3, 0.5]


class TestKnownValues:
    # The exact values of the KL explainer's example (shared/appendix-b.md), per base.
    @pytest.mark.parametrize(
        "base, forward, backward",
        [
            (None, 0.0457581109, 0.0523248144),
            (np.e, 0.0457581109, 0.0523248144),
            (2, 0.0660149997, 0.0754887502),
            (10, 0.0198724951, 0.0227243782),
        ],
    )
    def test_seed_example_in_every_base(self, base, forward, backward):
        assert_allclose(kl_divergence(P, Q, base=base), forward, atol=1e-10)
        assert_allclose(kl_divergence(Q, P, base=base), backward, atol=1e-10)

    def test_fair_coin_is_one_bit(self):
        assert entropy([0.5, 0.5], base=2) == pytest.approx(1.0, abs=1e-15)
        assert binary_entropy(0.5, base=2) == pytest.approx(1.0, abs=1e-15)

    def test_uniform_entropy_is_log_k(self):
        for k in (1, 2, 3, 10, 1000):
            assert_allclose(entropy(np.full(k, 1.0 / k)), np.log(k), atol=1e-12)

    def test_point_mass_has_zero_entropy(self):
        assert entropy([0.0, 1.0, 0.0]) == 0.0

    @pytest.mark.parametrize("p, q", [([0.5, 0.5], [1.0, 0.0]), ([0.0, 1.0], [1.0, 0.0])])
    def test_unsupported_mass_gives_inf(self, p, q):
        assert kl_divergence(p, q) == np.inf
        assert cross_entropy(p, q) == np.inf
        assert np.isfinite(js_divergence(p, q))

    def test_zero_mass_of_p_contributes_nothing(self):
        # q may lack the outcomes p lacks: 0 log 0 = 0, and 0 log(0/q) = 0.
        assert_allclose(kl_divergence([0.0, 1.0], [0.5, 0.5]), np.log(2), rtol=1e-15)
        assert_allclose(kl_divergence([0.0, 1.0, 0.0], [0.0, 1.0, 0.0]), 0.0)
        assert_allclose(cross_entropy([0.0, 1.0], [0.0, 1.0]), 0.0)

    def test_disjoint_supports_reach_one_bit(self):
        assert js_divergence([0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5], base=2) == pytest.approx(1.0, abs=1e-15)
        assert js_distance([1.0, 0.0], [0.0, 1.0]) == pytest.approx(np.sqrt(np.log(2)), rel=1e-15)

    def test_bases_are_unit_conversions(self):
        nats = kl_divergence(P, Q)
        assert_allclose(kl_divergence(P, Q, base=2), nats / np.log(2), rtol=1e-15)
        assert_allclose(entropy(P, base=7.5), entropy(P) / np.log(7.5), rtol=1e-15)


class TestAgainstScipy:
    @given(distributions(5), distributions(5))
    def test_kl_matches_rel_entr(self, p, q):
        assert_allclose(kl_divergence(p, q), np.sum(scipy.special.rel_entr(p, q)), rtol=1e-10, atol=1e-15)

    @given(distributions(4), st.sampled_from([None, 2, 10]))
    def test_entropy_matches_scipy(self, p, base):
        assert_allclose(entropy(p, base=base), scipy.stats.entropy(p, base=base), rtol=1e-12, atol=1e-15)

    @given(distributions(6), distributions(6), st.sampled_from([None, 2]))
    def test_js_distance_matches_scipy(self, p, q, base):
        assert_allclose(js_distance(p, q, base=base), jensenshannon(p, q, base=base), rtol=1e-7, atol=1e-7)

    def test_batches_match_row_by_row(self):
        rng = np.random.default_rng(3)
        p = rng.dirichlet(np.ones(4), size=(3, 5))
        q = rng.dirichlet(np.ones(4), size=5)  # broadcasts over the first axis
        got = kl_divergence(p, q)
        assert got.shape == (3, 5)
        want = np.sum(scipy.special.rel_entr(p, q), axis=-1)
        assert_allclose(got, want, rtol=1e-12)
        assert cross_entropy(p, q).shape == js_divergence(p, q).shape == entropy(p).shape == (3, 5)


class TestAccuracy:
    def test_close_distributions_keep_relative_accuracy(self):
        rng = np.random.default_rng(0)
        for k, eps in [(3, 1e-7), (10, 1e-6), (50, 1e-8), (1000, 1e-7)]:
            p = rng.dirichlet(np.ones(k))
            q = p * (1 + eps * rng.standard_normal(k))
            q /= q.sum()
            ref = kl_divergence_mp(p, q)
            assert ref > 0
            assert abs(kl_divergence(p, q) - float(ref)) <= 1e-12 * float(ref)

    def test_textbook_sum_would_fail_this_case(self):
        # The same case computed as sum p log(p/q) is far off: the test above can fail.
        rng = np.random.default_rng(0)
        p = rng.dirichlet(np.ones(50))
        q = p * (1 + 1e-8 * rng.standard_normal(50))
        q /= q.sum()
        naive = np.sum(p * np.log(p / q))
        ref = float(kl_divergence_mp(p, q))
        assert abs(naive - ref) > 1e-6 * ref

    def test_exactly_normalised_vectors(self):
        w = np.random.default_rng(1).dirichlet(np.ones(7))
        p = exact_distribution(w)
        assert float(np.sum(p)) == 1.0  # exactly: every partial sum is a multiple of 2**-50
        assert_allclose(p, w, atol=1e-14)

    def test_tiny_q_does_not_overflow(self):
        p = np.array([0.5, 0.5])
        q = np.array([1e-320, 1.0 - 1e-320])
        got = kl_divergence(p, q)
        assert np.isfinite(got)
        assert_allclose(got, float(kl_divergence_mp(p, q)), rtol=1e-12)
        assert_allclose(cross_entropy(p, q), -0.5 * np.log(1e-320), rtol=1e-12)


class TestProperties:
    @given(distributions(5), distributions(5))
    def test_gibbs_inequality(self, p, q):
        assert kl_divergence(p, q) >= 0.0

    @given(distributions(5))
    def test_zero_exactly_when_equal(self, p):
        assert kl_divergence(p, p) == 0.0
        assert js_divergence(p, p) == 0.0

    @given(distributions(5, allow_zeros=False), distributions(5, allow_zeros=False))
    def test_positive_when_different(self, p, q):
        assume(np.max(np.abs(p - q)) > 1e-3)  # hypothesis draws others instead
        assert kl_divergence(p, q) > 0.0

    def test_asymmetry_exists(self):
        assert abs(kl_divergence(P, Q) - kl_divergence(Q, P)) > 1e-3
        assert abs(cross_entropy(P, Q) - cross_entropy(Q, P)) > 1e-3

    @given(distributions(5), distributions(5, allow_zeros=False), st.sampled_from([None, 2, 10]))
    def test_decomposition(self, p, q, base):
        # H(p, q) = H(p) + D_KL(p || q): the identity behind (B.1)-(B.3).
        assert_allclose(
            cross_entropy(p, q, base=base), entropy(p, base=base) + kl_divergence(p, q, base=base), rtol=1e-12, atol=1e-14
        )

    @given(distributions(5))
    def test_cross_entropy_with_itself_is_entropy(self, p):
        assert_allclose(cross_entropy(p, p), entropy(p), rtol=1e-14, atol=1e-15)

    @given(distributions(5), distributions(5), st.sampled_from([None, 2, 10]))
    def test_jsd_symmetric_and_bounded(self, p, q, base):
        a, b = js_divergence(p, q, base=base), js_divergence(q, p, base=base)
        assert_allclose(a, b, rtol=1e-13, atol=1e-16)
        bound = np.log(2) if base is None else np.log(2) / np.log(base)
        assert 0.0 <= a <= bound

    @given(distributions(4), distributions(4), distributions(4))
    def test_js_distance_triangle_inequality(self, p, q, r):
        assert js_distance(p, r) <= js_distance(p, q) + js_distance(q, r) + 1e-12

    @given(st.floats(0, 1), st.floats(0, 1), st.sampled_from([None, 2, 10]))
    def test_binary_forms_match_general_ones(self, p1, q1, base):
        p, q = [1 - p1, p1], [1 - q1, q1]
        assert_allclose(binary_entropy(p1, base=base), entropy(p, base=base), rtol=1e-12, atol=1e-15)
        assert_allclose(binary_cross_entropy(p1, q1, base=base), cross_entropy(p, q, base=base), rtol=1e-12, atol=1e-15)

    def test_kl_of_a_converging_sequence_goes_to_zero(self):
        p = np.array(P)
        values = [kl_divergence(p, (1 - 2.0**-t) * p + 2.0**-t * np.array(Q)) for t in range(0, 40, 4)]
        assert all(a > b for a, b in zip(values, values[1:]))
        assert values[-1] < 1e-20


class TestErrors:
    def test_messages_name_the_row_and_the_value(self):
        with pytest.raises(ValueError, match=r"^p\[1\] does not sum to 1 along its last axis \(its sum is 1.1\)$"):
            kl_divergence([[0.5, 0.5], [0.2, 0.9]], [0.5, 0.5])
        with pytest.raises(ValueError, match=r"^q has negative probabilities \(got -0.25 at index 1\)$"):
            kl_divergence([0.5, 0.5, 0.0], [0.75, -0.25, 0.5])

    @pytest.mark.parametrize(
        "p, q, message",
        [
            ([-0.1, 1.1], [0.5, 0.5], "p has negative probabilities"),
            ([0.5, 0.5], [-0.1, 1.1], "q has negative probabilities"),
            ([0.5, 0.6], [0.5, 0.5], "p does not sum to 1"),
            ([0.5, 0.5], [0.2, 0.2], "q does not sum to 1"),
            ([0.5, 0.5], [0.2, 0.3, 0.5], "mismatched shapes"),
            ([np.nan, 1.0], [0.5, 0.5], "p contains nan or inf"),
            ([0.5, 0.5], [np.inf, 0.5], "q contains nan or inf"),
            ([[0.5, 0.5]] * 2, [[0.5, 0.5]] * 3, "mismatched shapes"),
            (0.5, 0.5, "at least one outcome"),
        ],
    )
    @pytest.mark.parametrize("func", [kl_divergence, cross_entropy, js_divergence, js_distance])
    def test_bad_pairs(self, func, p, q, message):
        with pytest.raises(ValueError, match=message):
            func(p, q)

    @pytest.mark.parametrize("base", [0, -2, 1, np.nan, [2, 10]])
    def test_bad_base(self, base):
        with pytest.raises(ValueError, match="base"):
            entropy(P, base=base)

    def test_bad_entropy_input(self):
        with pytest.raises(ValueError, match="p does not sum to 1"):
            entropy([0.2, 0.2])

    @pytest.mark.parametrize("bad", [1.5, -0.1, np.nan])
    def test_binary_probabilities_in_unit_interval(self, bad):
        with pytest.raises(ValueError, match="p1"):
            binary_entropy(bad)
        with pytest.raises(ValueError, match="q1"):
            binary_cross_entropy(0.5, bad)

    def test_binary_shapes(self):
        with pytest.raises(ValueError, match="mismatched shapes"):
            binary_cross_entropy([0.1, 0.2], [0.1, 0.2, 0.3])
