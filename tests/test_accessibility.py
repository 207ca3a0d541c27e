"""Every built page under axe-core (WCAG 2.1 A and AA, and axe's best practices), in light and
dark mode, with every solution open: no violation.

axe-core is pinned in package-lock.json (installed by `npm ci` with KaTeX) and injected into
each page in headless Chromium, as the other site tests load them. One browser, the pages in
sequence. The axe run takes minutes, so it is marked `long` (`make test-long`); the other
checks here run in `make test`.
"""

import functools
import html.parser
import json
import posixpath
import re
from urllib.parse import unquote

import pytest

from bs4 import BeautifulSoup

from test_site import OPEN_SOLUTIONS, ROOT, SITE, browser, chapter_number, earlier_in_chapter, open_page, server, toc_chapters  # noqa: F401 (fixtures)

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


def built_pages():
    """Every HTML page of the site (not the explorables' own files or the theme's assets)."""
    if not SITE.is_dir():
        return []
    return sorted(str(p.relative_to(SITE)) for p in SITE.rglob("*.html")
                  if not p.relative_to(SITE).parts[0].startswith("_"))


# JavaScript: axe's violations, each with its rule, impact and the first few elements it names.
RUN_AXE = """async (only) => {
  const result = await axe.run(document, {runOnly: only, resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.length,
    where: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' | ' + (n.failureSummary || '').split('\\n').slice(1, 2).join(''))}));
}"""


def test_every_built_page_is_checked():
    pages = built_pages()
    assert "intro.html" in pages and "search.html" in pages and "genindex.html" in pages
    assert any(p.startswith("chapters/") for p in pages)


@pytest.mark.long
@pytest.mark.parametrize("doc", [d for d in built_pages() if d != "index.html"])  # a redirect
def test_no_accessibility_violations_in_light_or_dark_mode(server, browser, doc):
    if not AXE.is_file():
        pytest.fail("axe-core is not installed: run `npm ci` (make book does it)")
    page, _ = open_page(browser, f"{server}/{doc}")
    try:
        page.wait_for_load_state("networkidle")
        page.add_script_tag(path=str(AXE))
        page.evaluate(OPEN_SOLUTIONS)
        found = {}
        # Every rule in light mode; in dark mode, the rule that depends on the colours (axe takes
        # seconds over a chapter's thousands of elements: the others would find the same).
        for mode, only in (("light", {"type": "tag", "values": TAGS}),
                           ("dark", {"type": "rule", "values": ["color-contrast", "link-in-text-block"]})):
            page.evaluate("(mode) => document.documentElement.dataset.theme = mode", mode)
            page.wait_for_timeout(400)  # the theme's colours change with a transition
            violations = page.evaluate(RUN_AXE, only)
            if violations:
                found[mode] = violations
        assert found == {}, json.dumps(found, indent=1, ensure_ascii=False)
    finally:
        page.close()


@pytest.mark.parametrize("doc", built_pages())
def test_no_console_errors(server, browser, doc):
    """The theme logs "Got invalid theme mode" when its default mode is left empty."""
    context = browser.new_context()
    page = context.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{server}/{doc}", wait_until="load")
        page.wait_for_timeout(100)
        assert errors == []
    finally:
        context.close()


def test_index_html_is_a_page_with_a_language_and_a_title():
    index = (SITE / "index.html").read_text()
    assert index.startswith("<!DOCTYPE html>")
    assert re.search(r'<html lang="\w+', index) and re.search(r"<title>[^<]+</title>", index)
    # the site's icon, so that the browser does not ask for a /favicon.ico the site lacks
    icon = re.search(r'<link rel="icon" href="([^"]+)"', index)
    assert icon and (SITE / icon.group(1)).is_file()
    assert 'http-equiv="Refresh"' in index and 'href="intro.html"' in index


@pytest.mark.parametrize("doc", built_pages())
def test_every_page_has_a_meta_description(doc):
    html = (SITE / doc).read_text()
    descriptions = re.findall(r'<meta name="description" content="([^"]*)"', html)
    assert len(descriptions) == 1 and 40 <= len(descriptions[0]) <= 160, descriptions


@pytest.mark.parametrize("doc", built_pages())
def test_every_toggle_in_the_books_contents_is_named_after_its_chapter(doc):
    """The theme's toggle for a chapter's pages holds a chevron only: without a name, a screen
    reader says "summary", and axe fails every page (summary-name). Its box is the chevron's
    square, so that the keyboard's focus has a place on the screen (tests/test_keyboard.py)."""
    soup = BeautifulSoup((SITE / doc).read_text(), "html.parser")
    nav = soup.select_one("nav.bd-docs-nav")
    if nav is None:
        pytest.skip("a page without the book's contents")
    toggles = nav.select("li.has-children > details > summary")
    with_pages = [top for top, pages in toc_chapters().items() if len(pages) > 1]
    assert len(toggles) == len(with_pages)
    for summary in toggles:
        title = " ".join(summary.find_parent("li").find("a", recursive=False).get_text().split())
        assert summary.get("aria-label") == f"Pages of {title}", summary


def drawn_figures(doc):
    """How many images the cells of a chapter's notebook draw (its committed outputs)."""
    cells = json.loads((ROOT / doc.replace(".html", ".ipynb")).read_text())["cells"]
    return sum(1 for cell in cells for output in cell.get("outputs", [])
               if {"image/png", "image/svg+xml"} & set(output.get("data", {})))


def test_every_formulas_mathml_is_in_the_accessibility_tree_on_screen_or_not(server, browser):
    """Screen readers read a formula's MathML: each formula of a long chapter, far below a
    phone's screen or not, is one `math` node of the accessibility tree, with its symbols.
    (Laying the MathML out only near the screen, with `content-visibility: auto`, would spare
    a phone a fifth of a chapter's elements, and took every formula out of the tree.)"""
    # the page with the most formulas
    docs = [doc for pages in toc_chapters().values() for doc in pages]
    longest = max(docs, key=lambda doc: (SITE / f"{doc}.html").read_text().count('class="katex-mathml"'))
    page, _ = open_page(browser, f"{server}/{longest}.html", viewport=(390, 844))
    try:
        page.evaluate(OPEN_SOLUTIONS)
        formulas = page.evaluate("() => document.querySelectorAll('.katex-mathml math').length")
        session = page.context.new_cdp_session(page)
        nodes = session.send("Accessibility.getFullAXTree")["nodes"]
        maths = [n for n in nodes if n.get("role", {}).get("value") == "MathMLMath" and not n.get("ignored")]
        assert formulas > 100 and len(maths) == formulas
        # and each is read with its symbols
        texts = {n["nodeId"]: n.get("name", {}).get("value", "") for n in nodes
                 if n.get("role", {}).get("value") == "StaticText"}
        children = {n["nodeId"]: n.get("childIds", []) for n in nodes}

        def spoken(node_id):
            return texts.get(node_id, "") + "".join(spoken(c) for c in children.get(node_id, []))
        assert all(spoken(m["nodeId"]).strip() for m in maths)
    finally:
        page.close()


@pytest.mark.parametrize("doc", [d for d in built_pages() if d.startswith("chapters/")])
def test_every_figure_is_numbered_captioned_described_and_cited(doc):
    """Each figure a cell draws is an SVG in a figure numbered within its chapter ("Fig. 2.1", in
    page order), with a caption, and with alternative text that describes it for a reader who
    cannot see it: not its file name, not its caption again. The prose refers to each one."""
    article = BeautifulSoup((SITE / doc).read_text(), "html.parser").select_one("article")
    images = article.find_all("img")
    assert len(images) == drawn_figures(doc)
    pages = next(pages for pages in toc_chapters().values() if doc.removesuffix(".html") in pages)
    assert sum(drawn_figures(f"{page}.html") for page in pages) > 0, "a chapter without a figure?"
    figures = article.find_all("figure")
    assert all(img.find_parent("figure") in figures for img in images) and len(figures) == len(images)
    chapter = chapter_number(doc.removesuffix(".html"))
    numbers = [f.select_one("figcaption .caption-number").get_text(strip=True) for f in figures]
    first = 1 + earlier_in_chapter(doc.removesuffix(".html"), r'<figcaption>\s*<p><span class="caption-number">')
    assert numbers == [f"Fig. {chapter}.{k}" for k in range(first, first + len(figures))]
    cited = {a.get("href") for a in article.select("a.reference.internal")}
    for figure in figures:
        img = figure.find("img")
        caption = figure.select_one("figcaption .caption-text").get_text(" ", strip=True)
        alt = img.get("alt", "").strip()
        assert img["src"].endswith(".svg"), img["src"]
        assert len(caption.split()) >= 12, (figure["id"], caption)
        assert len(alt.split()) >= 12, (figure["id"], alt)  # a description, not a label
        # No file name or path, and no raw TeX (a screen reader would spell out "\\frac").
        assert not re.search(r"\.(png|svg|jpe?g|gif)\b|_images|\w/\w+\.\w|\\", alt), alt
        assert alt[:60] != caption[:60], f"{figure['id']}: the alt text repeats the caption"
        assert f"#{figure['id']}" in cited, f"{figure['id']} is not referred to from the text"


# JavaScript: the contrast ratio (WCAG 2.1) of the first visible element matching a selector,
# or of its ::placeholder, against the first background behind it that is not transparent.
CONTRAST = """([selector, pseudo]) => {
  const e = Array.from(document.querySelectorAll(selector)).find(e => e.offsetParent !== null);
  if (!e) return null;
  const rgb = c => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const luminance = c => rgb(c).map(x => x / 255).map(x => x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4)
                              .reduce((sum, x, k) => sum + [0.2126, 0.7152, 0.0722][k] * x, 0);
  let behind = e;
  while (behind && getComputedStyle(behind).backgroundColor.match(/rgba\\(.*, 0\\)$|transparent/)) behind = behind.parentElement;
  const [fg, bg] = [getComputedStyle(e, pseudo).color, behind ? getComputedStyle(behind).backgroundColor : 'rgb(255, 255, 255)'];
  const [hi, lo] = [luminance(fg), luminance(bg)].sort((a, b) => b - a);
  return {fg, bg, ratio: (hi + 0.05) / (lo + 0.05)};
}"""


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_the_themes_colours_of_code_numbers_and_search_text_have_enough_contrast(server, browser, mode):
    """Colours that axe does not check everywhere, measured here: numbers and built-in names in
    code cells (reading.css once darkened them: the theme's own brown has 6.8:1, the override
    had less), the search button's text (an override measured 3.33:1 for it: the theme's grey
    has 6.8:1 on the button's grey), the search field's placeholder, which axe skips but
    WCAG 1.4.3 counts as text, and the search field's "Ctrl+K" hint, which axe passed (its "+"
    is drawn over the field, not on its own background). At least 4.5:1 each."""
    where = {"number in code": ("chapters/b1_divergences.html", ".highlight .mi, .highlight .mf", None),
             "built-in name in code": ("chapters/b1_divergences.html", ".highlight .nb", None),
             "search button's text": ("chapters/b1_divergences.html", ".search-button__default-text", None),
             "search field's placeholder": ("search.html", ".bd-search-container input[type=search]", "::placeholder"),
             # the "+" between Ctrl and K, in the theme's border colour: 1.47:1 (light), 2.51:1 (dark)
             "search field's shortcut hint": ("search.html", ".bd-search-container .search-button__kbd-shortcut", None),
             "search field's shortcut keys": ("search.html", ".bd-search-container .search-button__kbd-shortcut kbd", None)}
    found = {}
    for doc in dict.fromkeys(doc for doc, _, _ in where.values()):  # each page once
        page, _ = open_page(browser, f"{server}/{doc}", color_scheme=mode)
        try:
            page.evaluate("(mode) => document.documentElement.dataset.theme = mode", mode)
            page.wait_for_timeout(400)  # the theme's colours change with a transition
            for name, (on, selector, pseudo) in where.items():
                if on == doc:
                    found[name] = page.evaluate(CONTRAST, [selector, pseudo])
        finally:
            page.close()
    assert all(found.values()), found
    assert all(f["ratio"] >= 4.5 for f in found.values()), found


@pytest.mark.parametrize("query, target", [
    ("B.9", "chapters/b2_normal_distributions.html#equation-eq-b9"),
    ("B.6", "chapters/b1_divergences_properties.html#equation-eq-b6"),  # "B.1" is also a chapter title
    ("Pinsker", "glossary.html#term-Pinsker-s-inequality"),
    ("ELBO", "glossary.html#term-Evidence-lower-bound-ELBO"),
])
def test_search_leads_to_the_equation_or_definition(server, browser, query, target):
    """The first result is the equation or the glossary's definition, and the query as typed is
    all that is highlighted, in the results and on the page the first result opens (Sphinx
    marked every "b" for "B.9"). After a build that left the glossary as it was, Sphinx lost
    its index entries (_ext/search_index_entries.py)."""
    page, _ = open_page(browser, f"{server}/search.html?q={query}")
    try:
        page.wait_for_selector("#search-results li a", timeout=20_000)
        page.wait_for_timeout(500)  # every result and its snippet is in
        first = page.locator("#search-results li > a").first
        assert first.get_attribute("href").endswith(target), first.get_attribute("href")
        marked = page.locator("#search-results .highlighted").all_text_contents()
        assert marked and {m.lower() for m in marked} == {query.lower()}, marked[:20]
        first.click()
        page.wait_for_url(f"**/{target.split('#')[0]}*")
        page.wait_for_timeout(300)  # Sphinx highlights after a short delay
        marked = page.locator(".highlighted").all_text_contents()
        assert marked and {m.lower() for m in marked} == {query.lower()}, marked[:20]
        assert page.evaluate("() => document.querySelector(':target')?.id") == target.split("#")[1]
    finally:
        page.close()


@pytest.mark.parametrize("doc", [d for d in built_pages() if d != "index.html"])  # a redirect
def test_nothing_scrolls_sideways_on_a_phone(server, browser, doc):
    """At 320 and at 390 px (one load, then the screen widened): long inline code (a module path
    such as mathlib.reference.kl_mvn_plain_cholesky) wraps; the previous and next pages' links
    show their arrows and titles whole (the theme's link hides what overflows it: a long title
    had pushed its arrow out of sight)."""
    page, _ = open_page(browser, f"{server}/{doc}", viewport=(320, 640))
    try:
        page.evaluate(OPEN_SOLUTIONS)
        for width in (320, 390):
            page.set_viewport_size({"width": width, "height": 640})
            page.wait_for_timeout(100)
            assert page.evaluate("() => document.documentElement.scrollWidth") <= width, width
            clipped = page.evaluate("""() => Array.from(document.querySelectorAll('.prev-next-area a')).flatMap(a => {
              const box = a.getBoundingClientRect();
              return Array.from(a.querySelectorAll('i, .prev-next-title')).filter(e => {
                const r = e.getBoundingClientRect();
                return r.left < Math.max(0, box.left) - 0.5 || r.right > Math.min(box.right, innerWidth) + 0.5;
              }).map(e => `${a.className}: ${e.tagName} ${e.textContent.trim()}`);
            })""")
            assert not clipped, (width, clipped)
    finally:
        page.close()


class Ids(html.parser.HTMLParser):
    """A page's ids, in order, and what refers to them: its links' fragments (`#id` on this
    page, `page.html#id` on another) and its ARIA references (aria-controls, aria-labelledby,
    aria-describedby, label's `for`)."""

    def __init__(self):
        super().__init__()
        self.ids, self.links, self.references = [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.append(attrs["id"])
        href = attrs.get("href") or ""
        if tag == "a" and "#" in href and not re.match(r"[a-z]+:", href):
            self.links.append(href)
        for name in ("aria-controls", "aria-labelledby", "aria-describedby", "aria-owns", "for"):
            self.references += (attrs.get(name) or "").split()


@functools.cache
def page_ids(doc):
    parser = Ids()
    parser.feed((SITE / doc).read_text())
    return parser


@pytest.mark.parametrize("doc", built_pages())
def test_no_id_repeats_and_every_reference_to_one_reaches_it(doc):
    """sphinx-exercise gave every exercise's body the id "exercise-content" and every solution's
    "solution-content", three to five times on each chapter page (_ext/accessibility.py makes
    them classes). Each page's links to an anchor, here or on another page, and its ARIA
    references name an id that the page holds once."""
    parser = page_ids(doc)
    repeated = sorted({i for i in parser.ids if parser.ids.count(i) > 1})
    assert repeated == [], f"ids that repeat: {repeated}"
    ids = set(parser.ids)
    assert [r for r in parser.references if r not in ids] == []
    broken = []
    for href in parser.links:
        path, fragment = href.split("#", 1)
        if not fragment:
            continue
        target = posixpath.normpath(posixpath.join(posixpath.dirname(doc), path.split("?")[0])) if path else doc
        if not (SITE / target).is_file():
            broken.append(f"{href} (no page {target})")
        elif unquote(fragment) not in page_ids(target).ids:
            broken.append(href)
    assert broken == []
