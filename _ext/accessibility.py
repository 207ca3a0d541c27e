"""What the pages need for screen readers, search engines and keyboard users that the theme and
the extensions leave out (tests/test_accessibility.py runs axe-core over every built page).

- A figure that a notebook's cell draws must have a numbered caption and alternative text that
  describes it, both from the cell's metadata (``mystnb: figure: caption, name`` and
  ``mystnb: image: alt``): without them the build warns, naming the cell (docutils would write
  the image's file path as its alternative text, and the figure would have no number).
- The references list its works as list items: docutils writes ``role="list"`` around them
  and gives each entry the ARIA role ``doc-biblioentry``, deprecated and not a list item.
- Every page has a meta description: the first sentences of its text.
- No id repeats on a page: sphinx-exercise gives the body of every exercise and solution the
  same id (``exercise-content``, ``solution-content``), and sphinx-proof that of every theorem
  (``proof-content``); nothing links to them, and each becomes a class.
- The toggle that opens the pages of a chapter in the book's contents (a ``<summary>`` that the
  theme fills with a decorative chevron only) is named after its chapter: "Pages of 4. Where
  Appendix B meets deep learning".
- ``index.html`` is a small HTML page with a language, a title and a link, not only the bare
  ``<meta http-equiv="Refresh">`` that sphinx-external-toc writes.
"""

import html
import re
from pathlib import Path

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import isurl, logging

logger = logging.getLogger(__name__)

DESCRIPTION_LENGTH = 155
# Pages without a text of their own (Sphinx's general index and search page).
DESCRIPTIONS = {
    "genindex": "Index of the terms defined in the glossary, with the chapters that use them.",
    "search": "Search the chapters, the glossary and the equations (B.1)-(B.11) of Appendix B.",
}


class FiguresNeedCaptionAndAltText(SphinxPostTransform):
    """Warn about an image in a cell's output without a caption or alternative text."""

    default_priority = 200

    def run(self):
        for image in self.document.findall(nodes.image):
            if not any("cell_output" in a.get("classes", []) for a in _ancestors(image)):
                continue
            figure = next((a for a in _ancestors(image) if isinstance(a, nodes.figure)), None)
            missing = [what for what, absent in [
                ("caption (mystnb: figure: caption)",
                 figure is None or not any(figure.findall(nodes.caption))),
                ("name to number it by (mystnb: figure: name)", figure is None or not figure["names"]),
                ("alternative text describing it (mystnb: image: alt)", not image.get("alt")),
            ] if absent]
            if missing:
                cell = next(a for a in _ancestors(image) if a.get("nb_element") == "cell_code")
                logger.warning(f"the figure drawn by code cell {cell['cell_index']} (counting from 0) "
                               f"has no {', no '.join(missing)} in the cell's metadata",
                               location=(self.env.docname, cell.line))


class ExerciseBodiesWithoutRepeatedIds(SphinxPostTransform):
    """The id that sphinx-exercise and sphinx-proof give every exercise's, solution's and
    theorem's body, as a class."""

    default_priority = 200
    REPEATED = ("exercise-content", "solution-content", "proof-content")

    def run(self):
        for section in self.document.findall(nodes.section):
            for name in self.REPEATED:
                if name in section["ids"]:
                    section["ids"].remove(name)
                    section["classes"].append(name)
        for name in self.REPEATED:
            self.document.ids.pop(name, None)


def _plain(text):
    return re.sub(r"\s+", " ", text).strip()


def _first_sentences(doctree):
    """The page's first paragraphs of prose, cut to about a search result's length."""
    text = ""
    for paragraph in doctree.findall(nodes.paragraph):
        if any(isinstance(a, (nodes.admonition, nodes.table, nodes.footnote, nodes.citation))
               or "cell_output" in a.get("classes", []) for a in _ancestors(paragraph)):
            continue
        text = _plain(f"{text} {paragraph.astext()}")
        if len(text) >= DESCRIPTION_LENGTH:
            break
    if len(text) > DESCRIPTION_LENGTH:
        text = text[:DESCRIPTION_LENGTH].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return text


def _ancestors(node):
    node = node.parent
    while node is not None:
        yield node
        node = node.parent


def page_context(app, pagename, templatename, context, doctree):
    if "body" in context:
        context["body"] = context["body"].replace('role="doc-biblioentry"', 'role="listitem"')
    description = DESCRIPTIONS.get(pagename) or (_first_sentences(doctree) if doctree is not None else "")
    if description:
        tag = f'<meta name="description" content="{html.escape(description)}" />\n'
        context["metatags"] = context.get("metatags", "") + tag


def _named_toggles(contents):
    """Name each toggle in the theme's contents (a BeautifulSoup tree, of either kind, in the
    pinned pydata-sphinx-theme 0.17; its add_collapse_checkboxes writes an entry's link, then a
    <details> whose <summary> holds a chevron only) after the entry it opens."""
    for summary in contents.select("li.has-children > details > summary"):
        link = summary.find_parent("li").find("a", recursive=False)
        if link is not None and not summary.get("aria-label"):
            summary["aria-label"] = f"Pages of {_plain(link.get_text())}"
    return contents


def name_contents_toggles(app, pagename, templatename, context, doctree):
    """Wrap the theme's function that writes the book's contents (after the theme sets it)."""
    generate = context.get("generate_toctree_html")
    if generate is not None:
        context["generate_toctree_html"] = lambda *args, **kwargs: _named_toggles(generate(*args, **kwargs))


def write_index(app, exception):
    """The site's index.html: a page that sends the reader to the landing page."""
    if exception is not None or app.builder.format != "html" or app.config.root_doc == "index":
        return
    target = f"{app.config.root_doc}.html"
    title = html.escape(app.config.html_title or app.config.project)
    # The site's icon, as on every other page: without it the browser asks for /favicon.ico,
    # which the site does not have (a 404 in the console, when the redirect is slower than it).
    # (Sphinx's own favicon_url: a URL as it is, else the file's name in _static.)
    favicon = app.builder.globalcontext.get("favicon_url")
    icon = "" if not favicon else (
        f'<link rel="icon" href="{favicon if isurl(favicon) else "_static/" + favicon}" />\n')
    Path(app.outdir, "index.html").write_text(
        "<!DOCTYPE html>\n"
        f'<html lang="{app.config.language or "en"}">\n<head>\n<meta charset="utf-8" />\n'
        f"<title>{title}</title>\n"
        f'<meta name="description" content="{title}: the opening page." />\n'
        f'<meta http-equiv="Refresh" content="0; url={target}" />\n'
        f'<link rel="canonical" href="{target}" />\n{icon}</head>\n'
        f'<body><main><p><a href="{target}">{title}</a></p></main></body>\n</html>\n',
        encoding="utf8",
    )


def setup(app):
    app.add_post_transform(FiguresNeedCaptionAndAltText)
    app.add_post_transform(ExerciseBodiesWithoutRepeatedIds)
    app.connect("html-page-context", page_context)
    app.connect("html-page-context", name_contents_toggles, priority=900)
    # Before sphinx-external-toc's (priority 500), which then leaves an existing index.html alone.
    app.connect("build-finished", write_index, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
