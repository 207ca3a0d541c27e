"""Tests of mathlib.symbolic: the SymPy derivations agree with the book and with mathlib."""

import numpy as np
import pytest
import sympy as sp
from numpy.testing import assert_allclose
from sympy import stats

import mathlib
from mathlib import symbolic


@pytest.fixture(scope="module")
def derivation():
    """(B.9)-(B.11) derived from the library's steps, as chapter 2 does on the page."""
    s = symbolic.MvnSymbols()
    log_ratio = symbolic.mvn_logpdf_expr(s.x, s.mu1, s.Sigma1, s.m) - symbolic.mvn_logpdf_expr(s.x, s.mu2, s.Sigma2, s.m)
    kl = symbolic.expectation_under(log_ratio, s.x, s.mu1, s.Sigma1).doit()
    s2 = sp.Symbol("sigma_2^2", positive=True)
    iso = sp.expand(sp.expand_log(kl.subs(s.Sigma2, s2 * sp.Identity(s.m)).doit().doit(), force=True))
    std = sp.expand(iso.subs({s.mu2: sp.ZeroMatrix(s.m, 1), s2: 1}).doit())
    return {"kl": kl, "symbols": s}, s2, iso, std


def test_univariate_integral_matches_closed_form():
    expr, (mu1, s1, mu2, s2) = symbolic.kl_normal_1d()
    book = sp.Rational(1, 2) * (sp.log(s2 / s1) + (s1 + (mu1 - mu2) ** 2) / s2 - 1)
    assert symbolic.is_zero(expr - book)
    value = float(expr.subs({mu1: 0.3, s1: 2.0, mu2: -1.2, s2: 0.7}))
    assert_allclose(value, mathlib.kl_mvn([0.3], [[2.0]], [-1.2], [[0.7]]), rtol=1e-13)


@pytest.mark.parametrize("m", [2, 3])
def test_expectation_identity_holds_for_symbolic_matrices(m):
    """E[(x-a)^T A (x-a)] for x = mu + L z, z standard normal, taken by sympy.stats."""
    z = sp.Matrix([stats.Normal(f"z_{i + 1}", 0, 1) for i in range(m)])
    mu = sp.Matrix(m, 1, lambda i, _: sp.Symbol(f"mu_{i + 1}", real=True))
    a = sp.Matrix(m, 1, lambda i, _: sp.Symbol(f"a_{i + 1}", real=True))
    L = sp.Matrix(m, m, lambda i, j: sp.Symbol(f"l_{i + 1}{j + 1}", real=True) if j <= i else 0)
    A = sp.Matrix(m, m, lambda i, j: sp.Symbol(f"A_{i + 1}{j + 1}", real=True))
    x = mu + L * z
    expected = stats.E(sp.expand(((x - a).T * A * (x - a))[0, 0]))
    identity = symbolic.expected_quadratic_form(a, A, mu, L * L.T).doit()
    assert sp.simplify(sp.expand(expected - identity)) == 0
    # The check can fail: without the trace term the identity is wrong.
    assert sp.simplify(sp.expand(expected - ((mu - a).T * A * (mu - a))[0, 0])) != 0


def test_latex_uses_the_book_notation():
    s = symbolic.MvnSymbols()
    d = s.mu1 - s.mu2
    text = symbolic.latex(sp.log(sp.Determinant(s.Sigma1)) + sp.Trace(d.T * s.Sigma2.I * d) + sp.Trace(s.Sigma1))
    assert r"\det \Sigma_{1}" in text and r"\mu_{1}^{\top}" in text
    assert r"\operatorname{tr}\left(\Sigma_{1}\right)" in text
    assert "^{T}" not in text and r"\left|" not in text


@pytest.mark.parametrize("m", [2, 3])
def test_derived_forms_equal_the_book(derivation, m):
    d, s2, iso, std = derivation
    s, v = d["symbols"], symbolic.explicit_symbols(m)
    b9 = symbolic.to_explicit(d["kl"], s, v, m)
    assert symbolic.is_zero(b9 - symbolic.book_kl_mvn(v["mu1"], v["Sigma1"], v["mu2"], v["Sigma2"]))
    b10 = symbolic.to_explicit(iso.subs(s2, v["s2"]), s, v, m)
    assert symbolic.is_zero(b10 - symbolic.book_kl_mvn_isotropic(v["mu1"], v["Sigma1"], v["mu2"], v["s2"]))
    b11 = symbolic.to_explicit(std, s, v, m)
    book11 = symbolic.book_kl_mvn_standard(v["mu1"], v["Sigma1"])
    assert symbolic.is_zero(b11 - book11)
    # The comparison can fail: a formula missing its -m/2 is not accepted.
    assert not symbolic.is_zero(b11 - (book11 + sp.Rational(m, 2)))


@pytest.mark.parametrize("m", [1, 2, 5])
def test_lambdified_derivation_matches_mathlib(derivation, m):
    d, s2, iso, std = derivation
    s = d["symbols"]
    rng = np.random.default_rng(m)
    a, b = rng.standard_normal((2, m, m))
    S1, S2 = a @ a.T + np.eye(m), b @ b.T + np.eye(m)
    mu1, mu2 = rng.standard_normal((2, m, 1))
    f9 = symbolic.lambdify_numpy([s.mu1, s.Sigma1, s.mu2, s.Sigma2], d["kl"].subs(s.m, m))
    assert_allclose(f9(mu1, S1, mu2, S2), mathlib.kl_mvn(mu1[:, 0], S1, mu2[:, 0], S2), rtol=1e-10)
    f10 = symbolic.lambdify_numpy([s.mu1, s.Sigma1, s.mu2, s2], iso.subs(s.m, m))
    assert_allclose(f10(mu1, S1, mu2, 1.7), mathlib.kl_mvn_isotropic(mu1[:, 0], S1, mu2[:, 0], 1.7), rtol=1e-10)
    f11 = symbolic.lambdify_numpy([s.mu1, s.Sigma1], std.subs(s.m, m))
    assert_allclose(f11(mu1, S1), mathlib.kl_mvn_standard(mu1[:, 0], S1), rtol=1e-10)


def test_log_density_is_log_of_density():
    v = symbolic.explicit_symbols(2)
    x = sp.Matrix(2, 1, sp.symbols("x_1 x_2", real=True))
    mu, Sigma = v["mu1"], v["Sigma1"]
    d = x - mu
    density = sp.exp(-(d.T * Sigma.inv() * d)[0, 0] / 2) / (sp.sqrt(Sigma.det()) * 2 * sp.pi)
    xs, mus, Ss = sp.MatrixSymbol("x", 2, 1), sp.MatrixSymbol("mu", 2, 1), sp.MatrixSymbol("Sigma", 2, 2)
    b8 = symbolic.mvn_logpdf_expr(xs, mus, Ss, 2).subs({xs: x, mus: mu, Ss: Sigma}).doit()
    b8 = b8[0, 0] if isinstance(b8, sp.MatrixBase) else b8
    assert symbolic.is_zero(sp.log(density) - b8)


def test_latex_sum_breaks_a_long_sum_into_lines_that_fit():
    s = symbolic.MvnSymbols()
    log_ratio = (symbolic.mvn_logpdf_expr(s.x, s.mu1, s.Sigma1, s.m)
                 - symbolic.mvn_logpdf_expr(s.x, s.mu2, s.Sigma2, s.m))
    terms = log_ratio.as_ordered_terms()
    text = symbolic.latex_sum(log_ratio)
    assert text.startswith(r"\begin{aligned} & ") and text.endswith(r" \end{aligned}")
    rows = text.removeprefix(r"\begin{aligned} & ").removesuffix(r" \end{aligned}").split(r" \\[1ex] & \quad {} ")
    assert 1 < len(rows) < len(terms)  # several terms share a line, and one line is too few
    # Every term is printed once, in SymPy's order, with its sign (none before the first).
    printed = [symbolic.latex(t) for t in terms]
    signed = [("- " + p[1:].lstrip()) if p.startswith("-") else ("+ " + p) for p in printed]
    assert " ".join(rows) == " ".join(signed).removeprefix("+ ")
    # A wide page takes the sum on one line.
    assert r"\\" not in symbolic.latex_sum(log_ratio, width=10_000)


@pytest.mark.parametrize("width", [0, -3])
def test_latex_sum_refuses_a_width_that_is_not_positive(width):
    with pytest.raises(ValueError, match="width must be a positive"):
        symbolic.latex_sum(sp.Symbol("x") + 1, width=width)
