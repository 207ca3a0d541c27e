"""The built website, checked in a real browser (headless Chromium driven by Playwright).

`make test` builds the site before running pytest. Every page of the table of
contents is served from `_build/html` on 127.0.0.1 and loaded in Chromium from
Debian (`/usr/bin/chromium`; Playwright never downloads a browser here). A
screenshot of each page is saved under `_build/screenshots/` for reviewers.
"""

import functools
import html.parser
import http.server
import os
import re
import shutil
import sys
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
sys.path.insert(0, str(ROOT / "_ext"))
import book_contents  # noqa: E402 (the one reader of _toc.yml)
SCREENSHOTS = ROOT / "_build" / "screenshots"


def save_screenshot(page, name, full_page=True):
    """A full-page screenshot into _build/screenshots/, for a person to look at.

    Only with ``SCREENSHOTS=1`` (``make screenshots``): they assert nothing, and
    taking some forty of them would cost ``make test`` most of a minute.
    """
    if os.environ.get("SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / name, full_page=full_page)
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def toc_chapters():
    """{top-level document: its pages}, in reading order: a chapter may go on over pages of
    its own (its ``sections`` in _toc.yml), which follow it."""
    return book_contents.read(ROOT).parts


def toc_pages():
    """Every page of the table of contents, in reading order."""
    return book_contents.read(ROOT).pages


CHAPTERS = [doc for doc in toc_pages() if doc.startswith("chapters/")]


def chapter_number(doc):
    """The place in the table of contents of the chapter a page belongs to: 1 for the first."""
    chapters = [pages for top, pages in toc_chapters().items() if top.startswith("chapters/")]
    return next(k for k, pages in enumerate(chapters, start=1) if doc in pages)


def earlier_in_chapter(doc, pattern):
    """How many times ``pattern`` occurs in the pages of doc's chapter that come before it:
    numbers (Exercise 4.3, Fig. 4.2, (4.6)) run on through a chapter's pages."""
    pages = next(pages for pages in toc_chapters().values() if doc in pages)
    return sum(len(re.findall(pattern, (SITE / f"{page}.html").read_text())) for page in pages[:pages.index(doc)])


def chromium_path():
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def server():
    if not (SITE / "index.html").is_file():
        pytest.fail("the site is not built: run `make book` (make test does it first)")

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=SITE))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    path = chromium_path()
    if path is None:
        message = "Chromium is not installed (Debian package `chromium`; .ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield b
        b.close()


def open_page(browser, url, viewport=(1280, 900), javascript=True, prepare=None, **device):
    """Load a page with its figures and fonts, and return it with what happened on the way.

    The math is typeset when the book is built, so the page needs no script for it. Figures
    load lazily, as a reader scrolls to them, and an explorable figure is drawn when it nears
    the screen; here all of them are loaded and drawn at once so that the checks see every
    one (tests/test_explorables.py checks the drawing on scrolling). `prepare`: called with the page before it loads (to route its
    requests). `device`: more of Playwright's context options (a touch screen, the system's
    dark mode, no network).
    """
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]},
                                  java_script_enabled=javascript, **device)
    page = context.new_page()
    page.on("close", lambda _: context.close())
    log = {"requests": [], "failed": [], "bad_status": [], "errors": []}
    page.on("request", lambda r: log["requests"].append(r.url))
    page.on("requestfailed", lambda r: log["failed"].append(f"{r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and log["bad_status"].append(f"{r.url} ({r.status})"))
    page.on("pageerror", lambda e: log["errors"].append(str(e)))
    if prepare is not None:
        prepare(page)
    page.goto(url, wait_until="load")
    page.evaluate("""() => Promise.all(Array.from(document.images).map(i => {
        i.loading = 'eager';
        return i.complete ? null : new Promise(done => { i.onload = i.onerror = done; });
    }))""")
    page.evaluate("() => document.fonts.ready.then(() => true)")
    if javascript:
        page.evaluate(DRAW_EXPLORABLES)
    return page, log


# JavaScript: bring each explorable figure near the screen, wait (up to a second) for its first
# drawing, then go back to the top of the page.
DRAW_EXPLORABLES = """async () => {
  for (const figure of document.querySelectorAll('[data-explorable]')) {
    figure.scrollIntoView();
    for (let frame = 0; frame < 60 && !figure.classList.contains('explorable-ready'); frame++)
      await new Promise(r => requestAnimationFrame(r));
  }
  window.scrollTo(0, 0);
}"""


# JavaScript: the text of the page's article without the elements that match `selector`.
ARTICLE_TEXT_WITHOUT = """(selector) => {
  const copy = (document.querySelector('article') || document.body).cloneNode(true);
  copy.querySelectorAll(selector).forEach(e => e.remove());
  return copy.textContent;
}"""
# The page's text without its code (cells and inline code) and without the TeX source that
# each typeset formula keeps for screen readers and for copying.
PAGE_WITHOUT_CODE = ".cell_input, .highlight, code, .katex-mathml"
# The page's prose: without code cells, their outputs and formulas.
PROSE_ONLY = "pre, .highlight, .cell_input, .cell_output, .math"


# JavaScript: open every solution and dropdown, as a reader who clicks them would.
OPEN_SOLUTIONS = """() => {
  document.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
  document.querySelectorAll('details').forEach(d => d.open = true);
}"""

# JavaScript: formulas of the page (inline, display, SymPy's LaTeX outputs) that show typeset
# math, by any renderer, and those that show an error instead.
TYPESET = """() => {
  const formulas = Array.from(document.querySelectorAll('span.math, div.math'));
  const rendered = f => Array.from(f.querySelectorAll('.katex-html, mjx-container'))
                        .some(m => m.getBoundingClientRect().width > 0);
  return {formulas: formulas.length, rendered: formulas.filter(rendered).length,
          mathml: formulas.filter(f => f.querySelector('math') !== null).length,
          errors: document.querySelectorAll('.katex-error, mjx-merror, .math .error').length};
}"""


# JavaScript: [font family, weight, code point] of every icon that Font Awesome draws on the
# page, set as an icon class or by a stylesheet's `content` (formulas are skipped: no icons).
ICONS_DRAWN = """() => {
  const drawn = [];
  for (const e of document.querySelectorAll('body *:not(.katex *)')) {
    for (const pseudo of ['::before', '::after']) {
      const style = getComputedStyle(e, pseudo);
      if (!/Font Awesome/.test(style.fontFamily) || !style.content.startsWith('"')) continue;
      for (const ch of style.content.slice(1, -1)) {
        const code = ch.codePointAt(0);
        if (code >= 0xe000 && code <= 0xf8ff) drawn.push([style.fontFamily, style.fontWeight, code]);
      }
    }
  }
  return drawn;
}"""
ICON_FONTS = SITE / "_static" / "vendor" / "fontawesome" / "webfonts"

# JavaScript: the fonts that the page's head asks for (as absolute URLs, sorted), and how many
# of KaTeX's font faces the page has used once laid out (a preloaded font that no text is
# set in stays "unloaded").
PRELOADED_FONTS = """() => Array.from(document.querySelectorAll('head link[rel=preload][as=font]'), l => l.href).sort()"""
KATEX_FONTS_USED = """() => { document.body.getBoundingClientRect();
  return document.fonts.ready.then(() => Array.from(document.fonts)
    .filter(f => f.family.includes('KaTeX_') && f.status === 'loaded').length); }"""


@functools.cache
def icon_font_code_points(name):
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(ICON_FONTS / name).getBestCmap())


def icon_in_font(family, weight, code):
    if "Brands" in family:
        name = "fa-brands-400.woff2"
    else:
        name = "fa-solid-900.woff2" if int(weight) >= 600 else "fa-regular-400.woff2"
    return code in icon_font_code_points(name)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("doc", toc_pages())
def test_page_loads_offline_and_shows_every_equation_typeset(server, browser, doc, javascript):
    page, log = open_page(browser, f"{server}/{doc}.html", javascript=javascript)
    try:
        host = urlparse(server).netloc
        outside = [u for u in log["requests"] if urlparse(u).scheme in ("http", "https") and urlparse(u).netloc != host]
        assert outside == [], f"requests leaving 127.0.0.1: {outside}"
        # With JavaScript off, Chromium refuses the scripts that the page preloads ("csp").
        failed = [f for f in log["failed"] if javascript or not f.endswith("(csp)")]
        assert failed == [] and log["bad_status"] == [], failed + log["bad_status"]
        assert log["errors"] == []
        left_out = [u for u in log["requests"] if re.search(r"fontawesome\.js|searchindex\.js|searchtools\.js", u)]
        assert left_out == [], f"a script left out of the pages is loaded (see _templates/layout.html): {left_out}"

        page.evaluate(OPEN_SOLUTIONS)
        typeset = page.evaluate(TYPESET)
        assert typeset["rendered"] == typeset["formulas"], typeset
        assert typeset["errors"] == 0, typeset
        assert typeset["mathml"] == typeset["formulas"], "a formula without MathML for screen readers"
        text = page.evaluate(ARTICLE_TEXT_WITHOUT, PAGE_WITHOUT_CODE)
        for raw in ("$$", "\\[", "\\(", "\\begin", "\\frac", "\\tag"):
            assert raw not in text, f"untypeset LaTeX {raw!r} left in the text"
        assert "numbering:" not in page.evaluate(ARTICLE_TEXT_WITHOUT, PROSE_ONLY), "a notebook's front-matter cell (for JupyterLab) reached the page"

        # What a page loads at first: figures wait until the reader scrolls to them, and
        # sphinx-design's assets come only with the one page that uses sphinx-design.
        # (open_page loads every figure at once, so this reads the page as served.)
        images = re.findall(r"<img [^>]*>", (SITE / f"{doc}.html").read_text())
        assert [i for i in images if 'loading="lazy"' not in i] == []
        uses_design = page.locator("[class*='sd-']").count() > 0
        assert uses_design == any("sphinx-design.min.css" in u for u in log["requests"]), uses_design

        if javascript:
            # The KaTeX fonts the page's formulas use (every solution open) are the fonts its
            # head asks for, each fetched once (_ext/math_font_preload.py): a font found while
            # the page was laid out arrived after its first paint, and moved the words beside
            # the formulas (Lighthouse's layout shift on a laptop: 0.07 to 0.08).
            preloaded = page.evaluate(PRELOADED_FONTS)
            used = page.evaluate(KATEX_FONTS_USED)
            fetched = [u for u in log["requests"] if "/katex/fonts/" in u]
            assert sorted(fetched) == sorted(set(fetched)) == preloaded, "a KaTeX font not asked for in the head, or twice"
            assert used == len(preloaded), f"{len(preloaded)} fonts asked for, {used} used"
            # Every icon drawn with Font Awesome is in the cut-down font that draws it.
            missing = [icon for icon in page.evaluate(ICONS_DRAWN) if not icon_in_font(*icon)]
            assert missing == [], f"icons not in the site's icon fonts (_ext/font_subset.py): {missing}"
            save_screenshot(page, f"{doc.replace('/', '_')}.png")
        else:
            save_screenshot(page, f"{doc.replace('/', '_')}_no_js.png", full_page=False)
    finally:
        page.close()


def test_the_math_fonts_keep_every_character_a_formula_sets():
    """KaTeX's fonts are cut down to the characters of the site's pages (_ext/font_subset.py).
    Every character in the HTML that KaTeX draws, on every page, that KaTeX's own font has, is
    in the site's copy of that font; and the copies weigh at most four fifths of the originals."""
    from bs4 import BeautifulSoup
    from fontTools.ttLib import TTFont

    set_in_formulas = set()
    for page in SITE.rglob("*.html"):
        soup = BeautifulSoup(page.read_text(), "html.parser")
        set_in_formulas.update(ord(c) for element in soup.select(".katex-html") for c in element.get_text())
    assert len(set_in_formulas) > 50
    originals = ROOT / "node_modules" / "katex" / "dist" / "fonts"
    copies = sorted((SITE / "_static" / "katex" / "fonts").glob("*.woff2"))
    assert {f.name for f in copies} == {f.name for f in originals.glob("*.woff2")}
    for copy in copies:
        had = set(TTFont(originals / copy.name).getBestCmap()) & set_in_formulas
        missing = had - set(TTFont(copy).getBestCmap())
        assert not missing, f"{copy.name} lacks {''.join(map(chr, sorted(missing)))}"
    assert sum(f.stat().st_size for f in copies) <= 0.8 * sum((originals / f.name).stat().st_size for f in copies)


@pytest.mark.parametrize("doc", toc_pages())
def test_no_script_holds_up_the_first_paint(doc):
    """Every script file in a page's head is deferred (_ext/page_assets.py): a phone on a slow
    network drew the page a second later while it fetched them one after another. Nor does a
    stylesheet wait for another: the theme's styles/theme.css, which only imports basic.css, is
    replaced by basic.css (_templates/layout.html)."""
    head = (SITE / f"{doc}.html").read_text().split("</head>")[0]
    blocking = [tag for tag in re.findall(r"<script\b[^>]*\bsrc=[^>]*>", head) if not re.search(r"\b(defer|async)\b", tag)]
    assert blocking == []
    assert "styles/theme.css" not in head and "basic.css" in head


# JavaScript, run before the page's own scripts: every value written to the page's colour theme.
RECORD_THEME_WRITES = """window.themeWrites = [];
new MutationObserver(records => records.forEach(r => window.themeWrites.push(
    r.target.getAttribute('data-theme')))).observe(document, {subtree: true, attributeFilter: ['data-theme']});"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_colour_theme_is_set_once_to_its_final_value(server, browser, scheme):
    """The theme's head script set the colour theme to "auto" (no theme), and its script at the
    end of the page set it to "light" or "dark": on a chapter page that second write restyled
    some 18,000 elements, the longest task of a phone's load (benchmarks/lighthouse.py). The
    head script now writes the final value (_templates/layout.html), so that every write,
    the theme script's included, holds the system's scheme, and a click still changes it, for
    the next page too."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme=scheme)
    context.add_init_script(RECORD_THEME_WRITES)
    page = context.new_page()
    try:
        page.goto(f"{server}/chapters/b1_divergences.html", wait_until="load")
        page.wait_for_function("() => window.themeWrites.length >= 2")
        writes = page.evaluate("() => window.themeWrites")
        assert writes and set(writes) == {scheme}, writes
        page.locator(".theme-switch-button:visible").first.click()
        other = {"light": "dark", "dark": "light"}[scheme]
        assert page.evaluate("() => document.documentElement.dataset.theme") == other
        # the reader's choice holds on the next page, written once there too
        page.goto(f"{server}/chapters/b2_normal_distributions.html", wait_until="load")
        page.wait_for_function("() => window.themeWrites.length >= 2")
        assert set(page.evaluate("() => window.themeWrites")) == {other}
    finally:
        context.close()


# Elements a page may hold. Each one costs a phone time to style and lay out (Lighthouse's total
# blocking time, issue 29): the chapters had up to 21,400 and a phone score of 73-90; a long
# chapter now goes on over pages of 3,000-7,000, which score about 95 or more. A page that
# grows past this is split again.
ELEMENTS_PER_PAGE = 7_500


class ElementCount(html.parser.HTMLParser):
    count = 0

    def handle_starttag(self, tag, attrs):
        self.count += 1


def pygments_rules(mode):
    """{class: declarations} of the site's pygments.css in one mode, "" for the block's text."""
    css = (SITE / "_static" / "pygments.css").read_text()
    rules = re.findall(rf'html\[data-theme="{mode}"\] \.highlight(?: \.([\w-]+))? \{{([^}}]*)\}}', css)
    return {name: " ".join(declarations.split()) for name, declarations in rules}


@pytest.mark.parametrize("doc", toc_pages())
def test_a_page_holds_few_elements(doc):
    """Below the budget above, and no code token wrapped in a span that changes nothing: a name
    or a bracket drawn in the code block's own colour is plain text (_ext/plain_code_tokens.py)."""
    page = (SITE / f"{doc}.html").read_text()
    counter = ElementCount()
    counter.feed(page)
    assert counter.count <= ELEMENTS_PER_PAGE
    blocks = "".join(re.findall(r'<div class="highlight"><pre>(.*?)</pre>', page, re.S))
    used = set(re.findall(r'<span class="([\w-]+)">', blocks))
    for mode in ("light", "dark"):
        rules = pygments_rules(mode)
        text = re.search(r"color: (#\w+)", rules[""]).group(1)
        unmarked = sorted(c for c in used if rules.get(c) in (None, f"color: {text}"))
        assert unmarked == [], f"spans drawn as the code's own text in {mode} mode: {unmarked}"


@pytest.mark.parametrize(
    "doc, numbers",
    [
        ("chapters/b1_divergences", [f"(B.{i})" for i in range(1, 8)]),
        ("chapters/b2_normal_distributions", [f"(B.{i})" for i in range(8, 12)]),
        ("chapters/cross_entropy_loss", []),
    ],
)
def test_equations_are_numbered_like_the_book(server, browser, doc, numbers):
    """Over the pages of the chapter together, in reading order (a chapter may go on over
    pages of its own)."""
    eqnos = []
    for part in toc_chapters()[doc]:
        page, _ = open_page(browser, f"{server}/{part}.html")
        try:
            found = page.locator("span.eqno").all_inner_texts()
            # Each number stands beside its typeset display.
            assert page.locator("div.math:has(> span.eqno) > .katex-display").count() == len(found), part
        finally:
            page.close()
        eqnos += found
    assert [n for n in eqnos if n.startswith("(B.")] == numbers
    # The chapter's own steps are numbered within it, on through its pages: (2.1), (2.2), ...
    chapter = chapter_number(doc)
    own = [n for n in eqnos if not n.startswith("(B.")]
    assert own == [f"({chapter}.{k})" for k in range(1, len(own) + 1)]


def test_references_read_like_the_book_across_pages(server, browser):
    page, _ = open_page(browser, f"{server}/chapters/b2_normal_distributions.html")
    try:
        refs = page.locator("a.reference.internal[href$='#equation-eq-b9']").all_text_contents()
        assert refs and set(refs) == {"(B.9)"}
        # A reference to (B.6), which lives in chapter B.1 (its second page), from chapter B.2.
        cross = page.locator("a.reference.internal[href*='b1_divergences_properties.html#equation-eq-b6']")
        assert cross.count() > 0 and set(cross.all_text_contents()) == {"(B.6)"}
    finally:
        page.close()
    page, _ = open_page(browser, f"{server}/intro.html")
    try:
        texts = page.locator("a.reference.internal[href*='#equation-eq-b']").all_text_contents()
        assert texts == [f"(B.{i})" for i in range(1, 12)]
    finally:
        page.close()
    # The glossary names its equations as links too, never as plain "(B.2)".
    page, _ = open_page(browser, f"{server}/glossary.html")
    try:
        texts = page.locator("a.reference.internal[href*='#equation-eq-b']").all_text_contents()
        assert {"(B.1)", "(B.2)", "(B.3)", "(B.6)", "(B.7)"} <= set(texts), texts
        unlinked = page.evaluate(ARTICLE_TEXT_WITHOUT, "a, .math")
        assert not re.search(r"\(B\.\d+\)", unlinked)
    finally:
        page.close()


@pytest.mark.parametrize("doc", CHAPTERS)
def test_solutions_are_hidden_until_clicked(server, browser, doc):
    page, _ = open_page(browser, f"{server}/{doc}.html")
    try:
        solution = page.locator(".solution.dropdown").first
        body = solution.locator(":scope > :not(.admonition-title)").first
        assert "toggle-hidden" in solution.get_attribute("class")
        assert not body.is_visible()
        solution.locator("button.toggle-button").click()
        body.wait_for(state="visible", timeout=5_000)
        assert "toggle-hidden" not in solution.get_attribute("class")
    finally:
        page.close()


@pytest.mark.parametrize("doc", CHAPTERS)
def test_theorems_and_exercises_are_numbered_within_their_chapter(server, browser, doc):
    chapter = chapter_number(doc)
    page, _ = open_page(browser, f"{server}/{doc}.html")
    try:
        for kind in ("exercise", "theorem"):
            captions = page.locator(f"div.{kind} > .admonition-title .caption-number")
            numbers = [t.split()[1] for t in captions.all_inner_texts()]
            first = 1 + earlier_in_chapter(doc, rf'<div class="(?:[\w-]+ )*{kind}(?: [\w-]+)* admonition"')
            assert numbers == [f"{chapter}.{k}" for k in range(first, first + len(numbers))], kind
            if kind == "exercise":
                assert numbers, f"{doc} has no exercises"
        # Each solution names the exercise it solves by the same number.
        solved = page.locator(".solution .admonition-title").all_inner_texts()
        assert solved and all(f"Solution to Exercise {chapter}." in t for t in solved)
        # The link is the exercise's name, without a blank at the start of its underline.
        links = page.locator(".solution .admonition-title a").evaluate_all("as => as.map(a => a.textContent)")
        assert links and all(t.startswith(f"Exercise {chapter}.") for t in links), links
    finally:
        page.close()


def test_the_index_lists_every_glossary_term_with_the_chapters_that_use_it(server, browser):
    page, _ = open_page(browser, f"{server}/glossary.html")
    try:
        terms = page.locator("dl.glossary > dt").all_inner_texts()
        terms = [t.strip().rstrip("#").strip() for t in terms]
        # Sphinx's anchors for the terms ("Gibbs' inequality" -> term-Gibbs-inequality).
        anchors = page.locator("dl.glossary > dt").evaluate_all("dts => dts.map(dt => dt.id)")
    finally:
        page.close()
    assert len(terms) >= 25
    page, _ = open_page(browser, f"{server}/genindex.html")
    try:
        for term, anchor in zip(terms, anchors):
            entry = page.locator("table.genindextable li", has=page.locator(
                f"a[href$='glossary.html#{anchor}']"))
            uses = entry.locator("ul a[href*='chapters/']")
            assert uses.count() >= 1, f"no chapter links the term {term!r}"
        # No domain index of raw labels (sphinx-proof's would list "thm-gibbs").
        assert "thm-gibbs" not in page.content()
    finally:
        page.close()
    assert not (SITE / "prf-prf.html").exists(), "a proof index of raw labels is built"


def test_every_work_in_the_bibliography_is_cited_and_every_citation_reaches_it():
    # Citations are plain links in the built HTML: no browser needed.
    keys = re.findall(r"^@\w+\{(\w+),", (ROOT / "references.bib").read_text(), re.M)
    listing = (SITE / "references.html").read_text()
    entries = re.findall(r'<div class="citation" id="([^"]+)"[^>]*>\s*<span class="label"><span class="fn-bracket">\[</span>([^<]+)<', listing)
    assert len(entries) == len(keys), "one entry for each work in references.bib"
    labels = dict(entries)  # anchor -> "Lin, 1991"
    cited = {}
    for doc in toc_pages():
        html = (SITE / f"{doc}.html").read_text()
        for anchor, text in re.findall(r'<a class="reference internal" href="[./]*references\.html#([^"]+)"[^>]*>(.*?)</a>', html):
            text = re.sub(r"<[^>]+>", "", text)
            assert anchor in labels, f"{doc}: citation {text!r} leads nowhere"
            # The text shows the year, and the entry's label has the same year.
            assert re.search(r"\d{4}", text).group() in labels[anchor], (doc, text, labels[anchor])
            cited.setdefault(anchor, []).append(doc)
    assert set(cited) == set(labels), "every work listed is cited somewhere"
    assert sum(len(docs) for docs in cited.values()) >= 6


def test_search_snippets_read_formulas_as_plain_text(server, browser):
    snippets = []
    for query in ("Jensen", "hartley", "density", "softmax", "cross entropy"):
        page, _ = open_page(browser, f"{server}/search.html?q={query}")
        try:
            page.wait_for_selector("#search-results p.context", timeout=20_000)
            page.wait_for_timeout(500)  # every result's snippet is in
            snippets += page.locator("#search-results p.context").all_inner_texts()
        finally:
            page.close()
    assert any(re.search(r"JSD\(p [∥‖] q\)", s) for s in snippets), snippets
    assert any("log_2 10 ≈ 3.32" in s for s in snippets), snippets
    for snippet in snippets:
        # Neither TeX source nor the same formula twice (KaTeX's HTML, then its MathML).
        assert "\\" not in snippet and "{" not in snippet, snippet
        assert not re.search(r"\b(frac|mathcal|mathbb|operatorname|begin|aligned|sqrt|lvert|quad|displaystyle)\b", snippet), snippet
        assert "JSD(p‖q)JSD" not in snippet.replace(" ", ""), snippet


# JavaScript: the search fields and search buttons a reader can see.
VISIBLE_SEARCH_FIELDS = """() => Array.from(document.querySelectorAll('input[type=search], .search-button__button'))
  .filter(e => e.offsetParent !== null && e.getBoundingClientRect().width > 0)
  .map(e => (e.closest('[id], [class]').id || e.closest('[class]').className) + ': ' + e.outerHTML.slice(0, 60))"""


@pytest.mark.parametrize("size", [(390, 844), (1280, 800)], ids=["phone", "laptop"])
@pytest.mark.parametrize("doc", ["intro.html", "chapters/b2_normal_distributions.html", "search.html?q=ELBO"])
def test_one_search_field_per_page(server, browser, doc, size):
    """The theme put a second search field in a top bar on a laptop, and the search page showed
    three; one is left: the sidebar's (a magnifier button on a phone), or the search page's own."""
    page, _ = open_page(browser, f"{server}/{doc}", viewport=size)
    try:
        fields = page.evaluate(VISIBLE_SEARCH_FIELDS)
        assert len(fields) == 1, fields
        if doc.startswith("search.html"):
            assert page.locator(".bd-search-container form.bd-search input[type=search]").is_visible()
    finally:
        page.close()


@pytest.mark.parametrize("size", [(390, 844), (1280, 800)], ids=["phone", "laptop"])
def test_the_magnifier_does_not_cover_the_query(server, browser, size):
    """In the search page's field and in the dialog that the search button opens."""
    page, _ = open_page(browser, f"{server}/search.html?q=B.9", viewport=size)
    chapter, _ = open_page(browser, f"{server}/chapters/accuracy.html", viewport=size)
    try:
        chapter.locator(".search-button__button").locator("visible=true").first.click()
        chapter.locator("#pst-search-dialog[open] input").wait_for(timeout=5_000)
        for where, form in ((page, ".bd-search-container form.bd-search"), (chapter, "#pst-search-dialog form.bd-search")):
            icon, text_starts = where.evaluate("""(form) => {
              const f = document.querySelector(form), i = f.querySelector('.fa-magnifying-glass');
              const input = f.querySelector('input'), r = input.getBoundingClientRect();
              return [i.getBoundingClientRect().toJSON(), r.left + parseFloat(getComputedStyle(input).paddingLeft)];
            }""", form)
            assert icon["width"] > 0 and icon["right"] <= text_starts, (form, icon, text_starts)
    finally:
        page.close()
        chapter.close()


def test_searching_an_equation_number_highlights_it_and_not_its_letter(server, browser):
    """Sphinx splits "B.9" into "b" and "9" and highlighted every "b" in the results and on the
    page a result opens; the typed "B.9" is highlighted instead, and the result that leads to
    the equation quotes it."""
    page, _ = open_page(browser, f"{server}/search.html?q=B.9")
    try:
        page.wait_for_selector("#search-results p.context", timeout=20_000)
        page.wait_for_timeout(500)  # every result's snippet is in
        marked = page.locator("#search-results .highlighted").all_text_contents()
        assert marked and {m.lower() for m in marked} == {"b.9"}, marked
        result = page.locator("#search-results li", has=page.locator("a[href$='#equation-eq-b9']")).first
        assert "(B.9)" in result.locator("p.context").inner_text()
        result.locator("a[href$='#equation-eq-b9']").click()
        page.wait_for_url("**/b2_normal_distributions.html*")
        page.wait_for_timeout(300)  # Sphinx highlights after a short delay
        marked = page.locator(".highlighted").all_text_contents()
        assert marked and {m.lower() for m in marked} == {"b.9"}, marked[:20]
    finally:
        page.close()


def test_copying_a_formula_copies_its_tex(server, browser):
    """Selecting (B.9) and pressing Ctrl+C copies its TeX source (KaTeX's copy-tex), not its glyphs."""
    page, _ = open_page(browser, f"{server}/chapters/b2_normal_distributions.html")
    try:
        page.evaluate("""() => {
          window.copied = null;
          document.addEventListener('copy', e => { window.copied = e.clipboardData.getData('text/plain'); });
          const range = document.createRange();
          range.selectNode(document.querySelector('#equation-eq-b9 .katex-display'));
          getSelection().removeAllRanges();
          getSelection().addRange(range);
        }""")
        page.keyboard.press("Control+c")
        copied = page.evaluate("() => window.copied")
        assert copied and copied.startswith("$$") and "\\Sigma" in copied and "<" not in copied, copied
    finally:
        page.close()


# A number in Python's e-format: 1e-08, 2.2e-16, 3E+5.
E_NOTATION = re.compile(r"(?<![\w.])\d+(?:\.\d+)?[eE][+-]?\d+(?![\w.])")


@pytest.mark.parametrize("doc", toc_pages())
def test_prose_writes_no_number_in_e_notation(doc):
    """A bound glued into a sentence reads as the book writes it, 10⁻⁸ or 2.2×10⁻¹⁶ typeset as
    math (mathlib.power_of_ten), never as Python's 1e-08 or 2.2e-16. Code, inline code, outputs
    and formulas keep their own format: only the article's prose is read."""
    from bs4 import BeautifulSoup

    article = BeautifulSoup((SITE / f"{doc}.html").read_text(), "html.parser").select_one("article")
    for element in article.select(".cell, .cell_output, pre, code, .katex, .math, script, style"):
        element.decompose()
    found = [" ".join(text.split()) for text in article.find_all(string=E_NOTATION)]
    assert found == [], f"numbers in e-notation in the prose of {doc}: {found}"
