"""mathlib.power_of_ten: a number glued into a chapter's prose, as math and as plain text.

Every expected string here is written out by hand from the number's decimal digits.
"""

import subprocess
import sys

import numpy as np
import pytest

from mathlib import power_of_ten


@pytest.mark.parametrize(
    "x, digits, tex, text",
    [
        (1e-8, 1, "10^{-8}", "10⁻⁸"),
        (5.4e-11, 1, r"5\times10^{-11}", "5×10⁻¹¹"),
        (2.220446049250313e-16, 2, r"2.2\times10^{-16}", "2.2×10⁻¹⁶"),
        (1.2345e-5, 3, r"1.23\times10^{-5}", "1.23×10⁻⁵"),
        (6.334248366623996e-05, 2, r"6.3\times10^{-5}", "6.3×10⁻⁵"),
        (2.2250738585072014e-308, 2, r"2.2\times10^{-308}", "2.2×10⁻³⁰⁸"),
        (1e-320, 1, "10^{-320}", "10⁻³²⁰"),  # subnormal
        (12345.0, 2, r"1.2\times10^{4}", "1.2×10⁴"),
        (300, 1, r"3\times10^{2}", "3×10²"),
    ],
)
def test_the_number_is_written_as_a_power_of_ten(x, digits, tex, text):
    written = power_of_ten(x, digits=digits)
    assert written.tex == tex
    assert written == text and str(written) == text and repr(written) == text
    assert written._repr_latex_() == f"${tex}$"


@pytest.mark.parametrize(
    "x, digits, tex",
    [
        (9.6e-9, 1, "10^{-8}"),  # rounds up into the next power: not 10\times10^{-9}
        (9.96e-9, 2, r"1.0\times10^{-8}"),  # the trailing zero is a digit shown
        (9.94e-9, 2, r"9.9\times10^{-9}"),
        (9.5, 1, "10^{1}"),  # an exact tie, to even (9 is odd)
        (0.125, 2, r"1.2\times10^{-1}"),  # an exact tie, to even
        (0.375, 2, r"3.8\times10^{-1}"),  # an exact tie, to even
        (1.4999e-3, 1, r"10^{-3}"),
        (1.5001e-3, 1, r"2\times10^{-3}"),
        (0.99999, 3, "1.00"),  # rounds up to 10^0, written without the power
    ],
)
def test_rounding_at_the_edges(x, digits, tex):
    assert power_of_ten(x, digits=digits).tex == tex


def test_an_exponent_of_zero_leaves_the_mantissa_alone():
    assert power_of_ten(5.0).tex == "5"
    assert power_of_ten(1.0) == "1"
    assert power_of_ten(3.14159, digits=3).tex == "3.14"


def test_numpy_scalars_are_numbers():
    assert power_of_ten(np.float64(1e-8)).tex == "10^{-8}"
    assert power_of_ten(np.float32(0.25), digits=2).tex == r"2.5\times10^{-1}"
    assert power_of_ten(np.int64(7)).tex == "7"
    assert power_of_ten(1e-6, digits=np.int64(2)).tex == r"1.0\times10^{-6}"


def test_the_result_is_a_string_and_joins_text():
    written = power_of_ten(1e-12)
    assert isinstance(written, str)
    assert f"below {written}" == "below 10⁻¹²"


@pytest.mark.parametrize(
    "x", [float("nan"), float("inf"), -float("inf"), -1e-8, 0.0, -0.0, 0, 10**400]
)
def test_a_number_that_is_not_positive_and_finite_is_refused(x):
    with pytest.raises(ValueError, match=r"^x must be positive and finite"):
        power_of_ten(x)


@pytest.mark.parametrize("x", ["1e-8", None, True, 1j, [1e-8], np.array(1e-8)])
def test_a_value_that_is_not_a_number_is_refused(x):
    with pytest.raises(ValueError, match=r"^x must be a real number"):
        power_of_ten(x)


@pytest.mark.parametrize("digits", [0, -1, 1.5, 2.0, True, "2", None])
def test_digits_must_be_a_whole_number_of_at_least_one(digits):
    with pytest.raises(ValueError, match=r"^digits must be a whole number of at least 1"):
        power_of_ten(1e-8, digits=digits)


def test_jupyter_shows_it_as_math_and_as_plain_text():
    """What myst-nb's glue saves: IPython's formatter gives the TeX as text/latex, which
    the {glue} role renders as math, and the plain text as text/plain."""
    from IPython.core.formatters import DisplayFormatter

    bundle, _ = DisplayFormatter().format(power_of_ten(5.4e-11))
    assert bundle == {"text/plain": "5×10⁻¹¹", "text/latex": r"$5\times10^{-11}$"}


def test_the_library_does_not_need_ipython():
    code = "import sys, mathlib.notation; assert 'IPython' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
