"""mathlib.Table: the same rows as HTML on the site and as aligned text for nbval."""

import re

import pytest

from mathlib import Table


def test_text_aligns_the_first_column_left_and_the_others_right():
    table = Table(["case", "value"], [["m=1", "0.5"], ["m=10 standard", "12.25"]], caption="c")
    caption, *lines = repr(table).splitlines()
    assert caption == "c"
    assert len({len(line) for line in lines}) == 1
    assert lines[1].startswith("m=1 ") and lines[1].endswith("  0.5")


def test_html_holds_every_value_in_its_own_cell_escaped():
    html = Table(["p < q", "x"], [[1, "a & b"], [True, 2.5]], caption="<caption>")._repr_html_()
    assert re.findall(r"<th>(.*?)</th>", html) == ["p &lt; q", "x"]
    assert re.findall(r"<td>(.*?)</td>", html) == ["1", "a &amp; b", "True", "2.5"]
    assert "<caption>&lt;caption&gt;</caption>" in html


def test_a_row_of_the_wrong_length_is_named():
    with pytest.raises(ValueError, match=r"rows\[1\] has 1 values for 2 columns"):
        Table(["a", "b"], [[1, 2], [3]])


def test_a_standard_error_stays_with_its_plus_minus_sign():
    html = Table(["estimate"], [["0.9189 ± 0.0046"]])._repr_html_()
    assert "<td>0.9189 ±&nbsp;0.0046</td>" in html
