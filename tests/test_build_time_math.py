"""The build-time math renderer (_ext/build_time_math.py) on a two-formula Sphinx project.

The whole site's formulas are checked in the browser (test_site.py); here, what the
site cannot show: a formula KaTeX rejects stops the ``-W`` build with its file and line,
and is never written into a page as KaTeX's red error text.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

CONF = f"""
import sys
sys.path.insert(0, {str(ROOT / "_ext")!r})
extensions = ["build_time_math"]
"""


def build(tmp_path, body):
    if shutil.which("node") is None:
        pytest.skip("node is not installed (KaTeX runs in node)")
    (tmp_path / "conf.py").write_text(CONF)
    (tmp_path / "index.rst").write_text(f"Title\n=====\n\n{body}\n")
    # The log goes to a file, not a pipe: KaTeX's node server inherits it, and a pipe would be
    # waited on for as long as that server lives.
    with open(tmp_path / "log.txt", "w") as log:
        result = subprocess.run([sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(tmp_path),
                                 str(tmp_path / "out")], check=False, stdout=log, stderr=subprocess.STDOUT, timeout=300)
    result.stderr = (tmp_path / "log.txt").read_text()
    page = tmp_path / "out" / "index.html"
    return result, page.read_text() if page.exists() else ""


def test_a_formula_is_written_as_html_and_mathml_with_its_tex(tmp_path):
    result, page = build(tmp_path, "Inline :math:`D_{KL}(p \\,\\|\\, q)` and\n\n.. math:: \\frac{1}{2}\\log\\det\\Sigma\n")
    assert result.returncode == 0, result.stderr
    assert page.count('class="katex-html"') == 2 and page.count("<math") == 2
    assert '<annotation encoding="application/x-tex">D_{KL}(p \\,\\|\\, q)</annotation>' in page
    assert 'class="katex-display"' in page and "_static/katex/katex.min.css" in page
    assert (tmp_path / "out" / "_static" / "katex" / "fonts" / "KaTeX_Main-Regular.woff2").is_file()


def test_a_formula_katex_rejects_fails_the_build_at_its_line(tmp_path):
    result, page = build(tmp_path, "Fine :math:`x^2`.\n\nBroken :math:`\\frac{1}{`.\n")
    assert result.returncode != 0
    assert "index.rst:6" in result.stderr and "KaTeX cannot typeset" in result.stderr, result.stderr
    assert "katex-error" not in page
