"""The website as a reader sees it, on a phone (390 x 844) and on a laptop (1280 x 800).

These tests check what a reader can see, not only what is in the page: the
table of contents opens from the visible menu button, no output, code cell,
display or inline equation is wider than its box (with every solution opened),
and the sidebar toggles do what they say. With ``SCREENSHOTS=1`` (``make screenshots``),
screenshots at both sizes, light and dark, go to `_build/screenshots/`.
"""

import re

import pytest

from test_figures import text_sizes_pt
from test_site import CHAPTERS, OPEN_SOLUTIONS, SITE, browser, open_page, save_screenshot, server, toc_chapters, toc_pages  # noqa: F401 (fixtures)

PHONE, LAPTOP = (390, 844), (1280, 800)

# JavaScript: elements wider than the box that shows them (by more than a pixel).
TOO_WIDE = """(selector) => Array.from(document.querySelectorAll(selector))
  .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
  .map(e => `${e.scrollWidth} > ${e.clientWidth}: ${e.textContent.trim().slice(0, 80)}`)"""

# JavaScript: display equations (also SymPy's LaTeX outputs) whose typeset math reaches past
# the box that shows it, or makes that box scroll, at either size. (KaTeX lays an aligned
# display out with a 2 px negative margin, so the extent of what is drawn is measured, not the
# scroll width of KaTeX's own box.)
EQUATIONS_TOO_WIDE = """() => Array.from(document.querySelectorAll('.katex-display'))
  .filter(d => d.offsetParent !== null)
  .map(d => { const range = document.createRange();
              range.selectNodeContents(d.querySelector('.katex-html'));
              return [d, d.closest('div.math, div.output'), range.getBoundingClientRect()]; })
  .filter(([d, box, drawn]) => box.scrollWidth > box.clientWidth + 1
                               || drawn.right > box.getBoundingClientRect().right + 1
                               || drawn.left < box.getBoundingClientRect().left - 1)
  .map(([d, box, drawn]) => `${Math.round(drawn.width)} > ${box.clientWidth}: `
       + d.querySelector('annotation').textContent.slice(0, 60))"""

# JavaScript: inline formulas that run past the right edge of their paragraph (a formula
# breaks only after a relation or an operator, so a long one must be split or displayed).
INLINE_TOO_WIDE = """() => Array.from(document.querySelectorAll('span.math > .katex'))
  .filter(k => k.offsetParent !== null && k.closest('p, li, td, dd'))
  .filter(k => k.getBoundingClientRect().right > k.closest('p, li, td, dd').getBoundingClientRect().right + 1)
  .map(k => k.querySelector('annotation').textContent.slice(0, 60))"""

# JavaScript: punctuation that a line break has parted from the inline formula it touches
# ("x" at the end of one line, "." at the start of the next).
PUNCTUATION_ALONE = """() => Array.from(document.querySelectorAll('span.math')).filter(s => s.offsetParent !== null)
  .map(s => [s, s.nextSibling]).filter(([s, t]) => t && t.nodeType === 3 && /^[.,;:)!?”’]/.test(t.textContent))
  .filter(([s, t]) => { const r = document.createRange(); r.setStart(t, 0); r.setEnd(t, 1);
                        const lines = s.getClientRects();
                        return r.getBoundingClientRect().top > lines[lines.length - 1].bottom - 2; })
  .map(([s, t]) => s.querySelector('annotation').textContent.slice(0, 40) + ' | ' + t.textContent.slice(0, 3))"""

# JavaScript: display equations that open with their beginning out of sight (scrolled to
# their right end), as the theme's right-to-left layout of div.math would show them.
EQUATIONS_OPEN_CUT = """() => Array.from(document.querySelectorAll('.katex-display')).filter(d => d.offsetParent !== null)
  .filter(d => { const r = document.createRange(); r.selectNodeContents(d.querySelector('.katex-html'));
                 return r.getBoundingClientRect().left < d.closest('div.math').getBoundingClientRect().left - 1; })
  .map(d => d.querySelector('annotation').textContent.slice(0, 60))"""

# JavaScript: figures shown at less than 95 % of their drawn width.
FIGURES_SHRUNK = """() => Array.from(document.querySelectorAll('.cell_output img'))
  .filter(i => i.clientWidth < 0.95 * i.naturalWidth)
  .map(i => `${i.clientWidth} < ${i.naturalWidth}: ${i.src.split('/').pop()}`)"""


# JavaScript: figures that do not link to their own image file (a phone shows them shrunk).
FIGURES_WITHOUT_LINK = """() => Array.from(document.querySelectorAll('.cell_output img'))
  .filter(i => { const a = i.closest('a'); return !a || a.href !== i.src; })
  .map(i => i.src.split('/').pop())"""


# JavaScript: each display that flows (_ext/build_time_math.py), by its number (or the start of
# its TeX), with the lines it takes and whether it would fit its box on one line.
FLOWING_DISPLAYS = """() => Array.from(document.querySelectorAll('.katex-flow')).filter(f => f.offsetParent !== null)
  .map(f => {
    const bases = Array.from(f.querySelectorAll('.katex-html > .katex-base')).map(b => b.getBoundingClientRect());
    const line = [0];
    bases.slice(1).forEach((b, k) => line.push(line[k] + (b.left < bases[k].right - 1 ? 1 : 0)));
    const lines = line[line.length - 1] + 1;
    // The space between one line's ink and the next's, in ems of the formula's type.
    const em = parseFloat(getComputedStyle(f.querySelector('.katex')).fontSize);
    const gaps = [];
    for (let l = 1; l < lines; l++) {
      const above = bases.filter((b, k) => line[k] === l - 1), below = bases.filter((b, k) => line[k] === l);
      gaps.push((Math.min(...below.map(b => b.top)) - Math.max(...above.map(b => b.bottom))) / em);
    }
    const katex = f.querySelector('.katex');
    katex.style.whiteSpace = 'nowrap';
    const range = document.createRange();
    range.selectNodeContents(f.querySelector('.katex-html'));
    const fits = range.getBoundingClientRect().width <= f.clientWidth;
    katex.style.whiteSpace = '';
    const number = f.closest('div.math').querySelector('.eqno')?.firstChild?.textContent;
    return {name: number || f.querySelector('annotation').textContent.slice(14, 60), lines, fits,
            gap: gaps.length ? Math.min(...gaps) : null};
  })"""


def sized_page(browser, url, size, dark=False):
    page, log = open_page(browser, url, viewport=size)
    if dark:
        page.evaluate("() => document.documentElement.dataset.theme = 'dark'")
    return page, log


def visible_in_viewport(page, locator):
    box = locator.bounding_box()
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    return (locator.is_visible() and box is not None and box["width"] > 0 and box["x"] >= 0
            and box["y"] >= 0 and box["x"] + box["width"] <= width + 1 and box["y"] < height)


@pytest.mark.long  # a load or two of every page: make test-long
@pytest.mark.parametrize("doc", CHAPTERS)
def test_figure_text_is_legible_on_a_phone_and_a_laptop(server, browser, doc):
    """Every figure's text, sub- and superscripts too, is at least 10 CSS px as shown: on a phone
    its phone drawing (mathlib.figures), on a laptop its laptop drawing.

    A glyph of s points (tests/test_figures.py's ``text_sizes_pt``, read from the SVG) in a
    drawing ``width`` points wide, shown ``w`` px wide, is s w / width px. (Before the phone
    drawings, a phone showed the laptop's drawing shrunk, its subscripts about 7 px, and two
    panels side by side.)
    """
    for size in (PHONE, LAPTOP):
        page, _ = sized_page(browser, f"{server}/{doc}.html", size)
        try:
            shown = page.locator(".cell_output img").evaluate_all(
                "imgs => imgs.map(i => [i.getAttribute('src'), i.currentSrc,"
                " i.getBoundingClientRect().width])")
        finally:
            page.close()
        assert shown or "<figure" not in (SITE / f"{doc}.html").read_text()
        for src, current, width_px in shown:
            laptop = (SITE / doc).parent.joinpath(src).resolve()
            assert (current.rsplit("/", 1)[-1] == laptop.name) == (size == LAPTOP), (
                f"{src}: at {size[0]} px the {'laptop' if size == LAPTOP else 'phone'} drawing is not the one shown")
            svg = (SITE / "_images" / current.rsplit("/", 1)[-1]).read_text()
            width_pt = float(re.search(r'<svg [^>]*width="([0-9.]+)pt"', svg).group(1))
            smallest_px = min(text_sizes_pt(svg)) * width_px / width_pt
            assert smallest_px >= 10, (size, current, round(smallest_px, 1))


def chapter_links(page, doc=None):
    """The sidebar's links to every chapter, and to the pages of doc's own chapter (the theme
    shows a chapter's further pages under it while one of them is open)."""
    shown = [top for top in toc_chapters() if top.startswith("chapters/")]
    shown += [further for pages in toc_chapters().values() if doc in pages for further in pages[1:]]
    return {other: page.locator(f"nav.bd-links a[href$='{other.split('/')[-1]}.html']").last for other in shown}


@pytest.mark.long  # a load or two of every page: make test-long
@pytest.mark.parametrize("doc", toc_pages())
def test_a_phone_opens_the_table_of_contents_and_reaches_every_chapter(server, browser, doc):
    page, log = sized_page(browser, f"{server}/{doc}.html", PHONE)
    try:
        assert page.locator(".primary-toggle").count() == 1, "one menu button, the one a reader sees"
        toggle = page.locator(".primary-toggle")
        assert visible_in_viewport(page, toggle)
        toggle.click()
        page.locator("#pst-primary-sidebar-modal[open]").wait_for(timeout=5_000)
        for other, link in chapter_links(page, doc).items():
            if other != doc:
                assert visible_in_viewport(page, link), f"no visible link to {other}"
        if doc == "chapters/b2_normal_distributions":
            save_screenshot(page, "phone_table_of_contents_open.png", full_page=False)
    finally:
        page.close()


@pytest.mark.parametrize("doc", CHAPTERS)
def test_a_phone_opens_on_this_page(server, browser, doc):
    page, _ = sized_page(browser, f"{server}/{doc}.html", PHONE)
    try:
        assert page.locator(".secondary-toggle").count() == 1
        page.locator(".secondary-toggle").click()
        page.locator("#pst-secondary-sidebar-modal[open]").wait_for(timeout=5_000)
        assert visible_in_viewport(page, page.locator("#pst-secondary-sidebar-modal nav a").first)
    finally:
        page.close()


@pytest.mark.parametrize("doc", [pages[-1] for top, pages in toc_chapters().items() if top.startswith("chapters/")])
def test_a_phone_s_contents_drawer_opens_on_the_current_page_s_entry(server, browser, doc):
    """On a short phone screen the later pages of a long chapter had their entry below the
    drawer's fold: the reader could not see where they were without scrolling. (Each chapter's
    last page: its entry lies lowest in the drawer.)"""
    page, _ = sized_page(browser, f"{server}/{doc}.html", (390, 600))
    try:
        page.locator(".primary-toggle").click()
        page.locator("#pst-primary-sidebar-modal[open]").wait_for(timeout=5_000)
        page.wait_for_timeout(200)
        assert visible_in_viewport(page, page.locator("#pst-primary-sidebar-modal a.current").first)
    finally:
        page.close()


def test_on_a_laptop_the_menu_button_hides_and_shows_the_sidebar(server, browser):
    page, _ = sized_page(browser, f"{server}/intro.html", LAPTOP)
    try:
        links = chapter_links(page)
        assert all(visible_in_viewport(page, link) for link in links.values())
        page.locator(".primary-toggle").click()
        page.wait_for_timeout(500)
        assert not any(link.is_visible() for link in links.values())
        assert page.locator("#pst-primary-sidebar-modal[open]").count() == 0
        page.locator(".primary-toggle").click()
        page.wait_for_timeout(500)
        assert all(visible_in_viewport(page, link) for link in links.values())
    finally:
        page.close()


@pytest.mark.parametrize("size", [PHONE, LAPTOP], ids=["phone", "laptop"])
@pytest.mark.parametrize("doc", toc_pages())
def test_nothing_is_cut_off(server, browser, doc, size):
    page, _ = sized_page(browser, f"{server}/{doc}.html", size)
    try:
        for dark in (False, True):
            if dark:
                page.evaluate("() => document.documentElement.dataset.theme = 'dark'")
            name = f"{doc.replace('/', '_')}_{'phone' if size == PHONE else 'laptop'}{'_dark' * dark}.png"
            save_screenshot(page, name)
        page.evaluate(OPEN_SOLUTIONS)
        page.wait_for_timeout(100)
        assert page.evaluate(TOO_WIDE, ".cell_output pre, .output pre, .cell_output .text_html") == []
        if size == LAPTOP:
            # Code cells and the shell commands in the prose alike.
            assert page.evaluate(TOO_WIDE, "div.highlight pre") == []
            # Figures are drawn no wider than this column, and shown at their size: their
            # text is 11 pt, about 15 px.
            assert page.evaluate(FIGURES_SHRUNK) == []
        else:
            # On a phone figures are shrunk to the column; each opens alone on a tap.
            assert page.evaluate(FIGURES_WITHOUT_LINK) == []
            for src in page.locator("a.figure-full-size").evaluate_all("as => as.map(a => a.href)"):
                assert page.request.get(src).ok, src
        assert page.evaluate(EQUATIONS_TOO_WIDE) == []
        assert page.evaluate(INLINE_TOO_WIDE) == []
        assert page.evaluate(PUNCTUATION_ALONE) == []
        assert page.evaluate("() => document.documentElement.scrollWidth") <= size[0] + 1, "the page scrolls sideways"
    finally:
        page.close()


@pytest.mark.long  # a load or two of every page: make test-long
@pytest.mark.parametrize("doc", CHAPTERS)
def test_display_equations_take_a_laptops_width_and_a_phones_line_breaks(server, browser, doc):
    """A display that its author broke into lines only to fit a phone flows: on a laptop it is one
    line wherever its column holds one, and on a phone it breaks at its author's breaks. (The
    issue's example, (B.9), took four lines in a 700 px column.) Its lines keep a quarter of an
    em apart. That every display fits its column at both sizes is test_nothing_is_cut_off's."""
    shown = {}
    for size in (LAPTOP, PHONE):
        page, _ = sized_page(browser, f"{server}/{doc}.html", size)
        try:
            page.evaluate("() => document.fonts.ready.then(() => true)")
            shown[size] = {d["name"]: d for d in page.evaluate(FLOWING_DISPLAYS)}
        finally:
            page.close()
    # (A page that continues a chapter may have no display that flows; its chapter has one.)
    pages = next(pages for pages in toc_chapters().values() if doc in pages)
    flows = [page for page in pages if "katex-flow" in (SITE / f"{page}.html").read_text()]
    assert shown[LAPTOP] or (flows and doc not in flows), "no display flows"
    for name, display in shown[LAPTOP].items():
        assert display["lines"] == 1 or not display["fits"], display
        assert display["lines"] <= shown[PHONE][name]["lines"], (display, shown[PHONE][name])
    # A line's fractions do not touch the next line's (a student saw (2.1)'s ½ sit on the next ½).
    for size in (LAPTOP, PHONE):
        for display in shown[size].values():
            assert display["gap"] is None or display["gap"] >= 0.25, (size, display)
    chapter = next(top for top, pages in toc_chapters().items() if doc in pages)
    book = {"chapters/b1_divergences": ["(B.4)", "(B.5)", "(B.7)"],
            "chapters/b2_normal_distributions": ["(B.8)", "(B.9)", "(B.10)", "(B.11)"]}.get(chapter, [])
    html = (SITE / f"{doc}.html").read_text()
    book = [number for number in book if f'<span class="eqno">{number}' in html]  # on this page
    for number in book:
        assert shown[LAPTOP][number]["lines"] <= (2 if number in ("(B.9)", "(B.10)") else 1), shown[LAPTOP][number]
    if "(B.9)" in book:
        assert 2 <= shown[PHONE]["(B.9)"]["lines"] <= 3, shown[PHONE]["(B.9)"]


@pytest.mark.parametrize("doc", CHAPTERS)
def test_on_a_small_phone_wide_formulas_scroll_from_their_beginning(server, browser, doc):
    """At 320 px some displays are wider than the column: each scrolls in its own box and opens
    at its left end; inline formulas break inside rather than run past the edge."""
    page, _ = open_page(browser, f"{server}/{doc}.html", viewport=(320, 700))
    try:
        page.evaluate(OPEN_SOLUTIONS)
        page.wait_for_timeout(100)
        assert page.evaluate(EQUATIONS_OPEN_CUT) == []
        assert page.evaluate(INLINE_TOO_WIDE) == []
        for box in page.locator(".katex-display").all():
            if box.is_visible():
                assert box.evaluate("b => b.scrollLeft") == 0
    finally:
        page.close()
