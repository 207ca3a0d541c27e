r"""SymPy derivations of the normal log-density (B.8) and the KL closed forms (B.9)--(B.11).

The functions here *derive* the formulas; the book's formulas are transcribed
separately (:func:`book_kl_mvn` and friends) so that the two can be compared.

- :func:`kl_normal_1d` integrates the definition (B.6) for two univariate normals.
- :func:`mvn_logpdf_expr` is (B.8) in SymPy's matrix expressions, for a
  dimension ``m`` that may stay a symbol; :func:`expected_quadratic_form` is the
  identity that takes the expectation of a quadratic form, and
  :func:`expectation_under` applies it to every form in an expression. Chapter
  2 derives (B.9)--(B.11) from these steps on the page.
- :func:`latex` prints results in the book's notation (det, transposes as
  :math:`{}^\top`, a 1 x 1 trace as the form itself), and :func:`latex_sum`
  breaks a long sum over as many lines as a phone's width needs.
"""

try:
    import sympy as sp
except ModuleNotFoundError:
    raise ModuleNotFoundError('mathlib.symbolic needs SymPy, an optional dependency of mathlib: '
                              'pip install "mathlib-medl[symbolic]"', name="sympy") from None
from sympy.printing.latex import LatexPrinter
from sympy.printing.numpy import NumPyPrinter

__all__ = [
    "normal_logpdf_1d",
    "mvn_logpdf_expr",
    "kl_normal_1d",
    "expected_quadratic_form",
    "expectation_under",
    "MvnSymbols",
    "book_kl_mvn",
    "book_kl_mvn_isotropic",
    "book_kl_mvn_standard",
    "explicit_symbols",
    "to_explicit",
    "is_zero",
    "lambdify_numpy",
    "latex",
    "latex_sum",
]


def normal_logpdf_1d(x, mu, sigma2):
    """Log of the univariate normal density with variance ``sigma2``, expanded."""
    density = sp.exp(-((x - mu) ** 2) / (2 * sigma2)) / sp.sqrt(2 * sp.pi * sigma2)
    return sp.expand_log(sp.log(density), force=True)


def kl_normal_1d():
    r"""(B.9) at m = 1, by integrating the definition (B.6).

    The log-ratio :math:`\log p(x) - \log q(x)` of two normal densities is a
    quadratic polynomial in :math:`x`, so the integral of :math:`p(x)` times it
    is a sum of integrals :math:`\int p(x) x^k dx`, :math:`k = 0, 1, 2`, each done
    by SymPy's ``integrate``.

    Returns
    -------
    tuple
        ``(expr, (mu1, s1, mu2, s2))``: the simplified divergence and its
        symbols (means and variances).
    """
    x = sp.Symbol("x", real=True)
    mu1, mu2 = sp.symbols("mu_1 mu_2", real=True)
    s1, s2 = sp.symbols("sigma_1^2 sigma_2^2", positive=True)
    p = sp.exp(-((x - mu1) ** 2) / (2 * s1)) / sp.sqrt(2 * sp.pi * s1)
    log_ratio = sp.Poly(sp.expand(normal_logpdf_1d(x, mu1, s1) - normal_logpdf_1d(x, mu2, s2)), x)
    total = sum(
        coeff * sp.integrate(p * x**k, (x, -sp.oo, sp.oo)) for (k,), coeff in log_ratio.terms()
    )
    return sp.expand(sp.expand_log(sp.simplify(total), force=True)), (mu1, s1, mu2, s2)


def mvn_logpdf_expr(x, mu, Sigma, m):
    r"""(B.8) as a SymPy matrix expression.

    The quadratic form is kept inside a ``Trace`` (of a 1 x 1 matrix), which
    lets it be added to scalars and matched by :func:`expected_quadratic_form`.
    """
    d = x - mu
    return (
        -sp.Rational(1, 2) * sp.Trace(d.T * Sigma.inverse() * d)
        - m / 2 * sp.log(2 * sp.pi)
        - sp.Rational(1, 2) * sp.log(sp.Determinant(Sigma))
    )


def expected_quadratic_form(a, A, mu, Sigma):
    r"""The identity :math:`\mathbb{E}[(x - a)^\top A (x - a)] = \operatorname{tr}(A\Sigma) + (\mu - a)^\top A (\mu - a)`.

    For :math:`x` with mean :math:`\mu` and covariance :math:`\Sigma`
    (normality is not needed). Returned as a matrix expression.
    """
    d = mu - a
    return sp.Trace(A * Sigma) + sp.Trace(d.T * A * d)


class MvnSymbols:
    """The symbols of (B.9): dimension ``m``, a point ``x``, two means and two covariances."""

    def __init__(self):
        self.m = sp.Symbol("m", positive=True, integer=True)
        m = self.m
        self.x = sp.MatrixSymbol("x", m, 1)
        self.mu1 = sp.MatrixSymbol("mu_1", m, 1)
        self.mu2 = sp.MatrixSymbol("mu_2", m, 1)
        self.Sigma1 = sp.MatrixSymbol("Sigma_1", m, m)
        self.Sigma2 = sp.MatrixSymbol("Sigma_2", m, m)


def expectation_under(expr, x, mu, Sigma):
    r"""Replace every quadratic form in ``x`` by its expectation, by :func:`expected_quadratic_form`.

    ``expr`` is a sum of scalars and forms ``Trace((x - a).T * A * (x - a))``
    as built by :func:`mvn_logpdf_expr`; ``x`` has mean ``mu`` and covariance
    ``Sigma``. Terms free of ``x`` are left as they are, so the result is the
    expectation of ``expr``.
    """

    def is_quadratic_in_x(e):
        return isinstance(e, sp.Trace) and e.has(x)

    def expectation(e):
        left, A, right = e.arg.args  # (x - a)^T A (x - a)
        return expected_quadratic_form(x - right, A, mu, Sigma)

    return expr.replace(is_quadratic_in_x, expectation)


def book_kl_mvn(mu1, Sigma1, mu2, Sigma2):
    """(B.9) as printed in the book, for explicit SymPy matrices."""
    m = Sigma1.shape[0]
    d = mu1 - mu2
    S2inv = Sigma2.inv()
    return sp.Rational(1, 2) * (
        (d.T * S2inv * d)[0, 0] - m + (S2inv * Sigma1).trace() + sp.log(Sigma2.det() / Sigma1.det())
    )


def book_kl_mvn_isotropic(mu1, Sigma1, mu2, sigma2_sq):
    """(B.10) as printed in the book, for explicit SymPy matrices."""
    m = Sigma1.shape[0]
    d = mu1 - mu2
    return (
        (d.T * d)[0, 0] / (2 * sigma2_sq)
        - sp.Rational(m, 2)
        + Sigma1.trace() / (2 * sigma2_sq)
        + m * sp.log(sigma2_sq) / 2
        - sp.log(Sigma1.det()) / 2
    )


def book_kl_mvn_standard(mu1, Sigma1):
    """(B.11) as printed in the book, for explicit SymPy matrices."""
    m = Sigma1.shape[0]
    return (mu1.T * mu1)[0, 0] / 2 - sp.Rational(m, 2) + Sigma1.trace() / 2 - sp.log(Sigma1.det()) / 2


def explicit_symbols(m):
    """Explicit m x m symbolic matrices for checks: two means and two symmetric covariances.

    Returns
    -------
    dict
        ``mu1``, ``mu2`` (m x 1), ``Sigma1``, ``Sigma2`` (symmetric m x m, entries
        ``a_ij`` and ``b_ij``), and ``s2`` (a positive symbol for :math:`\\sigma_2^2`).
    """

    def symmetric(name):
        return sp.Matrix(m, m, lambda i, j: sp.Symbol(f"{name}_{min(i, j) + 1}{max(i, j) + 1}", real=True))

    return {
        "mu1": sp.Matrix(m, 1, lambda i, _: sp.Symbol(f"u_{i + 1}", real=True)),
        "mu2": sp.Matrix(m, 1, lambda i, _: sp.Symbol(f"v_{i + 1}", real=True)),
        "Sigma1": symmetric("a"),
        "Sigma2": symmetric("b"),
        "s2": sp.Symbol("s", positive=True),
    }


def to_explicit(expr, symbols, values, m):
    """Replace the matrix symbols of a derivation by explicit matrices and evaluate."""
    mapping = {
        symbols.mu1: values["mu1"],
        symbols.mu2: values["mu2"],
        symbols.Sigma1: values["Sigma1"],
        symbols.Sigma2: values["Sigma2"],
        symbols.m: m,
    }
    mapping = {k: v for k, v in mapping.items() if expr.has(k)}
    result = expr.subs(mapping).doit()
    if isinstance(result, sp.MatrixBase):
        result = result[0, 0]
    return result


def is_zero(difference):
    """True when SymPy proves ``difference`` to be 0 (logs of products split first)."""
    return sp.simplify(sp.expand_log(difference, force=True)) == 0


class _MatrixNumPyPrinter(NumPyPrinter):
    """NumPy printer that also knows SymPy's ``Determinant`` and ``Trace``."""

    def _print_Determinant(self, expr):
        return f"numpy.linalg.det({self._print(expr.arg)})"

    def _print_Trace(self, expr):
        return f"numpy.trace({self._print(expr.arg)})"


def lambdify_numpy(args, expr):
    """Turn a derived expression (matrix expressions allowed) into a NumPy function.

    Matrix symbols become 2-D arrays (a mean is an ``(m, 1)`` column). The
    generated code is the formula as written, with ``inv`` and ``det``: an
    independent, naive route for checking the library, not a way to compute.
    """
    return sp.lambdify(args, expr, modules="numpy", printer=_MatrixNumPyPrinter)


class _BookLatexPrinter(LatexPrinter):
    """LaTeX in the book's notation: det, transposes with ^\\top, I, a 1 x 1 trace dropped."""

    def _print_Determinant(self, expr):
        arg = self._print(expr.arg)
        return rf"\det {arg}" if isinstance(expr.arg, sp.MatrixSymbol) else rf"\det\left({arg}\right)"

    def _print_Transpose(self, expr):
        return super()._print_Transpose(expr).replace("^{T}", "^{\\top}")

    def _print_Identity(self, expr):
        return "I"

    def _print_Trace(self, expr):
        if expr.arg.shape == (1, 1):  # a quadratic form, kept in a trace by mvn_logpdf_expr
            return self._print(expr.arg)
        return rf"\operatorname{{tr}}\left({self._print(expr.arg)}\right)"


def latex(expr):
    """LaTeX for a derived expression, written as the book writes it."""
    return _BookLatexPrinter().doprint(expr)


def latex_sum(expr, width=36):
    r"""LaTeX for a sum, its terms on as many lines as they need to fit a page.

    The terms keep SymPy's order and are printed by :func:`latex`. A line takes
    terms while their width in SymPy's pretty printing (a stand-in for the
    typeset width) fits ``width`` characters; a term wider than that has a line
    of its own. The lines are those of an ``aligned`` environment, each after
    the first indented, as the book breaks its displays.

    >>> x, y = sp.symbols("x y")
    >>> latex_sum(x + y)
    '\\begin{aligned} & x + y \\end{aligned}'
    >>> latex_sum(x - y, width=4)
    '\\begin{aligned} & x \\\\[1ex] & \\quad {} - y \\end{aligned}'
    """
    if not width > 0:
        raise ValueError(f"latex_sum: width must be a positive number of characters, got {width!r}")
    lines, used = [[]], 0
    for term in sp.sympify(expr).as_ordered_terms():
        pretty = sp.pretty(term, use_unicode=True).splitlines()
        size = 3 + max(len(row) for row in pretty)
        if lines[-1] and used + size > width:
            lines.append([])
            used = 0
        tex = latex(term)
        sign, tex = ("-", tex[1:].lstrip()) if tex[0] == "-" else ("+", tex)
        lines[-1].append(f"{sign} {tex}")
        used += size
    rows = [" ".join(line) for line in lines]
    rows[0] = rows[0].removeprefix("+ ")
    return r"\begin{aligned} & " + r" \\[1ex] & \quad {} ".join(rows) + r" \end{aligned}"
