"""The whole book as one PDF (`make pdf`), read back as a reader's PDF viewer would.

Run by `make test-pdf` (which builds the PDF first), not by `make test`: the PDF costs a second
build of the book and Chromium's printing, more than `make test`'s time allows. The text comes
from `pdftotext` (Debian `poppler-utils`, which `.ci/run` installs; `pdftohtml` and `pdftoppm`,
which renders pages to images, come with it), links from pypdf.
"""

import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "_ext"))
import book_contents  # noqa: E402 (the one reader of _toc.yml)
SITE = ROOT / "_build" / "html"
PDF = SITE / "appendix-b.pdf"
SINGLE_PAGE = ROOT / "_build" / "pdf" / "_build" / "singlehtml" / "intro.html"
# The printed text area of an A4 page, in points: 210 mm wide, 17 mm margins (pdf/print_book.py).
MM = 72 / 25.4
PAGE_WIDTH, SIDE_MARGIN = 210 * MM, 17 * MM

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_PDF"),
                                reason="the PDF's tests run with `make test-pdf`")


CONTENTS = book_contents.read(ROOT)
CHAPTERS = [doc for doc in CONTENTS.parts if doc.startswith("chapters/")]
OTHER_PAGES = [doc for doc in CONTENTS.parts if not doc.startswith("chapters/")]


def chapter_pages(doc):
    """A chapter's page and the pages it goes on over (its sections in _toc.yml), in order."""
    return CONTENTS.parts[doc]


# The pages that continue a chapter: each starts a page of the PDF, under its own title.
CONTINUED = CONTENTS.continuations


def markdown_cells(doc):
    notebook = json.loads((ROOT / f"{doc}.ipynb").read_text())
    return ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown"]


def title_of(doc):
    path = ROOT / f"{doc}.md"
    texts = [path.read_text()] if path.exists() else markdown_cells(doc)
    for text in texts:
        match = re.search(r"^# (.+)$", text, re.M)
        if match:
            return typographic(match.group(1).strip())   # as printed
    raise AssertionError(f"{doc} has no title")


@pytest.fixture(scope="module")
def pdf_path():
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing (Debian package poppler-utils; .ci/run installs it)")
    if not PDF.is_file():
        pytest.fail("the PDF is not built: run `make pdf` (make test-pdf does it first)")
    return PDF


@pytest.fixture(scope="module")
def pages(pdf_path):
    """The text of every page, laid out as printed (pdftotext separates pages by form feeds)."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf_path), "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1]


@pytest.fixture(scope="module")
def reader(pdf_path):
    from pypdf import PdfReader

    return PdfReader(pdf_path)


@pytest.fixture(scope="module")
def words(pdf_path):
    """Every page's words, each with its box in points from the page's top left corner:
    [[(x0, y0, x1, y1, word), ...], ...] (`pdftotext -bbox`)."""
    import html

    xml = subprocess.run(["pdftotext", "-bbox", str(pdf_path), "-"], capture_output=True, text=True,
                         check=True).stdout
    word = r'<word xMin="([^"]+)" yMin="([^"]+)" xMax="([^"]+)" yMax="([^"]+)">([^<]*)</word>'
    return [[(*map(float, box[:4]), html.unescape(box[4])) for box in re.findall(word, body)]
            for body in re.findall(r"<page [^>]*>(.*?)</page>", xml, re.S)]


BOOK_TITLE = yaml.safe_load((ROOT / "_config.yml").read_text())["title"]


def first_body_page(pages):
    """The index of the page after the title page and the contents: the landing page's title."""
    return [k for k, p in enumerate(pages) if squash(p).startswith(squash(BOOK_TITLE))][1]


def opening(pages, title):
    """The index of the page that opens with this title, after the title page and contents."""
    found = [k for k in range(first_body_page(pages), len(pages)) if squash(pages[k]).startswith(squash(title))]
    assert found, f"no page opens with {title!r}"
    return found[0]


def part_openings(pages):
    """The index of the page each part of the book (a chapter, the glossary, ...) opens on."""
    starts = {opening(pages, title_of(d)) for d in OTHER_PAGES + CONTINUED}
    return starts | {opening(pages, f"Chapter {k} {title_of(d)}") for k, d in enumerate(CHAPTERS, start=1)}


def part_text(pages, title):
    """The text of the part that opens with this title, from its first page to the next part's."""
    start = opening(pages, title)
    end = min([k for k in part_openings(pages) if k > start], default=len(pages))
    return "".join(pages[start:end])


def squash(text):
    """Text with every run of white space as one space (a title may wrap in the PDF)."""
    return re.sub(r"\s+", " ", text.replace("\u200b", "")).strip()   # KaTeX's zero-width spaces


def unspaced(text):
    """Text without any white space: a formula's symbols are spaced by KaTeX's margins on the
    page but by spaces in the PDF's text (and its zero-width spaces and function marks dropped)."""
    return re.sub(r"[\s\u200b\u2061]+", "", text)


def typographic(text):
    """Straight quotes as Sphinx prints them (its smart quotes: "Gibbs' inequality" is printed
    "Gibbs’ inequality", on the site as in the PDF)."""
    return text.replace("'", "\u2019")


def test_every_equation_of_the_appendix_is_numbered_as_on_the_site(pages):
    text = "".join(pages)
    for n in range(1, 12):
        assert f"(B.{n})" in text, f"(B.{n}) is not in the PDF"
    # A chapter's own equations are numbered (chapter.k), as on the site.
    assert re.search(r"\(\d\.\d+\)", text)


def test_title_page_then_contents_with_the_page_each_heading_is_on(pages):
    assert squash(pages[0]).startswith(squash(yaml.safe_load((ROOT / "_config.yml").read_text())["title"]))
    # The contents' pages: after the title page, up to the landing page (whose own table of
    # the appendix's equations has lines that look like entries).
    contents = []
    for page in pages[1:first_body_page(pages)]:
        contents += page.splitlines()
    assert contents and squash(contents[0]) == "Contents"
    entries = [re.match(r"^\s*(?:\d+\s+)?(.*\S)\s+(\d+)$", line) for line in contents]
    entries = [(m.group(1), int(m.group(2))) for m in entries if m]
    titles = [title_of(doc) for doc in CHAPTERS + CONTINUED + OTHER_PAGES]
    listed = [t for t, _ in entries]
    for title in titles:
        assert title in listed, f"{title!r} is not in the contents"
    assert len(entries) > len(titles)   # the chapters' sections too
    for title, number in entries:
        assert 1 < number <= len(pages), f"{title!r}: page {number} is not in the PDF"
        assert squash(title) in squash(pages[number - 1]), f"{title!r} is not on page {number}, as the contents say"


def test_every_chapter_starts_a_page_with_its_number_and_title(pages):
    for k, doc in enumerate(CHAPTERS, start=1):
        starts = [p for p in pages if squash(p).startswith(f"Chapter {k} {squash(title_of(doc))}")]
        assert len(starts) == 1, f"chapter {k}, {title_of(doc)!r}, does not open a page of its own"
    for doc in OTHER_PAGES:
        opening(pages, title_of(doc))


def test_every_exercise_is_printed_with_its_solution(pages):
    text = squash("".join(pages))
    for k, doc in enumerate(CHAPTERS, start=1):
        sources = "".join(text for page in chapter_pages(doc) for text in markdown_cells(page))
        exercises = len(re.findall(r"[`:]{3,}\{exercise(?:-start)?\}", sources))
        solutions = len(re.findall(r"[`:]{3,}\{solution(?:-start)?\}", sources))
        assert exercises > 0 and solutions > 0
        for n in range(1, exercises + 1):
            assert f"Exercise {k}.{n}" in text, f"Exercise {k}.{n} is not in the PDF"
        printed = len(set(re.findall(rf"Solution to Exercise {k}\.(\d+)", text)))
        assert printed == solutions, f"chapter {k}: {printed} of {solutions} solutions printed"


def test_every_solution_is_printed_open(pages):
    """Each solution's text, not only its title: the site folds solutions, the PDF must not."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(SINGLE_PAGE.read_text(), "html.parser")
    unbreak = lambda t: re.sub(r"(\w-)\s+", r"\1", squash(t))   # "first-" at a line's end
    text = unbreak("".join(pages))
    solutions = soup.select("div.solution")
    assert len(solutions) > 10
    checked = 0
    for solution in solutions:
        body = solution.select_one("section.solution-content") or solution
        # The longest stretch of plain prose in the solution (formulas print differently).
        runs = [squash(s) for s in body.find_all(string=True, recursive=True)
                if not s.find_parent(class_=re.compile(r"^(katex.*|highlight.*|cell_output|math)$"))]
        # else its longest line of code (a solution that is all formulas has its title only)
        code = [squash(line) for block in body.select(".highlight pre") for line in block.get_text().splitlines()]
        runs = [r for r in runs if len(r) >= 12] or code
        if not runs:
            continue
        run = max(runs, key=len)
        checked += 1
        assert unbreak(run) in text, f"{solution.select_one('.admonition-title').get_text()!r}: {run!r} is not printed"
    assert checked > 0.8 * len(solutions)


def test_no_formula_is_left_as_raw_tex(pdf_path):
    """Only code (in a monospace font) may show TeX; the prose and formulas never do.

    Each run of text with its font from `pdftohtml -xml` (poppler-utils; seconds, where pypdf's
    text extraction took a minute). The code does show TeX (matplotlib's labels, SymPy's LaTeX).
    """
    import html

    raw = re.compile(r"\\(frac|begin|end|mathbb|operatorname|left|right|sum|log)\b|\$\$|\\\(|\\\[")
    xml = subprocess.run(["pdftohtml", "-xml", "-i", "-stdout", str(pdf_path)], capture_output=True, text=True,
                         check=True).stdout
    fonts = dict(re.findall(r'<fontspec id="(\d+)"[^>]*family="([^"]*)"', xml))
    runs = [(fonts[font], html.unescape(re.sub(r"<[^>]+>", "", text)))
            for font, text in re.findall(r'<text [^>]*font="(\d+)"[^>]*>(.*?)</text>', xml)]
    in_code = [text for font, text in runs if re.search("Mono|Typewriter", font) and raw.search(text)]
    found = [text for font, text in runs if not re.search("Mono|Typewriter", font) and raw.search(text)]
    assert len(runs) > 10000 and in_code
    assert not found, f"raw TeX in the PDF: {found[:5]}"


def link_annotations(reader):
    for number, page in enumerate(reader.pages, start=1):
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if annot.get("/Subtype") == "/Link":
                yield number, annot


def test_every_internal_link_leads_to_a_place_in_the_document(reader):
    destinations = {name.lstrip("/"): reader.get_destination_page_number(dest) + 1
                    for name, dest in reader.named_destinations.items()}
    internal, uris = [], []
    for number, annot in link_annotations(reader):
        action = annot.get("/A")
        dest = annot.get("/Dest")
        if dest is None and action is not None and action.get("/S") == "/GoTo":
            dest = action.get("/D")
        if dest is not None:
            name = str(dest).lstrip("/")
            assert name in destinations, f"page {number}: a link to {name!r}, which the PDF does not have"
            internal.append(name)
        elif action is not None and "/URI" in action:
            uris.append(str(action["/URI"]))
    # Equations, exercises, citations, glossary terms, the contents: hundreds of links.
    assert len(internal) > 200
    assert sum(n.startswith("equation-eq-b") for n in internal) > 30
    assert sum(n.startswith("term-") for n in internal) > 10
    for uri in uris:
        assert not uri.startswith("file:") and "127.0.0.1" not in uri and "localhost" not in uri, uri
        if not re.match(r"^[a-z]+:", uri):   # the site's own files, beside the PDF
            path = uri.split("#")[0]
            if SITE.joinpath("index.html").is_file():
                assert (SITE / path).is_file(), f"the PDF links {uri}, which the site does not have"


def test_citations_are_links_to_the_bibliography(reader, pages):
    bib = (ROOT / "references.bib").read_text()
    keys = re.findall(r"^@\w+\{([^,]+),", bib, re.M)
    references_page = opening(pages, "References") + 1
    for title in re.findall(r"^\s*title\s*=\s*[{\"](.+?)[}\"],?\s*$", bib, re.M):
        words = squash(re.sub(r"[{}]", "", title)).split()[:4]
        # (the style writes titles in sentence case)
        assert " ".join(words).lower() in squash(pages[references_page - 1] + pages[references_page]).lower(), title
    to_references = 0
    for _, annot in link_annotations(reader):
        dest = annot.get("/Dest")
        if dest is not None and reader.get_destination_page_number(reader.named_destinations[str(dest)]) + 1 \
                in (references_page, references_page + 1):
            to_references += 1
    assert to_references >= len(keys)


def test_glossary_holds_every_term(pages):
    glossary = (ROOT / "glossary.md").read_text()
    block = glossary.split("```{glossary}")[1].split("```")[0]
    terms = re.findall(r"^(\S.*)$", block, re.M)
    text = squash(part_text(pages, "Glossary"))
    assert len(terms) > 10
    for term in terms:
        assert typographic(squash(term)) in text, f"the glossary term {term!r} is not in the PDF's glossary"


def site_captions():
    """Every figure's caption on the site's chapter pages, as a reader sees it ("Fig. 1.1 ..."):
    the formulas' text as KaTeX draws it, without the MathML that only screen readers get, and
    without the permalink's "#". A fraction is read top down, as on the page (KaTeX writes its
    denominator first: 1/2 is "21" in the HTML's text, "12" in the PDF's)."""
    from bs4 import BeautifulSoup

    captions = []
    for doc in CHAPTERS + CONTINUED:
        # (the captions only: parsing the whole pages takes seconds)
        found = re.findall(r"<figcaption\b.*?</figcaption>", (SITE / f"{doc}.html").read_text(), re.S)
        for caption in BeautifulSoup("".join(found), "html.parser").select("figcaption"):
            for hidden in caption.select(".katex-mathml, .headerlink"):
                hidden.decompose()
            for stack in caption.select(".mfrac > .vlist-t > .vlist-r > .vlist"):
                stack.extend([part.extract() for part in stack.find_all(recursive=False)][::-1])
            captions.append(squash(caption.get_text()))
    return captions


# Every figure prints taller than this (the shortest, with its title, about 70 mm).
FIGURE_BAND = 60 * MM


def drawing_above(pdf_path, number, words, top):
    """How much is drawn in the FIGURE_BAND above `top` (points) on page `number`, across the
    text's width: the fractions of the band's rows and of its columns with ink, on the page
    rendered in grey at 50 dpi with every word of its text painted out. A figure (axes, curves,
    its labels drawn as paths) inks most rows and most columns; what else may stand above a
    caption does not: a code cell leaves only its coloured edge (one column), a table its rules
    (a few rows), prose and formulas their fraction bars. None if the band is not on the page."""
    import tempfile

    import numpy as np
    from PIL import Image, ImageDraw

    if top - FIGURE_BAND < 18 * MM:   # the top margin
        return None
    dpi = 50
    scale = dpi / 72
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-f", str(number), "-l", str(number),
                        "-singlefile", str(pdf_path), f"{folder}/page"], check=True)
        with Image.open(f"{folder}/page.pgm") as rendered:
            page = rendered.convert("L")   # (loaded before the folder goes)
    draw = ImageDraw.Draw(page)
    for x0, y0, x1, y1, _ in words:
        draw.rectangle([x0 * scale - 1, y0 * scale - 1, x1 * scale + 1, y1 * scale + 1], fill=255)
    band = page.crop((round(SIDE_MARGIN * scale), round((top - FIGURE_BAND) * scale),
                      round((PAGE_WIDTH - SIDE_MARGIN) * scale), round(top * scale)))
    ink = np.asarray(band) < 200
    return ink.any(axis=1).mean(), ink.any(axis=0).mean()


def lines(page):
    """A page's words (the `words` fixture) as its lines of text, top down: [(top, text), ...].
    A word belongs to the line of a taller word whose box holds its middle (a superscript, the
    numerator and denominator of a small fraction), and a line reads left to right, a fraction
    top down. (`pdftotext -layout` can put a superscript on the line above: "δ²/2" read "δ/2"
    with a stray "2".)"""
    found = []
    for word in sorted(page, key=lambda w: w[1] - w[3]):   # the tallest first
        middle = (word[1] + word[3]) / 2
        line = next((line for line in found if line[0] <= middle <= line[1]), None)
        if line:
            line[2].append(word)
        else:
            found.append([word[1], word[3], [word]])
    return [(top, " ".join(w[4] for w in sorted(line, key=lambda w: (w[0], w[1]))))
            for top, _, line in sorted(found, key=lambda line: line[0])]


def caption_top(page, caption):
    """Where the caption starts on the page (points from the top), None if it is not there whole."""
    read = lines(page)
    text = [unspaced(line) for _, line in read]
    at = "".join(text).find(unspaced(caption))
    if at < 0:
        return None
    ends = itertools.accumulate(len(line) for line in text)
    return next(top for (top, _), end in zip(read, ends) if end > at)


def test_every_figure_is_printed_with_its_caption(pdf_path, words):
    """Each figure of a chapter (an image in its outputs) has a caption on the site; the caption
    is printed whole on one page, numbered and worded as on the site, right under its figure:
    the figures are SVG, vector drawing in the PDF (no image for pdfimages to list), so the 60 mm
    above the caption must hold ink on more than 45% of their rows and of their columns (59% at
    least above each caption today, 31% at most above any other line of text, but for the
    explorable figures, which are drawings too)."""
    outputs = 0
    for doc in CHAPTERS + CONTINUED:
        notebook = json.loads((ROOT / f"{doc}.ipynb").read_text())
        outputs += sum(any(kind in output.get("data", {}) for kind in ("image/svg+xml", "image/png"))
                       for cell in notebook["cells"] for output in cell.get("outputs", []))
    if not (SITE / "index.html").is_file():
        pytest.fail("the site is not built: run `make book` (make test-pdf does it first)")
    captions = site_captions()
    assert outputs > 5 and len(captions) == outputs, f"{outputs} figures in the chapters, {len(captions)} captions on the site"
    assert all(re.match(r"Fig\. \d+\.\d+ ", c) for c in captions), captions
    for caption in captions:
        name = caption[:60]
        found = [(k, top) for k, page in enumerate(words) if (top := caption_top(page, caption)) is not None]
        assert len(found) == 1, f"the caption {name!r}... is printed whole {len(found)} times, not once as on the site"
        k, top = found[0]
        drawn = drawing_above(pdf_path, k + 1, words[k], top)
        assert drawn is not None, f"the caption {name!r}... is too near the top of page {k + 1} to be under its figure"
        rows, columns = drawn
        assert rows > 0.45 and columns > 0.45, \
            f"page {k + 1}: no figure drawn above the caption {name!r}... (ink on {rows:.0%} of the rows " \
            f"and {columns:.0%} of the columns of the {FIGURE_BAND / MM:.0f} mm above it)"


def test_every_explorable_figure_is_printed_drawn(pages):
    """An explorable figure draws itself (its curves and numbers) only as it nears the screen;
    printing draws it too: under each figure's title, its readouts carry their numbers."""
    import explorables

    text = "".join(pages)
    for figure in explorables.FIGURES.values():
        assert text.count(figure.title) == 1, figure.title
        below = text[text.index(figure.title):][:6000]   # the figure, its controls and readouts
        numbers = re.findall(r"\d\.\d+ nats", below)
        assert len(numbers) >= 2, f"{figure.title}: {numbers} (not drawn?)"


def test_nothing_reaches_past_the_right_margin(words):
    """Every word inside the text area: a code line or output too wide would stick out or be cut."""
    limit = PAGE_WIDTH - SIDE_MARGIN + 2
    beyond = [(w[4], w[2]) for page in words for w in page if w[2] > limit]
    assert not beyond, f"words past the right margin: {beyond[:10]}"


def test_the_text_is_printed_at_full_size(words):
    """Chromium shrinks a whole page to fit something too wide: the prose must stay at 10 pt.

    A 10 pt word of DejaVu Sans (pdf/print.css) is a box 11.64 pt high; shrunk to fit a code
    line of 120 characters, the same text measured 10.0 pt.
    """
    import statistics

    assert statistics.median(w[3] - w[1] for page in words for w in page) > 11.5


def filled(pdf_path, count):
    """How far down its text area each page is printed (0 to 1): the pages rendered in grey at
    30 dpi, the lowest row with ink between the top and bottom margins (18 and 20 mm)."""
    import tempfile

    from PIL import Image

    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["pdftoppm", "-r", "30", "-gray", str(pdf_path), f"{folder}/page"], check=True)
        images = sorted(Path(folder).glob("page-*.pgm"), key=lambda f: int(f.stem.split("-")[-1]))
        assert len(images) == count
        fill = []
        for image in images:
            with Image.open(image) as grey:
                top, bottom = round(grey.height * 18 / 297), round(grey.height * 277 / 297)
                ink = grey.crop((0, top, grey.width, bottom)).point(lambda v: 255 if v < 200 else 0).getbbox()
                fill.append(ink[3] / (bottom - top) if ink else 0)
        return fill


def test_the_page_count_is_what_the_content_needs(pdf_path, pages, reader):
    """No blank page, no nearly empty one except where a part ends, and text on every page.

    A page printed to less than 40% of its height in the middle of a part is nearly empty: what
    follows it was kept in one piece and moved to the next page (a figure with its caption is
    under half a page, a box or code block kept whole under a quarter).
    """
    assert 40 < len(pages) < 250
    starts = part_openings(pages)
    fill = filled(pdf_path, len(pages))
    for k, page in enumerate(pages):
        body = squash(re.sub(r"\s*\d+\s*$", "", page))   # without the page number
        images = "/XObject" in (reader.pages[k].get("/Resources") or {})
        assert body or images, f"page {k + 1} is blank"
        if fill[k] < 0.4 and k + 1 < len(pages) and k != 0:
            assert k + 1 in starts, \
                f"page {k + 1} is nearly empty (printed to {fill[k]:.0%} of its height) in the middle of a part"
    characters = sum(len(squash(p)) for p in pages)
    assert characters / len(pages) > 1200, "too few words per page: runaway pages"


def test_the_site_links_the_pdf_from_the_landing_page_and_every_download_menu():
    if not (SITE / "index.html").is_file():
        pytest.fail("the site is not built: run `make book` (make test-pdf does it first)")
    landing = (SITE / "intro.html").read_text()
    assert re.search(r'<a class="[^"]*book-pdf-link[^"]*" href="appendix-b\.pdf"', landing)
    for doc in CONTENTS.pages:
        html = (SITE / f"{doc}.html").read_text()
        menu = html.split('aria-label="Download this page"')[1].split("</ul>")[0]
        expected = "../" * doc.count("/") + "appendix-b.pdf"
        assert f'href="{expected}"' in menu and "Whole book (PDF)" in menu, f"{doc}: no PDF in the download menu"
