"""The one reader of _toc.yml (_ext/book_contents.py): its examples, and the book's own contents."""

import doctest
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "_ext"))
import book_contents  # noqa: E402


def test_its_examples():
    failed, tried = doctest.testmod(book_contents, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert tried and not failed


def test_every_notebook_and_page_is_read_once_in_reading_order():
    contents = book_contents.read(ROOT)
    files = {path.relative_to(ROOT).with_suffix("").as_posix()
             for path in [*ROOT.glob("*.md"), *ROOT.glob("chapters/*.ipynb")] if path.name != "README.md"}
    assert sorted(contents.pages) == sorted(files)
    assert contents.pages[0] == "intro"
    # A continuation follows its chapter and shares its name's start (b2_normal_distributions_derivation).
    for top, pages in contents.parts.items():
        assert all(page.startswith(top + "_") for page in pages[1:]), top
