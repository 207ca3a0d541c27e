"""The notebooks bundle on the site: the zip, and the links to it.

A chapter downloaded from the site cannot run on its own: it imports ``mathlib``.
At the end of every HTML build this extension writes ``appendix-b-notebooks.zip``
into the site, made by ``bundle/make_bundle.py`` (every chapter of _toc.yml, the library
as a wheel, pinned requirements and a README; the script says what and how). Each chapter
page gets a box linking the zip, the ``{notebooks-bundle}`` directive puts the same box
on the landing page, and ``{{ bundle_python }}`` says there which Python it needs.

``FALLBACK`` is the first thing in every chapter's first code cell (the tests check
it), so that a notebook opened without the bundle says where to get it.
"""

import posixpath
import sys
from pathlib import Path

import book_contents
from docutils import nodes
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective

NAME = "appendix-b-notebooks"
BUNDLE = f"{NAME}.zip"
SECTION = "Running the notebooks yourself"   # on the landing page

FALLBACK = f'''\
try:  # the book's own mathlib (PyPI's "mathlib" is another package)
    import mathlib.divergences
except ImportError:
    raise ModuleNotFoundError(
        "This notebook needs the book's library mathlib: download "
        "{BUNDLE} from the book's landing page (section "
        "'{SECTION}') and follow its README.") from None
'''


def bundle_box(docname, title):
    """A box with a link to the zip, from the page `docname`."""
    uri = posixpath.relpath(BUNDLE, posixpath.dirname(docname) or ".")
    link = nodes.reference("", "", nodes.literal(BUNDLE, BUNDLE), refuri=uri,
                           classes=["notebooks-bundle-link"])
    text = ("Download ", link, ": every chapter as a notebook, the book's library and a README "
            "with the two commands that install them and open JupyterLab, on Linux, macOS or "
            "Windows. No clone needed.")
    para = nodes.paragraph("", "", *[nodes.Text(t) if isinstance(t, str) else t for t in text])
    return nodes.admonition("", nodes.title(title, title), para, classes=["tip", "notebooks-bundle"])


class NotebooksBundle(SphinxDirective):
    """``{notebooks-bundle}``: the box with the link to the zip (for the landing page)."""

    def run(self):
        return [bundle_box(self.env.docname, "The notebooks bundle")]


class Bundle:
    """The extension's state: what bundle/make_bundle.py planned when the build started."""

    def __init__(self, make_bundle):
        self.make = make_bundle
        self.plan = None
        self.chapters = set()   # their docnames
        self.continued = set()  # those that continue a chapter (its sections in _toc.yml)

    def start(self, app, config):
        """Plan the bundle (each file read once), and set {{ bundle_python }}: the oldest
        Python the bundle installs on (for the landing page)."""
        try:
            self.plan = self.make.plan(app.srcdir)
        except self.make.BundleError as error:
            raise ExtensionError(str(error)) from None
        self.chapters = {path.relative_to(Path(app.srcdir)).with_suffix("").as_posix()
                         for path in self.plan.chapters}
        self.continued = set(book_contents.read(app.srcdir).continuations)
        config.myst_substitutions = {**config.myst_substitutions, "bundle_python": self.plan.python}

    def add_box_to_chapter(self, app, doctree):
        """Under the title of each chapter in the bundle, the box with the link; on a page that continues
        a chapter, under the line that says so, which orients the reader first."""
        docname = app.env.docname
        if docname not in self.chapters:
            return
        section = next(iter(doctree.findall(nodes.section)), None)
        if section is None or not isinstance(section[0], nodes.title):
            raise ExtensionError(f"notebooks bundle: {docname} has no title to put the link under")
        after_title = 2 if docname in self.continued and isinstance(section[1], nodes.paragraph) else 1
        section.insert(after_title, bundle_box(docname, "Run this chapter yourself"))

    def write(self, app, exception):
        # (Not in the single-page build that `make pdf` prints: the PDF links the website's zip.)
        if exception is None and app.builder.format == "html" and app.builder.name != "singlehtml":
            try:
                self.make.write(self.plan, Path(app.outdir) / BUNDLE)
            except self.make.BundleError as error:
                raise ExtensionError(str(error)) from None


def setup(app):
    sys.path.insert(0, str(Path(app.srcdir) / "bundle"))
    import make_bundle  # the packaging: bundle/make_bundle.py

    bundle = Bundle(make_bundle)
    app.connect("config-inited", bundle.start)
    app.add_directive("notebooks-bundle", NotebooksBundle)
    app.connect("doctree-read", bundle.add_box_to_chapter)
    app.connect("build-finished", bundle.write)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
