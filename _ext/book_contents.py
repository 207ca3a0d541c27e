"""The book's table of contents, ``_toc.yml``, read in one place.

Each top-level entry of ``chapters`` is a page of the book (a chapter, the assignments, the
glossary, ...). A chapter may go on over pages of its own, its ``sections``, which follow it in
reading order and share its number. The notebooks bundle, the PDF and the tests read the
contents from here; Sphinx reads ``_toc.yml`` through Jupyter Book.

>>> contents = parse({"root": "intro", "chapters": [
...     {"file": "chapters/a", "sections": [{"file": "chapters/a_more"}]}, {"file": "about"}]})
>>> contents.parts
{'chapters/a': ['chapters/a', 'chapters/a_more'], 'about': ['about']}
>>> contents.continuations, contents.pages
(['chapters/a_more'], ['intro', 'chapters/a', 'chapters/a_more', 'about'])
"""

from pathlib import Path
from typing import NamedTuple

import yaml


class Contents(NamedTuple):
    root: str     # the landing page
    parts: dict   # {top-level page: [it, then the pages it goes on over]}, in reading order

    @property
    def pages(self):
        """Every page, in reading order, the landing page first."""
        return [self.root] + [page for pages in self.parts.values() for page in pages]

    @property
    def continuations(self):
        """The pages that continue a chapter, in reading order."""
        return [page for pages in self.parts.values() for page in pages[1:]]


def _pages(entry):
    return [entry["file"]] + [page for section in entry.get("sections", []) for page in _pages(section)]


def parse(toc):
    return Contents(toc["root"], {entry["file"]: _pages(entry) for entry in toc["chapters"]})


def read(root):
    """The contents of the book whose sources are in the folder ``root``."""
    return parse(yaml.safe_load((Path(root) / "_toc.yml").read_text()))
