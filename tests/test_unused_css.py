"""The theme's stylesheets, cut to the rules the pages can use (_ext/unused_css.py): smaller,
and every page drawn exactly as with the full stylesheets: each page whole, on a laptop in dark
mode with its solutions open, and scenes on a phone and a laptop, in light and dark mode: the
introduction, the contents drawer, a tooltip, search results and keyboard focus.

On a phone, whole chapter pages were not drawn twice alike even with the same stylesheets: the
edges of some code blocks lay a fraction of a pixel apart from one load to the next (cause not
found). The phone's scenes are the introduction and a chapter's contents drawer."""

import importlib.util
import io
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from test_accessibility import built_pages
from test_site import OPEN_SOLUTIONS, ROOT, SCREENSHOTS, SITE, browser, open_page, server  # noqa: F401 (fixtures)

sys.path.insert(0, str(ROOT / "_ext"))
from unused_css import PURGED, purge  # noqa: E402

WORDS = {"used", "also-used", "btn"}


@pytest.mark.parametrize("css, expected", [
    (".used{color:red}", ".used{color:red}"),
    (".unused{color:red}", ""),
    # one selector of a list goes, the other stays with the declarations
    (".unused, .used > p{margin:0}", ".used > p{margin:0}"),
    ("#unused a, a.used{margin:0}", "a.used{margin:0}"),
    # every name a selector requires must be in use
    (".used.unused{margin:0}", ""),
    (".used .unused{margin:0}", ""),
    # elements, attributes and states need no class
    ("a:hover, [data-theme=dark] p{color:red}", "a:hover,[data-theme=dark] p{color:red}"),
    # a class that a selector excludes or lists as one choice is not required
    (".used:not(.unused){color:red}", ".used:not(.unused){color:red}"),
    (":is(.unused, .other) p{color:red}", ":is(.unused, .other) p{color:red}"),
    # Bootstrap joins these class names in its script: they stay
    (".bs-tooltip-auto .tooltip-arrow{top:0}", ""),
    (".bs-tooltip-auto .btn{top:0}", ".bs-tooltip-auto .btn{top:0}"),
    # groups are cut inside, and go when nothing is left
    ("@media (min-width: 960px){.used{margin:0}.unused{margin:1px}}", "@media (min-width: 960px){.used{margin:0}}"),
    ("@media print{.unused{display:none}}", ""),
    ("@supports (display:grid){.also-used{display:grid}}", "@supports (display:grid){.also-used{display:grid}}"),
    # other at-rules stay whole
    ("@font-face{font-family:X;src:url(x.woff2)}", "@font-face{font-family:X;src:url(x.woff2)}"),
    ("@keyframes spin{from{rotate:0}to{rotate:1turn}}", "@keyframes spin{from{rotate:0}to{rotate:1turn}}"),
    ("/* a comment */ .used{color:red}", ".used{color:red}"),
])
def test_a_rule_goes_only_when_it_names_a_class_or_id_that_nothing_uses(css, expected):
    assert purge(css, WORDS) == expected


def full_stylesheet(pattern):
    package, path = PURGED[pattern]
    return Path(importlib.util.find_spec(package).origin).parent / path


def served(pattern):
    """The cut stylesheet of the built site that `pattern` names (one file)."""
    found = list((SITE / "_static").glob(pattern))
    assert len(found) == 1, f"{pattern}: {found}"
    return found[0]


@pytest.mark.parametrize("pattern", PURGED)
def test_each_cut_stylesheet_is_smaller_than_the_packaged_one_and_has_no_source_map(pattern):
    cut, full = served(pattern), full_stylesheet(pattern)
    assert full.is_file()
    assert 0 < cut.stat().st_size < full.stat().st_size
    assert "sourceMappingURL" not in cut.read_text()
    assert not cut.with_name(cut.name + ".map").exists()


def fulfil_with(source, used):
    def handler(route):
        used.append(source)
        route.fulfill(path=source, content_type="text/css")
    return handler


def screenshot(browser, url, viewport, scheme, action, whole, full):
    """The page (whole, or the screen) as drawn after `action`, with the cut stylesheets or
    (full) the packaged ones."""
    used = []

    def serve_the_full_stylesheets(page):
        for pattern in PURGED:
            regex = re.compile(re.escape(f"/_static/{pattern}").replace(r"\*", "[^/]*") + r"(\?.*)?$")
            page.route(regex, fulfil_with(full_stylesheet(pattern), used))

    page, _ = open_page(browser, url, viewport=viewport, color_scheme=scheme,
                        prepare=serve_the_full_stylesheets if full else None)
    try:
        assert len(used) == (len(PURGED) if full else 0), used
        # A code block that scrolls sideways shows its scrollbar for a moment after the page
        # loads, in one screenshot and not the other: no scrollbars, in both.
        page.add_style_tag(content="* { scrollbar-width: none !important; }")
        action(page)
        return page.screenshot(full_page=whole, animations="disabled", caret="hide")
    finally:
        page.close()


def nothing(page):
    pass


def search_and_focus(page):
    """Sphinx lists the results one by one, then says that the search is finished."""
    page.wait_for_function("() => /Search finished/.test(document.querySelector('#search-results .search-summary')?.textContent)")
    page.wait_for_load_state("networkidle")
    focus(page)


def open_solutions(page):
    page.evaluate(OPEN_SOLUTIONS)


def open_the_contents(page):
    page.click(".primary-toggle")
    page.wait_for_selector("#pst-primary-sidebar-modal[open]")


def show_a_tooltip(page):
    page.hover(".theme-switch-button")
    page.wait_for_selector(".tooltip.show")


def focus(page):
    for _ in range(4):
        page.keyboard.press("Tab")


# (page, viewport, colour scheme, what the reader does, the whole page or only the screen). A
# whole-page screenshot makes the screen as tall as the page, and whatever then lies under the
# mouse shows its hover state, sooner or later: scenes that move the mouse show only the screen.
SCENES = [
    ("intro.html", (390, 844), "light", nothing, True),
    ("chapters/accuracy.html", (390, 844), "dark", open_the_contents, False),
    ("chapters/b2_normal_distributions.html", (1280, 900), "light", show_a_tooltip, False),
    ("search.html?q=Pinsker", (1280, 900), "light", search_and_focus, True),
    ("about.html", (390, 844), "light", focus, True),
] + [(doc, (1280, 900), "dark", open_solutions, True)
     for doc in built_pages() if doc != "index.html"]  # (a redirect to intro.html)


def alike(png, other):
    """The same size, and every pixel of each has one of the same colour (within 2 of 255 in each
    channel: a tooltip fading in drew a dozen pixels of its edge 1 off, now and then) at most one
    pixel away in the other. Chromium places an element's edge a fraction of a pixel apart from
    one load of a long page to the next, now and then (the box of an inline `base=` moved by a
    pixel on a 10,000 px page); a rule the cut stylesheet lacks draws or removes whole lines."""
    first, second = (np.asarray(Image.open(io.BytesIO(p)).convert("RGB"), dtype=int) for p in (png, other))
    return first.shape == second.shape and _within_a_pixel(first, second) and _within_a_pixel(second, first)


def _within_a_pixel(image, other):
    height, width, _ = image.shape
    padded = np.pad(other, ((1, 1), (1, 1), (0, 0)), mode="edge")
    nearest = np.full((height, width), 255)
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            shifted = padded[dy:dy + height, dx:dx + width]
            nearest = np.minimum(nearest, np.abs(image - shifted).max(axis=2))
    return nearest.max() <= 2


@pytest.mark.long  # about a minute and a half: make test-long
@pytest.mark.parametrize("doc, viewport, scheme, action, whole", SCENES,
                         ids=[f"{s[0]}-{s[1][0]}-{s[2]}-{s[3].__name__}" for s in SCENES])
def test_pages_look_the_same_with_the_full_stylesheets(server, browser, doc, viewport, scheme, action, whole):
    cut = screenshot(browser, f"{server}/{doc}", viewport, scheme, action, whole, full=False)
    full = screenshot(browser, f"{server}/{doc}", viewport, scheme, action, whole, full=True)
    if not alike(cut, full):
        # The first page that a new browser draws can lie a fraction of a pixel from where it
        # draws it next time (the edges of code blocks): a difference that stays is the CSS's.
        cut = screenshot(browser, f"{server}/{doc}", viewport, scheme, action, whole, full=False)
    if not alike(cut, full):
        name = re.sub(r"\W+", "-", f"{doc}-{viewport[0]}-{scheme}")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / f"{name}-cut.png").write_bytes(cut)
        (SCREENSHOTS / f"{name}-full.png").write_bytes(full)
        pytest.fail(f"{doc} looks different with the cut stylesheets: see {name}-cut.png and "
                    f"{name}-full.png in {SCREENSHOTS.relative_to(ROOT)}")
