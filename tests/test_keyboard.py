"""A chapter page read with the keyboard alone, at 390 and 1280 px, in light and dark mode.

Every control that Tab reaches shows where the keyboard is: a screenshot of the control and the
few pixels around it, focused and then unfocused, must differ. The measure is that of WCAG 2.2's
focus appearance (2.4.13): the pixels whose colour changes with a contrast of at least 3:1
must cover the area of a line 1 CSS px thick along the control's edges on the screen (2.4.13,
level AAA, asks for 2 px; the book's rings are 3 px, drawn on the page's background). The
theme's `.btn:focus-visible {outline: 0}` had removed the ring of the header's ☰ and download
buttons while their computed styles looked like those of buttons drawn with a box-shadow; and
a ring can be drawn yet lost, over a bar of a similar colour or under a dialog's backdrop: the
pixels say what a reader sees. After the page, the download menu and the search dialog are
tabbed through, and on a phone the two drawers. Closing a drawer or the search with Escape
gives the focus back to the button that opened it (a shorter test, in `make test`).
"""

import io

import numpy as np
import pytest
from PIL import Image

from test_site import browser, open_page, server  # noqa: F401 (fixtures)

PHONE, LAPTOP = (390, 844), (1280, 800)
CHAPTER = "chapters/b1_divergences_jensen_shannon.html"  # every kind of control: explorables, solutions, figures, code
MARGIN = 8  # px around a control's box: an outline's offset and width, a ring's spread

# Transitions and smooth scrolling off, so that each screenshot shows the state it is taken in.
STILL = "*, *::before, *::after { transition: none !important; animation: none !important; " \
        "scroll-behavior: auto !important; }"

# JavaScript: the focused element's boxes (one per line of a link that wraps), or null on the body.
# (A search field's ring is drawn around its form, `.bd-search:focus-within`, which holds the
# magnifier and the shortcut's hint too: the form is measured.)
FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body || e === document.documentElement) return null;
  const rects = Array.from((e.closest('form.bd-search') || e).getClientRects()).filter(r => r.width > 0 && r.height > 0)
    .map(r => ({x: r.x, y: r.y, width: r.width, height: r.height}));
  const name = (e.getAttribute('aria-label') || e.textContent || e.value || '').trim().replace(/\\s+/g, ' ');
  return {rects, what: `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} "${name.slice(0, 40)}"`};
}"""


def luminance(image):
    """WCAG relative luminance of each pixel of an RGB image."""
    c = np.asarray(image.convert("RGB"), dtype=float) / 255
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return c @ [0.2126, 0.7152, 0.0722]


def clip_around(rects, viewport):
    left = max(0, min(r["x"] for r in rects) - MARGIN)
    top = max(0, min(r["y"] for r in rects) - MARGIN)
    right = min(viewport[0], max(r["x"] + r["width"] for r in rects) + MARGIN)
    bottom = min(viewport[1], max(r["y"] + r["height"] for r in rects) + MARGIN)
    if right - left < 1 or bottom - top < 1:
        return None
    return {"x": left, "y": top, "width": right - left, "height": bottom - top}


def visible_outline(rects, viewport):
    """The length of the boxes' edges that lie on the screen, in CSS px."""
    length = 0
    for r in rects:
        left, top, right, bottom = r["x"], r["y"], r["x"] + r["width"], r["y"] + r["height"]
        width = max(0, min(right, viewport[0]) - max(left, 0))
        height = max(0, min(bottom, viewport[1]) - max(top, 0))
        length += width * ((0 <= top <= viewport[1]) + (0 <= bottom <= viewport[1]))
        length += height * ((0 <= left <= viewport[0]) + (0 <= right <= viewport[0]))
    return length


def focus_indicator_shortfall(page, viewport):
    """None if the focused control draws a visible indicator, else what is wrong."""
    focused = page.evaluate(FOCUSED)
    if not focused["rects"]:
        return f"{focused['what']}: focused but has no box on the screen"
    clip = clip_around(focused["rects"], viewport)
    if clip is None:
        return f"{focused['what']}: focused but out of sight"
    shot = Image.open(io.BytesIO(page.screenshot(clip=clip)))
    page.evaluate("() => { window.lastFocused = document.activeElement; document.activeElement.blur(); }")
    plain = Image.open(io.BytesIO(page.screenshot(clip=clip)))
    page.evaluate("() => window.lastFocused.focus({preventScroll: true})")
    a, b = luminance(shot), luminance(plain)
    changed = int(((np.maximum(a, b) + 0.05) / (np.minimum(a, b) + 0.05) >= 3).sum())
    needed = visible_outline(focused["rects"], viewport)
    if changed < needed:
        return f"{focused['what']}: {changed} px change with 3:1 contrast, fewer than {needed:.0f}"
    return None


# JavaScript: where the focus is after a Tab: a new control, the first one again, or out of the
# page (the body) or of the menu or dialog `inside`.
STEP = """(inside) => {
  const e = document.activeElement;
  if (!e || e === document.body || (inside && !e.closest(inside))) return 'out';
  if (window.firstStop === e) return 'round';
  window.firstStop = window.firstStop || e;
  return 'stop';
}"""


def tab_through(page, viewport, inside=None, limit=400):
    """Press Tab until the focus leaves the page (or `inside`) or comes back round; the number
    of controls reached, and each one's shortfall. A dialog that has just opened has focused its
    first control already: that one is checked first."""
    page.evaluate("() => { window.firstStop = null; }")
    stops, shortfalls = 0, []
    for _ in range(limit):
        if not (inside and stops == 0 and page.evaluate(STEP, inside) == "stop"):
            page.keyboard.press("Tab")
            if page.evaluate(STEP, inside) != "stop":
                break
        stops += 1
        shortfall = focus_indicator_shortfall(page, viewport)
        if shortfall:
            shortfalls.append(shortfall)
    return stops, shortfalls


# What the header's buttons open, tabbed through in turn: [button, what opens, at which sizes].
OPENED_BY_BUTTONS = [
    (".article-header-buttons .dropdown-toggle", ".article-header-buttons .dropdown-menu", (PHONE, LAPTOP)),
    (".primary-toggle", "#pst-primary-sidebar-modal", (PHONE,)),
    (".secondary-toggle", "#pst-secondary-sidebar-modal", (PHONE,)),
    (".search-button__button:visible", "#pst-search-dialog", (PHONE, LAPTOP)),
]


@pytest.mark.long
@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize("size", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_every_control_shows_the_keyboards_focus(server, browser, size, mode):
    """The whole page, then each menu and dialog of the header (about 40 s at each size and
    mode: two screenshots at each of some 100 stops)."""
    page, _ = open_page(browser, f"{server}/{CHAPTER}", viewport=size, color_scheme=mode)
    try:
        page.add_style_tag(content=STILL)
        stops, shortfalls = tab_through(page, size)
        assert stops > 50, f"Tab reached only {stops} controls"  # the page has some 70 to 80
        for button, opened, sizes in OPENED_BY_BUTTONS:
            if size not in sizes:
                continue
            page.locator(button).first.focus()
            page.keyboard.press("Enter")
            page.locator(opened).first.wait_for(state="visible", timeout=5_000)
            inner, missed = tab_through(page, size, inside=opened)
            assert inner > 0, f"Tab reaches nothing in {opened}"
            shortfalls += missed
            page.evaluate("() => window.firstStop.focus()")  # Tab has left it: Escape is heard inside
            page.keyboard.press("Escape")
            page.locator(opened).first.wait_for(state="hidden", timeout=5_000)
        assert shortfalls == [], "\n".join(shortfalls)
    finally:
        page.close()


def test_escape_closes_a_drawer_and_gives_the_focus_back_to_its_button(server, browser):
    """On a phone the header's ☰ button opens the book's contents in a drawer, the one at its
    right end the page's sections, the magnifier the search: each is a dialog. Escape closes it,
    and the focus goes back to the button that opened it, not to the page's start (the book
    theme blurs the button on its click, so the theme's dialog gave the focus to the body)."""
    page, _ = open_page(browser, f"{server}/{CHAPTER}", viewport=PHONE)
    try:
        for button, dialog in [(".primary-toggle", "#pst-primary-sidebar-modal"),
                               (".secondary-toggle", "#pst-secondary-sidebar-modal"),
                               (".article-header-buttons .search-button", "#pst-search-dialog")]:
            page.locator(button).focus()
            page.keyboard.press("Enter")
            page.locator(f"{dialog}[open]").wait_for(timeout=5_000)
            page.keyboard.press("Escape")
            page.locator(f"{dialog}[open]").wait_for(state="detached", timeout=5_000)
            page.wait_for_timeout(100)
            focused = page.evaluate("(b) => document.activeElement === document.querySelector(b)", button)
            assert focused, (button, page.evaluate("() => document.activeElement.outerHTML.slice(0, 80)"))
            assert page.evaluate("() => document.activeElement.matches(':focus-visible')"), button
    finally:
        page.close()


def test_a_header_button_that_opens_no_dialog_keeps_the_focus(server, browser):
    """On a laptop the ☰ button folds the book's contents away in place, and the colour-mode
    button changes the colours: no dialog opens. The book theme blurs both on their click; the
    focus stays on the button, visibly, so that Enter again undoes it and Tab goes on from there."""
    page, _ = open_page(browser, f"{server}/{CHAPTER}", viewport=LAPTOP)
    try:
        for button in [".primary-toggle", ".theme-switch-button"]:
            for _ in range(2):  # fold and unfold, dark and back
                page.locator(button).first.focus()
                page.keyboard.press("Enter")
                page.wait_for_timeout(100)
                assert page.evaluate("(b) => document.activeElement === document.querySelector(b)", button), (
                    button, page.evaluate("() => document.activeElement.outerHTML.slice(0, 80)"))
                assert page.evaluate("() => document.activeElement.matches(':focus-visible')"), button
        for button in [".primary-toggle", ".theme-switch-button"]:  # a mouse leaves no ring
            for _ in range(2):
                page.locator(button).first.click()
                page.wait_for_timeout(100)
                assert not page.evaluate("() => document.activeElement.matches(':focus-visible')"), button
    finally:
        page.close()

