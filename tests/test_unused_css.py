"""The theme's stylesheets, cut to the rules the pages can use (_ext/unused_css.py): smaller,
and every page drawn exactly as with the full stylesheets."""

import importlib.util
import re
import sys
from pathlib import Path

import pytest

from test_site import OPEN_SOLUTIONS, ROOT, SITE, browser, open_page, server  # noqa: F401 (fixtures)

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


def screenshot(browser, url, viewport, scheme, action, full):
    """The page as drawn, after `action`, with the cut stylesheets or (full) the packaged ones."""
    used = []

    def serve_the_full_stylesheets(page):
        for pattern in PURGED:
            regex = re.compile(re.escape(f"/_static/{pattern}").replace(r"\*", "[^/]*") + r"(\?.*)?$")
            page.route(regex, fulfil_with(full_stylesheet(pattern), used))

    page, _ = open_page(browser, url, viewport=viewport, color_scheme=scheme,
                        prepare=serve_the_full_stylesheets if full else None)
    try:
        assert len(used) == (len(PURGED) if full else 0), used
        action(page)
        return page.screenshot(full_page=True, animations="disabled", caret="hide")
    finally:
        page.close()


def nothing(page):
    pass


def open_solutions(page):
    page.evaluate(OPEN_SOLUTIONS)


def open_the_contents(page):
    page.click(".primary-toggle")
    page.wait_for_selector("#pst-primary-sidebar-modal[open]")


def show_a_tooltip(page):
    page.hover(".theme-switch-button")
    page.wait_for_selector(".tooltip.show")


def search_and_focus(page):
    for _ in range(4):
        page.keyboard.press("Tab")


SCENES = [
    ("intro.html", (390, 844), "light", nothing),
    ("chapters/b1_divergences.html", (1280, 900), "dark", open_solutions),
    ("chapters/accuracy.html", (390, 844), "dark", open_the_contents),
    ("chapters/b2_normal_distributions.html", (1280, 900), "light", show_a_tooltip),
    ("search.html?q=Pinsker", (1280, 900), "light", search_and_focus),
    ("about.html", (390, 844), "light", search_and_focus),
]


@pytest.mark.long  # about 30 s: make test-long
@pytest.mark.parametrize("doc, viewport, scheme, action", SCENES, ids=[f"{s[0]}-{s[1][0]}-{s[2]}-{s[3].__name__}" for s in SCENES])
def test_pages_look_the_same_with_the_full_stylesheets(server, browser, doc, viewport, scheme, action):
    cut = screenshot(browser, f"{server}/{doc}", viewport, scheme, action, full=False)
    full = screenshot(browser, f"{server}/{doc}", viewport, scheme, action, full=True)
    assert cut == full
