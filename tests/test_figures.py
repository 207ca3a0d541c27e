"""mathlib.figures.show: one notebook output with a laptop's drawing and a phone's, refused when
the phone's is too wide or either cuts off its text. (That the site serves the phone's drawing
to a phone, and its text is legible there, is tests/test_site_layout.py's.)"""

import IPython.display
import matplotlib

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

import json  # noqa: E402
import re  # noqa: E402
from pathlib import Path  # noqa: E402

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
