"""Explorable figures: a directive that places one in a page, and its assets on that page only.

In a chapter's markdown cell::

    ```{explorable} kl-three-outcomes
    ```

writes the figure's container with a one-line note for readers without JavaScript (the
static figure and the text around it stay as they are). The script
``_static/explorables/<name>.js`` draws the figure into the container; it uses the shared
``explorable-math.js`` (the formulas) and ``explorable-ui.js`` (sliders, readouts,
dragging, the live region), and the stylesheet ``explorables.css``. Jupyter Book adds every file
under ``_static`` to every page; here they are taken off every page, and put back, in order,
on the pages whose body holds an explorable (tests/test_explorables.py checks both).

The notebooks bundle (bundle/make_bundle.py) carries each figure as a page of its own, for
students who run the chapters in Jupyter, where the directive cannot show a figure.
"""

import re
from typing import NamedTuple

from docutils import nodes
from docutils.parsers.rst import Directive, directives

FOLDER = "_static/explorables"
SHARED_SCRIPTS = [f"{FOLDER}/explorable-math.js", f"{FOLDER}/explorable-ui.js"]
STYLESHEET = f"{FOLDER}/explorables.css"


class Figure(NamedTuple):
    title: str   # the heading of its page in the notebooks bundle
    does: str    # what it lets a reader do, for the notes that stand in for it


FIGURES = {
    "kl-three-outcomes": Figure(
        "Two distributions on three outcomes",
        "move two distributions on three outcomes and watch both KL divergences, the cross "
        "entropies, the entropies and the JSD"),
    "two-normals": Figure(
        "Two normals on a line",
        "move two normals on a line, and the modes of a mixture, and watch the divergences "
        "and the two fits"),
    "normals-plane": Figure(
        "Two normals in the plane",
        "move, rotate and stretch two normals in the plane and watch (B.9) both ways"),
    "distillation-temperature": Figure(
        "Distillation at temperature T",
        "turn the temperature up and edit the logits, and watch the distillation loss approach "
        "its limit (4.5)"),
}
CONTAINER = re.compile(r'data-explorable="([a-z-]+)"')


def container(name):
    """The HTML the figure's script draws into, holding the note shown without JavaScript
    (on the site, and on the figure's own page in the notebooks bundle)."""
    return (f'<div class="explorable" id="explorable-{name}" data-explorable="{name}">'
            f'<p class="explorable-fallback">An interactive version of this figure, where you can '
            f"{FIGURES[name].does}, needs JavaScript.</p></div>")


class Explorable(Directive):
    required_arguments = 1
    has_content = False
    option_spec = {"class": directives.class_option}

    def run(self):
        name = self.arguments[0]
        if name not in FIGURES:
            raise self.error(f"unknown explorable {name!r}; known: {', '.join(sorted(FIGURES))}")
        return [nodes.raw("", container(name), format="html")]


def _is_explorable_asset(asset):
    return str(getattr(asset, "filename", asset)).startswith(f"{FOLDER}/")  # as Sphinx stores them


def explorable_assets(app, pagename, templatename, context, doctree):
    """Only the pages with an explorable load the explorables' files, and only those they use."""
    from sphinx.builders.html._assets import _CascadingStyleSheet, _JavaScript

    used = sorted(set(CONTAINER.findall(context.get("body", ""))))
    if "css_files" in context:
        context["css_files"] = [f for f in context["css_files"] if not _is_explorable_asset(f)]
        if used:
            context["css_files"].append(_CascadingStyleSheet(STYLESHEET, priority=800))
    if "script_files" in context:
        context["script_files"] = [f for f in context["script_files"] if not _is_explorable_asset(f)]
        if used:
            scripts = SHARED_SCRIPTS + [f"{FOLDER}/{name}.js" for name in used]
            context["script_files"] += [_JavaScript(s, defer="defer", priority=800) for s in scripts]


def setup(app):
    app.add_directive("explorable", Explorable)
    app.connect("html-page-context", explorable_assets)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
