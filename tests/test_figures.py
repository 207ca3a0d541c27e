"""mathlib.figures.show: one notebook output with a laptop's drawing and a phone's, refused when
the phone's is too wide or either cuts off its text. (That the site serves the phone's drawing
to a phone, and its text is legible there, is tests/test_site_layout.py's.)"""

import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import IPython.display
import matplotlib
import numpy as np

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from mathlib import figures  # noqa: E402


@pytest.fixture
def shown(monkeypatch):
    """What show() displays: [(data, metadata)]."""
    calls = []
    monkeypatch.setattr(IPython.display, "display",
                        lambda data, metadata=None, raw=False: calls.append((data, metadata, raw)))
    return calls


def panels(title="a", phone_width=3.5, phone_title=None):
    def draw(phone):
        fig, axes = plt.subplots(*((2, 1) if phone else (1, 2)),
                                 figsize=(phone_width, 5) if phone else (5, 3), layout="constrained")
        axes[0].set_title(phone_title if phone and phone_title else title)
        axes[1].plot([0, 1], [0, 1])
        return fig
    return draw


def test_one_output_holds_both_drawings_and_closes_both_figures(shown):
    before = plt.get_fignums()
    figures.show(panels())
    [(data, metadata, raw)] = shown
    assert raw and set(data) == {"image/svg+xml", "text/plain"}
    assert data["text/plain"] == "<Figure size 500x300 with 2 Axes>"
    laptop, phone = data["image/svg+xml"], metadata[figures.PHONE_DRAWING]
    assert laptop.count('<g id="axes_') == phone.count('<g id="axes_') == 2
    assert 'width="360pt"' in laptop and 'width="252pt"' in phone  # 5 and 3.5 inches
    assert plt.get_fignums() == before


def test_the_drawings_are_the_same_bytes_at_every_run(shown):
    with plt.rc_context({"svg.hashsalt": "test"}):
        figures.show(panels())
        figures.show(panels())
    assert shown[0][0] == shown[1][0] and shown[0][1] == shown[1][1]


def test_a_phone_drawing_wider_than_a_phone_s_column_is_refused(shown):
    before = plt.get_fignums()
    with pytest.raises(ValueError, match=r"draw\(phone=True\) is 4 inches wide; .* at most 3.5"):
        figures.show(panels(phone_width=4))
    assert shown == [] and plt.get_fignums() == before


def test_a_title_too_long_for_a_phone_is_refused_by_its_panel(shown):
    long = "Logit margin under label smoothing, K = 10"  # as a chapter once had it
    with pytest.raises(ValueError, match=r"the phone's drawing cuts off its panel 'Logit margin"):
        figures.show(panels(phone_title=long))
    figures.show(panels(phone_title="Logit margin under\nlabel smoothing, K = 10"))
    assert len(shown) == 1


def test_a_legend_past_the_edge_is_refused(shown):
    def draw(phone):
        fig, ax = plt.subplots(figsize=(3.5, 3) if phone else (5, 3), layout="constrained")
        for k in range(4):
            ax.plot([0, 1], [k, k], label=f"a long label number {k}")
        fig.legend(loc="outside lower center", ncols=2 if phone else 4)
        return fig
    with pytest.raises(ValueError, match=r"the laptop's drawing cuts off its legend"):
        figures.show(draw)


# --- The chapters' figures ------------------------------------------------------------------

CHAPTERS = sorted((Path(__file__).resolve().parent.parent / "chapters").glob("*.ipynb"))
# Words that place a panel where only a laptop puts it: a phone stacks side-by-side panels.
PLACED_SIDEWAYS = re.compile(r"\b(Left|Right)\b[,:]|\b(left|right) panel|side by side")


def figure_cells():
    for path in CHAPTERS:
        for cell in json.loads(path.read_text())["cells"]:
            for output in cell.get("outputs", []):
                if "image/svg+xml" in output.get("data", {}):
                    yield path.stem, cell, output


def test_every_chapter_figure_has_a_phone_drawing_within_a_phone_s_column():
    found = list(figure_cells())
    assert len(found) >= 15
    for name, cell, output in found:
        phone = output.get("metadata", {}).get(figures.PHONE_DRAWING)
        assert phone, f"{name}: a figure without a phone drawing (draw it with mathlib.figures.show)"
        width_pt = float(re.search(r'<svg [^>]*width="([0-9.]+)pt"', phone).group(1))
        assert width_pt <= 72 * figures.PHONE_WIDTH + 0.01, (name, width_pt)


def test_no_caption_alt_text_or_sentence_places_a_panel_left_or_right():
    """A phone shows a figure's panels one above the other, so "Left, ..." is wrong there."""
    for path in CHAPTERS:
        for cell in json.loads(path.read_text())["cells"]:
            mystnb = cell.get("metadata", {}).get("mystnb", {})
            texts = [mystnb.get("figure", {}).get("caption", ""), mystnb.get("image", {}).get("alt", "")]
            for text in texts:
                assert not PLACED_SIDEWAYS.search(text), (path.stem, PLACED_SIDEWAYS.search(text).group(0))
            if cell["cell_type"] == "markdown":
                assert not re.search(r"\b(left|right) panel", "".join(cell["source"])), path.stem


def _affine(transform):
    """An SVG transform attribute as a 3 x 3 matrix."""
    out = np.eye(3)
    for kind, args in re.findall(r"(translate|scale|rotate|matrix)\(([^)]*)\)", transform):
        v = [float(x) for x in re.split(r"[ ,]+", args.strip())]
        if kind == "translate":
            m = [[1, 0, v[0]], [0, 1, v[1] if len(v) > 1 else 0], [0, 0, 1]]
        elif kind == "scale":
            m = [[v[0], 0, 0], [0, v[-1], 0], [0, 0, 1]]
        elif kind == "rotate":
            c, s_ = np.cos(np.radians(v[0])), np.sin(np.radians(v[0]))
            m = [[c, -s_, 0], [s_, c, 0], [0, 0, 1]]
        else:
            m = [[v[0], v[2], v[4]], [v[1], v[3], v[5]], [0, 0, 1]]
        out = out @ np.array(m)
    return out


GLYPH = re.compile(r"#[A-Za-z0-9]+(-[A-Za-z0-9]+)*-[0-9a-f]+$")  # DejaVuSans-Oblique-78; not a marker (#m...)


def glyphs(svg):
    """(outline id, transform) of every glyph of text that a matplotlib SVG draws: each piece of
    text is a ``<use>`` of a glyph outline defined once, under the transforms that place and
    scale it (a glyph's outline is 100 units to the em, so 100 times the scale is its size in
    points; a sub- or superscript has a further ``scale(0.7)``)."""
    href = "{http://www.w3.org/1999/xlink}href"

    def walk(element, matrix):
        matrix = matrix @ _affine(element.get("transform", ""))
        if element.tag.endswith("}use") and GLYPH.match(element.get(href, "")):
            yield element.get(href), matrix
        for child in element:
            if not child.tag.endswith("}defs"):
                yield from walk(child, matrix)
    yield from walk(ET.fromstring(svg.encode()), np.eye(3))


def text_sizes_pt(svg):
    """The size in points of every glyph of text that a matplotlib SVG draws."""
    return [100 * abs(np.linalg.det(matrix[:2, :2])) ** 0.5 for _, matrix in glyphs(svg)]


def glyphs_past_the_edges(svg):
    """The glyphs of text in a matplotlib SVG that reach past its edges (by more than half a
    point): each glyph's outline where its use places it."""
    root = ET.fromstring(svg.encode())
    width, height = (float(root.get(k).removesuffix("pt")) for k in ("width", "height"))
    outlines = {}
    for path in root.iter("{http://www.w3.org/2000/svg}path"):
        numbers = [float(n) for n in re.findall(r"-?[0-9.]+", path.get("d", ""))]
        if path.get("id") and len(numbers) >= 2:
            n = len(numbers) // 2
            xy = _affine(path.get("transform", "")) @ np.vstack([numbers[0:2 * n:2], numbers[1:2 * n:2], np.ones(n)])
            (x0, y0), (x1, y1) = xy[:2].min(axis=1), xy[:2].max(axis=1)
            outlines["#" + path.get("id")] = np.array([[x0, x0, x1, x1], [y0, y1, y0, y1], [1, 1, 1, 1]])
    out = []
    for glyph, matrix in glyphs(svg):
        if glyph not in outlines:  # a space: no outline
            continue
        x, y, _ = matrix @ outlines[glyph]
        if x.min() < -0.5 or y.min() < -0.5 or x.max() > width + 0.5 or y.max() > height + 0.5:
            out.append((glyph, round(float(x.min()), 1), round(float(y.min()), 1)))
    return out


def test_text_sizes_count_sub_and_superscripts():
    """The measure of tests/test_site_layout.py's legibility test: 11-point text and its 70 %
    superscript."""
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.set_title("$x^2$", fontsize=11)
    ax.set(xticks=[], yticks=[])
    out = io.StringIO()
    fig.savefig(out, format="svg")
    plt.close(fig)
    assert sorted(round(s, 3) for s in text_sizes_pt(out.getvalue())) == [7.7, 11.0]


def test_no_chapter_figure_draws_text_past_its_edges():
    """What the reader sees: every glyph of every drawing, laptop's and phone's, inside it. (A
    phone drawing of Fig. 1.3 once put its panels' titles above its top edge, in the SVG though
    not in the figure as matplotlib measured it at another resolution; show() now measures the
    layout the SVG was drawn with, and this reads the SVGs themselves.)"""
    for name, cell, output in figure_cells():
        for svg in (output["data"]["image/svg+xml"], output["metadata"][figures.PHONE_DRAWING]):
            svg = "".join(svg)
            assert glyphs_past_the_edges(svg) == [], name


def test_a_glyph_past_the_edge_is_found():
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.set_title("seen")
    fig.text(0.5, 1.02, "cut")  # above the top edge
    out = io.StringIO()
    fig.savefig(out, format="svg")
    plt.close(fig)
    assert len(glyphs_past_the_edges(out.getvalue())) == 3  # c, u, t
