"""What the pages need for screen readers, search engines and keyboard users that the theme and
the extensions leave out (tests/test_accessibility.py runs axe-core over every built page).

- A figure that a notebook's cell draws gets alternative text: its caption when the cell's
  metadata gives one (``mystnb: figure: caption``, or ``image: alt``), and otherwise a sentence
  naming it as the figure drawn by the code above, with its number on the page, instead of the
  image's file path (which docutils writes when an image has no ``alt``).
- The references list its works as list items: docutils writes ``role="list"`` around them
  and gives each entry the ARIA role ``doc-biblioentry``, deprecated and not a list item.
- Every page has a meta description: the first sentences of its text.
- ``index.html`` is a small HTML page with a language, a title and a link, not only the bare
  ``<meta http-equiv="Refresh">`` that sphinx-external-toc writes.
"""

import html
import re
from pathlib import Path

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform

DESCRIPTION_LENGTH = 155
# Pages without a text of their own (Sphinx's general index and search page).
DESCRIPTIONS = {
    "genindex": "Index of the terms defined in the glossary, with the chapters that use them.",
    "search": "Search the chapters, the glossary and the equations (B.1)-(B.11) of Appendix B.",
}


class FigureAltText(SphinxPostTransform):
    """Give each image in a cell's output an alt text (docutils would write its file path)."""

    default_priority = 200

    def run(self):
        count = 0
        for image in self.document.findall(nodes.image):
            if not self._in_cell_output(image):
                continue
            count += 1
            if image.get("alt"):
                continue
            figure = image.parent if isinstance(image.parent, nodes.figure) else None
            captions = list(figure.findall(nodes.caption)) if figure is not None else []
            if captions:
                image["alt"] = _plain(_readable_tex(captions[0].astext()))
            else:
                image["alt"] = f"Figure {count} of this page, drawn by the code cell above it"

    @staticmethod
    def _in_cell_output(node):
        while node is not None:
            if "cell_output" in node.get("classes", []):
                return True
            node = node.parent
        return False


def _readable_tex(text):
    """A caption's TeX read out plainly: "-\\log_2 P(x)" as "-log_2 P(x)", "\\|" as "‖"."""
    text = text.replace("\\|", "‖").replace("\\,", " ").replace("\\;", " ")
    text = re.sub(r"\\([A-Za-z]+)", r"\1", text)
    return re.sub(r"_\{([^{}]*)\}", r"_\1", text).replace("{", "").replace("}", "")


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


def write_index(app, exception):
    """The site's index.html: a page that sends the reader to the landing page."""
    if exception is not None or app.builder.format != "html" or app.config.root_doc == "index":
        return
    target = f"{app.config.root_doc}.html"
    title = html.escape(app.config.html_title or app.config.project)
    Path(app.outdir, "index.html").write_text(
        "<!DOCTYPE html>\n"
        f'<html lang="{app.config.language or "en"}">\n<head>\n<meta charset="utf-8" />\n'
        f"<title>{title}</title>\n"
        f'<meta name="description" content="{title}: the opening page." />\n'
        f'<meta http-equiv="Refresh" content="0; url={target}" />\n'
        f'<link rel="canonical" href="{target}" />\n</head>\n'
        f'<body><main><p><a href="{target}">{title}</a></p></main></body>\n</html>\n',
        encoding="utf8",
    )


def setup(app):
    app.add_post_transform(FigureAltText)
    app.connect("html-page-context", page_context)
    # Before sphinx-external-toc's (priority 500), which then leaves an existing index.html alone.
    app.connect("build-finished", write_index, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
