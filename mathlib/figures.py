"""Figures drawn twice: for a laptop's column and for a phone's.

A figure is an SVG that a narrow screen shrinks to its column, text and all. Drawn
5 inches wide with 11-point text, a figure's sub- and superscripts (drawn at 70 % of
their text) fall to about 7 CSS pixels in a phone's 342-pixel column, and two panels
side by side leave each half of that. So each figure of the book is drawn by a
function of one flag, ``draw(phone)``: ``phone=False`` for a laptop (panels side by
side, as in print), ``phone=True`` for a phone (at most 3.5 inches wide, so that the
phone shows it at its own size, with its panels one above the other).

:func:`show` puts both drawings in one notebook output: the laptop's as
``image/svg+xml``, which Jupyter shows, and the phone's in the output's metadata
under :data:`PHONE_DRAWING`, which Jupyter leaves alone. The book's build
(``_ext/phone_figures.py``) writes the figure as a ``<picture>`` whose phone
drawing is the one a screen narrower than :data:`PHONE_SCREEN` pixels loads.

:func:`show` needs matplotlib and IPython (a notebook's kernel), which the
book's environment has; importing the module needs neither.
"""

import io

__all__ = ["PHONE_DRAWING", "PHONE_SCREEN", "PHONE_WIDTH", "show"]

PHONE_DRAWING = "phone_drawing"
"""The key of a figure's phone drawing (an SVG) in its notebook output's metadata."""

PHONE_SCREEN = 540
"""Screens narrower than this many CSS pixels get the phone drawing: below it, the
book's column (the screen less 48 pixels) is narrower than the widest laptop
drawing (5.1 inches, 491 pixels), which would be shrunk."""

PHONE_WIDTH = 3.5
"""The widest a phone drawing may be, in inches: 336 CSS pixels, within the
342-pixel column of a 390-pixel phone, which then shows it unshrunk."""


def _svg(figure):
    out = io.StringIO()
    figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()


def _cut_off(figure):
    """What of a figure, as last saved, reaches past its edges: its panels (with
    their titles, labels, tick labels and legends), its own legends and its
    texts. (Measured where the SVG's drawing laid them out, not laid out anew:
    at another resolution, constrained layout can place them otherwise.)"""
    renderer = figure.canvas.get_renderer()
    edge = figure.bbox.padded(0.5)  # half a pixel for rounding
    pieces = [(f"panel {ax.get_title() or ax.get_xlabel() or ax.get_ylabel()!r}",
               ax.get_tightbbox(renderer)) for ax in figure.axes]
    pieces += [("legend", legend.get_window_extent(renderer))
               for legend in figure.legends]
    pieces += [(f"text {text.get_text()!r}", text.get_window_extent(renderer))
               for text in figure.texts if text.get_visible() and text.get_text()]
    return [name for name, box in pieces if box is not None and not (
        edge.contains(box.x0, box.y0) and edge.contains(box.x1, box.y1))]


def show(draw):
    """Show ``draw(phone=False)`` in the notebook, with ``draw(phone=True)`` for phones.

    Parameters
    ----------
    draw : callable
        ``draw(phone)`` returns a new matplotlib figure: laid out for a laptop's
        column when ``phone`` is false, and for a phone's (at most
        :data:`PHONE_WIDTH` inches wide, panels stacked) when it is true. It
        should only draw: compute what it shows before, outside it.

    Raises
    ------
    ValueError
        If the phone drawing is wider than :data:`PHONE_WIDTH` inches, or a
        text or legend of either drawing reaches past its edges (a title too
        long for a phone, say), which the page would show cut off.
    """
    import matplotlib.pyplot as plt
    from IPython.display import display

    laptop, phone = draw(phone=False), draw(phone=True)
    try:
        width = phone.get_figwidth()
        if width > PHONE_WIDTH + 1e-9:
            raise ValueError(
                f"draw(phone=True) is {width:g} inches wide; a phone's drawing "
                f"may be at most {PHONE_WIDTH:g} (mathlib.figures.PHONE_WIDTH)")
        laptop_svg, phone_svg = _svg(laptop), _svg(phone)  # each laid out as drawn
        for name, figure in (("laptop", laptop), ("phone", phone)):
            cut = _cut_off(figure)
            if cut:
                raise ValueError(f"the {name}'s drawing cuts off its {cut[0]}: "
                                 f"it reaches past the figure's edge")
        display({"image/svg+xml": laptop_svg, "text/plain": repr(laptop)},
                metadata={PHONE_DRAWING: phone_svg}, raw=True)
    finally:
        plt.close(laptop)
        plt.close(phone)
