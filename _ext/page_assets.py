"""Load sphinx-design's stylesheet and script only on the pages that use sphinx-design.

Jupyter Book adds sphinx-design to every page (60 kB), while one page (About, its
dropdown of pinned packages) uses it. A page whose body has no sphinx-design element
(class ``sd-...``) is written without them. The theme's own leaner page head is set in
``_templates/layout.html``; ``benchmarks/site_speed.py`` measures a page's first load.
"""

import re

SPHINX_DESIGN_ELEMENT = re.compile(r'class="[^"]*\bsd-')
SPHINX_DESIGN_ASSETS = ("sphinx-design.min.css", "design-tabs.js")


def drop_unused_sphinx_design(app, pagename, templatename, context, doctree):
    if SPHINX_DESIGN_ELEMENT.search(context.get("body", "")):
        return
    for kind in ("css_files", "script_files"):
        if kind in context:
            context[kind] = [f for f in context[kind] if not str(f.filename).endswith(SPHINX_DESIGN_ASSETS)]


def setup(app):
    app.connect("html-page-context", drop_unused_sphinx_design)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
