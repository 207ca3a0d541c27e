"""Tests of mathlib.losses: cross entropy on logits and its derivatives."""

import warnings

import numpy as np
import pytest
import scipy.special
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from mpmath import mp
from numpy.testing import assert_allclose
from strategies import distributions

from mathlib import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    distillation_loss,
    distillation_loss_grad,
    entropy,
    kl_divergence,
    log_softmax,
    sigmoid,
    softmax,
    softmax_cross_entropy,
    softmax_cross_entropy_grad,
    softmax_cross_entropy_hessian,
    smooth_labels,
)

logits = hnp.arrays(float, st.integers(2, 6), elements=st.floats(-20, 20))


def central_difference(f, z, h=1e-5):
    """Jacobian of f at z by central differences, one coordinate at a time."""
    cols = []
    for k in range(z.shape[-1]):
        e = np.zeros_like(z)
        e[k] = h
        cols.append((np.asarray(f(z + e)) - np.asarray(f(z - e))) / (2 * h))
    return np.stack(cols, axis=-1)


class TestSoftmax:
    @given(logits)
    def test_matches_scipy(self, z):
        assert_allclose(softmax(z), scipy.special.softmax(z), rtol=1e-12, atol=1e-300)
        assert_allclose(log_softmax(z), scipy.special.log_softmax(z), rtol=1e-12, atol=1e-12)

    @given(logits, st.floats(-1e3, 1e3))
    def test_shift_invariance(self, z, c):
        assert_allclose(softmax(z + c), softmax(z), rtol=1e-9, atol=1e-12)

    def test_huge_logits_stay_finite(self):
        z = np.array([1e4, 0.0, -1e4])
        assert np.all(np.isfinite(log_softmax(z)))
        assert_allclose(softmax(z), [1.0, 0.0, 0.0])
        with np.errstate(over="ignore", invalid="ignore"):
            naive = np.exp(z) / np.exp(z).sum()
        assert np.isnan(naive[0])  # what log-sum-exp avoids

    @pytest.mark.parametrize("c", [1e16, 1e20, 1e300])
    def test_logits_of_any_size_keep_their_differences(self, c):
        # z - logsumexp(z) would give [0, 0] here: the two terms agree to every digit.
        assert log_softmax([c, c]).tolist() == [-np.log(2)] * 2
        assert softmax_cross_entropy([c, c], 1) == np.log(2)
        z = c + np.array([0.0, 4.0, 8.0]) * np.spacing(c)  # exact differences
        assert_allclose(log_softmax(z), log_softmax(z - z.max()), rtol=1e-15)
        assert_allclose(np.exp(log_softmax(z)), softmax(z), rtol=1e-15)

    def test_a_class_without_target_mass_costs_nothing_even_out_of_reach(self):
        z = [1e308, -1e308]  # the difference overflows: log softmax(z)[1] is -inf
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert softmax_cross_entropy(z, 0) == 0.0 and not np.signbit(softmax_cross_entropy(z, 0))
            assert softmax_cross_entropy(z, 1) == np.inf

    def test_batch_axis(self):
        z = np.arange(12.0).reshape(4, 3)
        assert_allclose(softmax(z).sum(axis=-1), np.ones(4))


class TestSoftmaxCrossEntropy:
    @given(logits, st.data())
    def test_is_cross_entropy_of_the_softmax(self, z, data):
        y = data.draw(distributions(z.shape[0]))
        assert_allclose(softmax_cross_entropy(z, y), cross_entropy(y, softmax(z)), rtol=1e-9, atol=1e-9)

    def test_integer_labels_equal_one_hot(self):
        z = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
        labels = np.array([2, 0])
        assert_allclose(softmax_cross_entropy(z, labels), softmax_cross_entropy(z, np.eye(3)[labels]))
        assert_allclose(softmax_cross_entropy_grad(z, labels), softmax_cross_entropy_grad(z, np.eye(3)[labels]))

    def test_huge_logits(self):
        assert_allclose(softmax_cross_entropy([1e4, 0.0], 1), 1e4)
        assert softmax_cross_entropy([1e4, 0.0], 0) == 0.0

    @given(logits, st.data())
    def test_gradient_against_finite_differences(self, z, data):
        y = data.draw(distributions(z.shape[0]))
        numeric = central_difference(lambda v: softmax_cross_entropy(v, y), z)
        assert_allclose(softmax_cross_entropy_grad(z, y), numeric, atol=1e-6)

    @given(logits)
    def test_hessian_is_jacobian_of_gradient(self, z):
        y = np.full(z.shape[0], 1.0 / z.shape[0])
        numeric = central_difference(lambda v: softmax_cross_entropy_grad(v, y), z)
        assert_allclose(softmax_cross_entropy_hessian(z), numeric, atol=1e-6)

    @given(logits)
    def test_hessian_is_positive_semidefinite_with_ones_in_kernel(self, z):
        h = softmax_cross_entropy_hessian(z)
        assert_allclose(h, h.T, atol=1e-15)
        assert np.linalg.eigvalsh(h).min() >= -1e-12
        assert_allclose(h @ np.ones(z.shape[0]), 0.0, atol=1e-12)


class TestBinary:
    @given(st.floats(-12, 12), st.floats(0, 1))
    def test_matches_b5_on_the_sigmoid(self, z, y):
        # (B.5) on sigmoid(z) loses about |z| / log(10) digits in 1 - sigmoid(z): hence the range.
        assert_allclose(binary_cross_entropy_with_logits(z, y), binary_cross_entropy(y, sigmoid(z)), rtol=1e-9, atol=1e-12)

    @given(st.floats(-30, 30), st.floats(0, 1))
    def test_derivative_is_sigmoid_minus_y(self, z, y):
        h = 1e-6
        numeric = (binary_cross_entropy_with_logits(z + h, y) - binary_cross_entropy_with_logits(z - h, y)) / (2 * h)
        assert_allclose(numeric, sigmoid(z) - y, atol=1e-7)

    def test_stable_for_huge_logits(self):
        assert binary_cross_entropy_with_logits(-1e4, 1.0) == 1e4
        assert binary_cross_entropy_with_logits(1e4, 1.0) == 0.0
        assert sigmoid(-1e4) == 0.0 and sigmoid(1e4) == 1.0

    def test_multilabel_is_entrywise(self):
        z = np.array([[2.0, -1.0, 0.0], [0.5, 3.0, -2.0]])
        y = np.array([[1.0, 0.0, 1.0], [0.25, 1.0, 0.0]])
        each = [[binary_cross_entropy_with_logits(a, b) for a, b in zip(zr, yr)] for zr, yr in zip(z, y)]
        assert_allclose(binary_cross_entropy_with_logits(z, y), each, rtol=1e-15)


class TestErrors:
    def test_labels_out_of_range(self):
        with pytest.raises(ValueError, match=r"y has labels outside 0, ..., 2 \(got 3\)"):
            softmax_cross_entropy([0.0, 1.0, 2.0], 3)
        with pytest.raises(ValueError, match=r"\(got 5 at index 1\)"):
            softmax_cross_entropy(np.zeros((3, 3)), [0, 5, 1])
        with pytest.raises(ValueError, match="y has labels outside"):
            softmax_cross_entropy_grad([[0.0, 1.0]], [-1])

    def test_float_labels_shaped_like_the_batch_are_refused_not_guessed(self):
        z = np.zeros((2, 2))  # as many rows as classes
        with pytest.raises(ValueError, match=r"ambiguous.*pass integers.*shape of z"):
            softmax_cross_entropy(z, [1.0, 0.0])
        with pytest.raises(ValueError, match="ambiguous"):
            softmax_cross_entropy_grad(np.zeros((3, 3)), np.array([0.0, 2.0, 1.0]))
        with pytest.raises(ValueError, match="ambiguous"):
            softmax_cross_entropy([0.0, 0.0], 1.0)
        # What is not ambiguous still works: integer labels, a soft target, full shapes.
        assert_allclose(softmax_cross_entropy(z, [1, 0]), [np.log(2)] * 2)
        assert_allclose(softmax_cross_entropy(z, [0.5, 0.5]), [np.log(2)] * 2)
        assert_allclose(softmax_cross_entropy(z, [[0.0, 1.0], [1.0, 0.0]]), [np.log(2)] * 2)
        assert_allclose(softmax_cross_entropy([0.0, 0.0], [1.0, 0.0]), np.log(2))

    def test_target_distribution_checked(self):
        with pytest.raises(ValueError, match="y does not sum to 1"):
            softmax_cross_entropy([0.0, 1.0], [0.5, 0.6])
        with pytest.raises(ValueError, match="mismatched shapes"):
            softmax_cross_entropy([0.0, 1.0], [0.5, 0.25, 0.25])

    @pytest.mark.parametrize("func", [softmax, log_softmax, softmax_cross_entropy_hessian, sigmoid])
    def test_nan_logits(self, func):
        with pytest.raises(ValueError, match="z contains nan or inf"):
            func([0.0, np.nan])

    def test_binary_targets_in_unit_interval(self):
        with pytest.raises(ValueError, match="y must lie in"):
            binary_cross_entropy_with_logits(0.0, 1.5)


class TestLabelSmoothing:
    def test_mixes_the_one_hot_target_with_the_uniform(self):
        got = smooth_labels(np.array([0, 2]), 0.3, 4)
        assert_allclose(got, [[0.775, 0.075, 0.075, 0.075], [0.075, 0.075, 0.775, 0.075]], rtol=1e-15)

    def test_probability_targets_and_a_batch_of_epsilons(self):
        got = smooth_labels([[0.2, 0.8], [1.0, 0.0]], np.array([0.5, 0.0]), 2)
        assert_allclose(got, [[0.35, 0.65], [1.0, 0.0]], rtol=1e-15)

    @given(st.integers(2, 8), st.floats(0, 1), st.data())
    def test_loss_is_the_usual_one_plus_epsilon_kl_to_uniform(self, k, eps, data):
        # H((1 - eps) y + eps u, q) = (1 - eps) H(y, q) + eps D(u || q) + eps log K
        label = data.draw(st.integers(0, k - 1))
        q = data.draw(distributions(k, allow_zeros=False))
        y, u = np.eye(k)[label], np.full(k, 1.0 / k)
        lhs = cross_entropy(smooth_labels(label, eps, k), q)
        rhs = (1 - eps) * cross_entropy(y, q) + eps * kl_divergence(u, q) + eps * np.log(k)
        assert_allclose(lhs, rhs, rtol=1e-12, atol=1e-12)

    @pytest.mark.parametrize("eps", [0.01, 0.1, 0.5])
    def test_the_minimiser_is_finite_and_predicts_the_smoothed_target(self, eps):
        k, label = 5, 1
        target = smooth_labels(label, eps, k)
        z = np.log(target)  # softmax(log t) = t, where the gradient t - t vanishes
        assert_allclose(softmax_cross_entropy_grad(z, target), 0.0, atol=1e-15)
        margin = z[label] - np.delete(z, label)
        assert_allclose(margin, np.log1p(k * (1 - eps) / eps), rtol=1e-14)
        assert_allclose(softmax_cross_entropy(z, target), entropy(target), rtol=1e-14)

    def test_bad_input(self):
        with pytest.raises(ValueError, match="y has labels outside 0, ..., 2"):
            smooth_labels(3, 0.1, 3)
        with pytest.raises(ValueError, match="num_classes = 3 classes, got shape"):
            smooth_labels([0.5, 0.5], 0.1, 3)
        with pytest.raises(ValueError, match="epsilon must lie in"):
            smooth_labels(1, -0.1, 3)
        with pytest.raises(ValueError, match="num_classes must be a positive integer"):
            smooth_labels(1, 0.1, 2.0)
        with pytest.raises(ValueError, match="y does not sum to 1"):
            smooth_labels([0.5, 0.6], 0.1, 2)


def distillation_mp(z, v, t):
    """T^2 D(softmax(v/T) || softmax(z/T)) with 50 digits, from the logits themselves."""
    with mp.workdps(50):
        zs = [mp.mpf(float(a)) / mp.mpf(float(t)) for a in z]
        vs = [mp.mpf(float(a)) / mp.mpf(float(t)) for a in v]
        log_q = [a - mp.log(mp.fsum(mp.exp(b) for b in zs)) for a in zs]
        log_p = [a - mp.log(mp.fsum(mp.exp(b) for b in vs)) for a in vs]
        kl = mp.fsum(mp.exp(lp) * (lp - lq) for lp, lq in zip(log_p, log_q))
        return float(mp.mpf(float(t)) ** 2 * kl)


class TestDistillation:
    @pytest.mark.parametrize("t", [0.5, 1.0, 4.0, 100.0, 1e4, 1e7])
    def test_against_fifty_digits(self, t):
        rng = np.random.default_rng(int(t * 10))
        z, v = rng.normal(0, 3, 6), rng.normal(0, 3, 6)
        assert_allclose(distillation_loss(z, v, t), distillation_mp(z, v, t), rtol=1e-9)

    @given(logits, st.floats(0.5, 20))
    def test_is_t_squared_times_kl_of_the_softened_softmaxes(self, z, t):
        v = z[::-1] * 0.7 + 1.0
        expected = t**2 * kl_divergence(softmax(v / t), softmax(z / t))
        assert_allclose(distillation_loss(z, v, t), expected, rtol=1e-9, atol=1e-13)

    def test_gradient_against_finite_differences(self):
        rng = np.random.default_rng(7)
        z, v = rng.normal(0, 2, 5), rng.normal(0, 2, 5)
        for t in (1.0, 3.0, 30.0):
            fd = central_difference(lambda a: distillation_loss(a, v, t), z)
            assert_allclose(distillation_loss_grad(z, v, t), fd, atol=1e-9)

    def test_high_temperature_limit_is_matching_centred_logits(self):
        rng = np.random.default_rng(3)
        z, v = rng.normal(0, 2, 4), rng.normal(0, 2, 4)
        gap = (z - z.mean()) - (v - v.mean())
        limit = gap @ gap / (2 * len(z))
        errors = [abs(distillation_loss(z, v, t) - limit) for t in (1e2, 1e3, 1e4)]
        # The next term of the expansion is of order 1/T.
        assert errors[0] > errors[1] > errors[2]
        assert_allclose(np.array(errors[:2]) / errors[1:], 10.0, rtol=0.05)
        assert_allclose(distillation_loss_grad(z, v, 1e6), gap / len(z), rtol=1e-5)

    def test_shift_invariant_batched_and_finite_for_huge_logits(self):
        z = np.array([[1.0, 2.0, 3.0], [1e4, 0.0, -1e4]])
        v = np.array([[5.0, 6.0, 7.0], [-1e4, 0.0, 1e4]])
        got = distillation_loss(z, v, np.array([1.0, 1.0]))
        assert got.shape == (2,)
        assert got[0] == 0.0
        assert_allclose(got[1], 2e4, rtol=1e-12)  # all of p on the last class: 0 - (-2e4)

    def test_bad_input(self):
        with pytest.raises(ValueError, match="temperature must be positive, got 0.0"):
            distillation_loss([0.0, 1.0], [1.0, 0.0], 0.0)
        with pytest.raises(ValueError, match="temperature \\(4,\\) does not broadcast"):
            distillation_loss(np.zeros((2, 3)), np.zeros(3), np.ones(4))
        with pytest.raises(ValueError, match="mismatched shapes: student_logits"):
            distillation_loss_grad([0.0, 1.0], [1.0, 0.0, 2.0], 1.0)
        with pytest.raises(ValueError, match="z contains nan or inf"):
            distillation_loss([0.0, np.nan], [1.0, 0.0], 1.0)
