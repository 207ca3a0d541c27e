"""Serve MathJax from the site itself, so that every equation renders offline.

MathJax 3 comes from npm (``package.json``, installed by ``make``) into
``node_modules/mathjax``. This extension points Sphinx's ``mathjax_path`` at a
copy inside the built site and copies the parts of MathJax that the CHTML
output needs: the combined TeX/MathML component, the TeX extensions it may
load, its web fonts, and the accessibility and menu components.

The copy is made at the end of the build rather than through ``_static/``:
Jupyter Book adds every ``.js`` file under ``_static/`` to every page as a
script, which would load dozens of MathJax modules that must not run directly.
"""

import shutil
from pathlib import Path

from sphinx.errors import ExtensionError

SOURCE = Path(__file__).resolve().parent.parent / "node_modules" / "mathjax" / "es5"
TARGET = "mathjax"  # under the site's _static folder
PARTS = ["tex-mml-chtml.js", "input/tex/extensions", "output/chtml/fonts/woff-v2", "a11y", "sre", "ui", "adaptors"]


def use_local_mathjax(app, config):
    if not (SOURCE / "tex-mml-chtml.js").is_file():
        raise ExtensionError(f"MathJax is missing from {SOURCE.parent}: run `npm ci` (make does)")
    config.mathjax_path = f"{TARGET}/tex-mml-chtml.js"


def copy_mathjax(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / TARGET
    for part in PARTS:
        source = SOURCE / part
        if source.is_dir():
            shutil.copytree(source, target / part, dirs_exist_ok=True)
        else:
            (target / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / part)


def setup(app):
    app.connect("config-inited", use_local_mathjax)
    app.connect("build-finished", copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
