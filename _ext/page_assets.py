"""A page's scripts and stylesheets: only those it uses, and no script before its first paint.

Jupyter Book adds sphinx-design to every page (60 kB), while one page (About, its
dropdown of pinned packages) uses it. A page whose body has no sphinx-design element
(class ``sd-...``) is written without them.

Sphinx and the extensions put their scripts in the page's head without ``defer``: the
browser stops reading the page at each one until it has fetched and run it, and a phone on a
slow network showed nothing for a second longer (Lighthouse's first contentful paint). Every
script file is deferred instead: fetched while the page is read, run in the same order once it
is read. Each of them waits for the page anyway (Sphinx's ``_ready``, DOMContentLoaded), and
the inline scripts that the head keeps only set variables that they read later. The search
page is left as it is: there search-snippets.js must patch Sphinx's search (on
DOMContentLoaded) before searchtools.js, which its template loads undeferred after them, runs
the query.

The theme's own leaner page head is set in ``_templates/layout.html``;
``benchmarks/site_speed.py`` and ``benchmarks/lighthouse.py`` measure a page's first load.
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


def defer_scripts(app, pagename, templatename, context, doctree):
    if pagename == "search" or "script_files" not in context:
        return
    context["script_files"] = [
        js if not js.filename or {"async", "defer"} & set(js.attributes)
        else type(js)(js.filename, priority=js.priority, **js.attributes, defer="defer")
        for js in context["script_files"]]


def setup(app):
    app.connect("html-page-context", drop_unused_sphinx_design)
    app.connect("html-page-context", defer_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
