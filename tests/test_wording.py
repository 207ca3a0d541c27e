"""The book's conventions of wording, checked in the source of every page and assignment.

The KL divergence is not symmetric, and "the divergence from q to p" is read both ways in the
literature, so chapter 1 promises that the book always writes D_KL(p‖q) out and reads it "of p
relative to q". A reader of any page, and a student answering an assignment that is graded on
one direction, must never meet the other phrasing. The one place that quotes it, to warn
against it, does so in quotation marks.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([*ROOT.glob("*.md"), *ROOT.glob("chapters/*.ipynb"), *ROOT.glob("assignments/*.ipynb")])
# "divergence from q", "divergence of q from p", "divergence (B.1) of `q` from `p`"
FROM = re.compile(r"divergence(?: \([^)]*\))?(?: of \S+)? from\b")


def prose(path):
    """The text a reader sees: a notebook's markdown cells and figure captions, or a page."""
    if path.suffix != ".ipynb":
        return path.read_text()
    cells = json.loads(path.read_text())["cells"]
    return "\n".join("".join(c["source"]) if c["cell_type"] == "markdown" else json.dumps(c.get("metadata", {}))
                     for c in cells)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_the_kl_divergence_is_read_in_one_direction(path):
    unquoted = re.sub(r'"[^"\n]*"|“[^”]*”', " ", prose(path))
    found = [unquoted[max(0, m.start() - 40):m.end() + 20] for m in FROM.finditer(unquoted)]
    assert not found, f"{path.name}: write D_KL(p‖q), of p relative to q, not: {found}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_the_latent_code_is_zeta(path):
    """z stands for logits in this book; the VAE's code is ζ (chapter 4 says why)."""
    found = re.findall(r"[pq]\(z \\mid[^$]*|[pq]\(x \\mid z\)|z \\sim q", prose(path))
    assert not found, f"{path.name}: the latent code is \\zeta, not z: {found}"


@pytest.mark.parametrize("path", sorted(ROOT.glob("chapters/*.ipynb")), ids=lambda p: p.stem)
def test_a_colon_is_followed_by_what_it_introduces(path):
    """A paragraph that ends with a colon announces the cell below it (a table, a check, a
    figure), not another paragraph or a figure to play with."""
    cells = json.loads(path.read_text())["cells"]
    for cell, following in zip(cells, cells[1:]):
        text = "".join(cell["source"]).rstrip()
        if cell["cell_type"] == "markdown" and text.endswith(":"):
            assert following["cell_type"] == "code", f"{path.name}: {text[-80:]!r} is followed by prose"
