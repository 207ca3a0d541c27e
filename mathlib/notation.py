r"""Numbers written as the chapters print them.

A chapter's prose quotes a bound or a rounding error by gluing it into a sentence. Python's
e-format (``1e-08``, ``2.2e-16``) reads as code there; :func:`power_of_ten` writes the number
in the book's notation instead, :math:`10^{-8}` or :math:`2.2\times10^{-16}`, as math on the
website and as readable text (``10⁻⁸``, ``2.2×10⁻¹⁶``) wherever only plain text is shown.
"""

import math
import numbers

__all__ = ["power_of_ten"]

_SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


class PowerOfTen(str):
    """A number in powers-of-ten notation: the text is plain (``5×10⁻¹¹``), :attr:`tex` is TeX.

    Jupyter shows it through ``_repr_latex_`` as inline math, and so does myst-nb's
    ``{glue}`` role in a page; ``repr`` and ``print`` show the plain text, which is
    also what a notebook saves as its ``text/plain`` output.
    """

    def __new__(cls, mantissa, exponent):
        power = "10" + str(exponent).translate(_SUPERSCRIPTS)
        self = super().__new__(cls, _join(mantissa, exponent, "×", power))
        self.tex = _join(mantissa, exponent, r"\times", f"10^{{{exponent}}}")
        return self

    def __repr__(self):
        return str(self)

    def _repr_latex_(self):
        return f"${self.tex}$"


def _join(mantissa, exponent, times, power):
    """The mantissa alone for an exponent of 0, the power alone for a mantissa of 1."""
    if exponent == 0:
        return mantissa
    if mantissa == "1":
        return power
    return f"{mantissa}{times}{power}"


def power_of_ten(x, digits=1):
    r"""Write a positive number to ``digits`` significant digits times a power of ten.

    Parameters
    ----------
    x : float
        A positive, finite number, such as a bound that a chapter checks.
    digits : int, optional
        The significant digits shown (default 1): those of Python's ``f"{x:.{digits - 1}e}"``,
        correctly rounded, trailing zeros kept (``1.0×10⁻⁸`` with two).

    Returns
    -------
    PowerOfTen
        A ``str``, the number as plain text (``5×10⁻¹¹``), whose ``tex`` attribute is the
        TeX (``5\times10^{-11}``) and whose ``_repr_latex_`` is that TeX as inline math
        (``$5\times10^{-11}$``). A mantissa of exactly 1 is left out (``10⁻⁸``), and so is
        the power for an exponent of 0 (``5``).

    Raises
    ------
    ValueError
        If ``x`` is not a real number, or is ``nan``, infinite, zero or negative; or if
        ``digits`` is not a whole number of at least 1.

    Examples
    --------
    >>> power_of_ten(1e-8)
    10⁻⁸
    >>> power_of_ten(5.4e-11).tex
    '5\\times10^{-11}'
    >>> power_of_ten(2.220446049250313e-16, digits=2)._repr_latex_()
    '$2.2\\times10^{-16}$'
    >>> power_of_ten(9.6e-9)  # rounds up to the next power of ten
    10⁻⁸
    >>> power_of_ten(0.0)
    Traceback (most recent call last):
        ...
    ValueError: x must be positive and finite, got 0.0
    """
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise ValueError(f"x must be a real number, got {x!r}")
    if isinstance(digits, bool) or not isinstance(digits, numbers.Integral) or digits < 1:
        raise ValueError(f"digits must be a whole number of at least 1, got {digits!r}")
    try:
        value = float(x)
    except OverflowError:
        raise ValueError("x must be positive and finite, got an integer too large for a float") from None
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"x must be positive and finite, got {value!r}")
    mantissa, exponent = f"{value:.{int(digits) - 1}e}".split("e")
    return PowerOfTen(mantissa, int(exponent))
