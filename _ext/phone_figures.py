"""A figure drawn for phones too is written as a ``<picture>`` that loads the phone's drawing
on a narrow screen.

``mathlib.figures.show`` puts two drawings into one output of a notebook's cell: the laptop's
(``image/svg+xml``), which myst-nb writes to a file named by its SHA-256 and shows as the
``<img>``, and the phone's, in the output's metadata (``mathlib.figures.PHONE_DRAWING``), which
myst-nb leaves alone. As each page is written, the phone drawing of each of its images is
written beside it in ``_images``, and the ``<img>`` is put in a ``<picture>`` with a
``<source>`` for screens narrower than ``mathlib.figures.PHONE_SCREEN`` pixels. The ``<img>``
keeps its alternative text, its lazy loading and the laptop's drawing, which a printed page and
a browser without ``<picture>`` show.
"""

import hashlib
import json
import os
import re
from pathlib import Path

from mathlib.figures import PHONE_DRAWING, PHONE_SCREEN


def _text(value):
    return "".join(value) if isinstance(value, list) else value


def _name(svg):
    """The file name myst-nb gives an SVG output (myst_nb.core.render, ``render_image``)."""
    return hashlib.sha256(os.linesep.join(svg.splitlines()).encode("utf-8")).hexdigest() + ".svg"


def phone_drawings(notebook):
    """{file name of a laptop drawing: its phone drawing} for the outputs of a notebook."""
    drawings = {}
    for cell in json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]:
        for output in cell.get("outputs", []):
            laptop = output.get("data", {}).get("image/svg+xml")
            phone = output.get("metadata", {}).get(PHONE_DRAWING)
            if laptop and phone:
                drawings[_name(_text(laptop))] = phone
    return drawings


def write_pictures(app, pagename, templatename, context, doctree):
    source = app.env.doc2path(pagename) if pagename in app.env.all_docs else None
    if source is None or Path(source).suffix != ".ipynb" or "body" not in context:
        return
    drawings = phone_drawings(source)
    images = Path(app.outdir) / "_images"

    def picture(match):
        img, prefix, name = match.group(0), match.group(1), match.group(2)
        if name not in drawings:
            return img
        phone = drawings[name].encode("utf-8")
        phone_name = hashlib.sha256(phone).hexdigest() + ".svg"
        images.mkdir(exist_ok=True)
        (images / phone_name).write_bytes(phone)
        return (f'<picture><source media="(max-width: {PHONE_SCREEN - 0.02}px)" '
                f'srcset="{prefix}{phone_name}" type="image/svg+xml" />{img}</picture>')

    context["body"] = re.sub(r'<img [^>]*src="([^"]*_images/)([0-9a-f]{64}\.svg)"[^>]*>',
                             picture, context["body"])


def setup(app):
    app.connect("html-page-context", write_pictures)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
