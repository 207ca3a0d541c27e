"""The whole book as one PDF: the single-page build it is printed from, and its link.

``make pdf`` builds the book with Sphinx's ``singlehtml`` builder (every page of the table
of contents in one HTML document, each cross-reference an anchor inside it) and prints that
page with Chromium (``pdf/print_book.py``). This extension does two things:

- In the single-page build: sphinx-exercise registers its nodes for the ``singlehtml``
  builder by name, so Sphinx no longer falls back to the ``html`` handlers for any node
  there and sphinx-proof's theorems had no translator; every node registered for ``html``
  only gets the same handlers under ``singlehtml``. The "Run this chapter yourself" boxes
  are left out of the chapters (the landing page's section keeps its box), and the landing
  page's link to the index, a page the PDF does not have, becomes plain text.
- In the website: every page's download menu (the theme's download button) gets
  "Whole book (PDF)", which links ``PDF`` at the site's top, where ``make pdf`` writes it;
  ``{book-pdf}`` on the landing page is a sentence with the same link.
"""

import posixpath
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

PDF = "appendix-b.pdf"   # at the top of the website, beside the notebooks bundle
LABEL = "Whole book (PDF)"


def complete_single_page_handlers(app):
    if app.builder.name != "singlehtml":
        return
    handlers = app.registry.translation_handlers
    single = handlers.setdefault("singlehtml", {})
    for name, pair in handlers.get("html", {}).items():
        single.setdefault(name, pair)


def trim_for_print(app, doctree, docname):
    if app.builder.name != "singlehtml":
        return
    # The single page is one tree: each included page's content sits in a start_of_file node.
    for included in doctree.findall(addnodes.start_of_file):
        for box in list(included.findall(nodes.admonition)):
            if "notebooks-bundle" in box["classes"]:
                box.parent.remove(box)
    for ref in list(doctree.findall(nodes.reference)):
        if ref.get("refuri", "").split("#")[0].endswith("genindex.html"):
            ref.replace_self(nodes.inline("", "", *ref.children))


def pdf_uri(pagename):
    return posixpath.relpath(PDF, posixpath.dirname(pagename) or ".")


def add_download_entry(app, pagename, templatename, context, doctree):
    """The PDF in the theme's download menu, after the page's own source and PDF-print entries."""
    if app.builder.name != "html":
        return
    buttons = context.get("header_buttons")
    if not buttons:
        return
    for button in buttons:
        if button.get("type") == "group" and "download" in str(button.get("icon", "")):
            button["buttons"].append({
                "type": "link", "url": pdf_uri(pagename), "text": LABEL,
                "tooltip": "The whole book as one PDF", "icon": "fas fa-book",
                "label": "download-book-pdf-button",
            })


class BookPdf(SphinxDirective):
    """``{book-pdf}``: a sentence linking the PDF of the whole book (for the landing page)."""

    def run(self):
        uri = posixpath.relpath(PDF, posixpath.dirname(self.env.docname) or ".")
        link = nodes.reference("", "", nodes.literal(PDF, PDF), refuri=uri, classes=["book-pdf-link"])
        para = nodes.paragraph("", "", nodes.Text("The whole book, to read offline or print: "), link,
                               nodes.Text(", one PDF with every chapter, its exercises and their "
                                          "solutions, the glossary and the references."))
        return [para]


def say_if_missing(app, exception):
    """The site links the PDF whether or not it is there: say how to make it, once."""
    if exception is None and app.builder.name == "html" and not (Path(app.outdir) / PDF).is_file():
        logger.info(f"{PDF}, linked from every page, is not built yet: run `make pdf`")


def setup(app):
    app.add_directive("book-pdf", BookPdf)
    app.connect("builder-inited", complete_single_page_handlers)
    app.connect("doctree-resolved", trim_for_print)
    app.connect("html-page-context", add_download_entry, priority=900)
    app.connect("build-finished", say_if_missing)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
