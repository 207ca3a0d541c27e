"""The explorable figures (_static/explorables/, _ext/explorables.py), checked in Chromium.

Each test sets a figure's controls as a reader would (sliders, fields, buttons), reads every
number the figure shows and compares it with `mathlib`, computed here, to the digits shown:
a value shown with four decimals must be within half a unit of its last digit of mathlib's.
The figures' math is also unit-tested on its own with node's test runner (tests/js/).
"""

import os
import re
import shutil
import subprocess
import zipfile

import numpy as np
import pytest

import mathlib
from test_site import ROOT, SITE, browser, open_page, server  # noqa: F401 (fixtures)

SCREENSHOTS = ROOT / "_build" / "screenshots"
EXPLORABLES = ROOT / "_static" / "explorables"
SHARED_SCRIPTS = ["explorable-math.js", "explorable-ui.js"]
FIGURES = {
    "kl-three-outcomes": "chapters/b1_divergences_jensen_shannon",
    "two-normals": "chapters/b1_divergences_jensen_shannon",
    "normals-plane": "chapters/b2_normal_distributions_verification",
    "distillation-temperature": "chapters/deep_learning_distillation",
}

# JavaScript: set controls ({data-control: value}) in order, as input events, then wait for the
# figure to redraw (it draws once per animation frame).
SET = """async ([figure, settings]) => {
  const root = document.querySelector(`[data-explorable="${figure}"]`);
  for (const [control, value] of settings) {
    const input = root.querySelector(`[data-control="${control}"]`);
    if (input.type === 'radio' || input.tagName === 'BUTTON') input.click();
    else { input.value = value; input.dispatchEvent(new Event('input', {bubbles: true})); }
    await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  }
}"""
# JavaScript: {quantity: text} of every visible value the figure shows.
READ = """(figure) => Object.fromEntries(Array.from(
  document.querySelectorAll(`[data-explorable="${figure}"] [data-quantity]`))
  .filter(e => e.offsetParent !== null).map(e => [e.dataset.quantity, e.textContent]))"""


def drawn(page, figure):
    """Scrolls to the figure and waits for its first drawing, which waits until it nears the screen."""
    page.locator(f'[data-explorable="{figure}"]').scroll_into_view_if_needed()
    page.locator(f'[data-explorable="{figure}"].explorable-ready').wait_for(timeout=10_000)


def figure_page(browser, server, figure, viewport=(1280, 900)):
    page, log = open_page(browser, f"{server}/{FIGURES[figure]}.html", viewport=viewport)
    drawn(page, figure)
    return page, log


@pytest.mark.parametrize("figure", sorted(FIGURES))
def test_subscripts_show_as_subscripts(server, browser, figure):
    """A student read "D_KL(p‖q)" and "σ_a" in a figure, underscores and all: the figures write
    them so, and show D<sub>KL</sub> and σ<sub>a</sub>, as the chapters do."""
    page, log = figure_page(browser, server, figure)
    try:
        root = page.locator(f'[data-explorable="{figure}"]')
        text = root.inner_text()
        assert re.findall(r"\w_\w+", text) == []
        assert root.locator("sub").count() > 0
        # The live region, hidden from sight, says it in plain words (a <sub> inside it was laid
        # out past the figure's edge).
        page.locator(f'[data-explorable="{figure}"] [data-control]').first.focus()
        page.keyboard.press("ArrowRight" if figure != "distillation-temperature" else "ArrowUp")
        live = root.locator(".explorable-live")
        page.wait_for_function("(r) => r.textContent.trim() !== ''", arg=live.element_handle(), timeout=5_000)
        assert live.locator("*").count() == 0 and re.findall(r"\w_\w+", live.text_content()) == []
        assert log["errors"] == []
    finally:
        page.close()


def shown(page, figure, settings=()):
    page.evaluate(SET, [figure, [list(s) for s in settings]])
    return page.evaluate(READ, figure)


def assert_digits(text, expected, what):
    """`text` is `expected` to the digits shown (+∞ as such; an exponent counts its digits)."""
    if expected == np.inf:
        assert text == "+∞", f"{what}: shows {text!r}, mathlib gives +inf"
        return
    assert text not in ("+∞", "", "NaN"), f"{what}: shows {text!r}, mathlib gives {expected}"
    mantissa, _, exponent = text.partition("e")
    decimals = len(mantissa.partition(".")[2])
    unit = 10.0 ** (-decimals + (int(exponent) if exponent else 0))
    # half a unit of the last digit, and the last bits by which two correct codes may differ
    assert abs(float(text) - expected) <= 0.5 * unit + 1e-12 * max(1.0, abs(expected)), \
        f"{what}: shows {text}, mathlib gives {expected!r}"


# ---- three outcomes (B.1, B.2, B.3, B.7) ----
THREE_OUTCOMES = [
    ((10, 40), (20, 30), "nats"),      # the chapter's worked example P, Q
    ((10, 40), (20, 30), "bits"),
    ((34, 33), (34, 33), "nats"),      # identical distributions: every divergence 0
    ((50, 50), (100, 0), "bits"),      # q misses two outcomes of p: +∞ one way, finite the other
    ((70, 30), (0, 0), "nats"),        # disjoint supports: the JSD is log 2
    ((1, 1), (0, 50), "bits"),
]


@pytest.mark.parametrize("p12, q12, unit", THREE_OUTCOMES)
def test_three_outcomes_show_mathlibs_numbers(server, browser, p12, q12, unit):
    page, log = figure_page(browser, server, "kl-three-outcomes")
    try:
        settings = [("p1", p12[0]), ("p2", p12[1]), ("q1", q12[0]), ("q2", q12[1]), (f"unit-{unit}", None)]
        values = shown(page, "kl-three-outcomes", settings)
        p = np.array([p12[0], p12[1], 100 - p12[0] - p12[1]]) / 100
        q = np.array([q12[0], q12[1], 100 - q12[0] - q12[1]]) / 100
        base = 2 if unit == "bits" else None
        expected = {
            "kl_pq": mathlib.kl_divergence(p, q, base=base), "kl_qp": mathlib.kl_divergence(q, p, base=base),
            "ce_pq": mathlib.cross_entropy(p, q, base=base), "ce_qp": mathlib.cross_entropy(q, p, base=base),
            "h_p": mathlib.entropy(p, base=base), "h_q": mathlib.entropy(q, base=base),
            "jsd": mathlib.js_divergence(p, q, base=base),
        }
        assert set(values) == set(expected)
        for key, value in expected.items():
            assert_digits(values[key], float(value), key)
        units = page.locator('[data-explorable="kl-three-outcomes"] .explorable-unit').all_inner_texts()
        assert set(units) == {unit}
        why = page.locator('[data-explorable="kl-three-outcomes"] .explorable-why').inner_html()
        if np.isinf(expected["kl_pq"]):
            assert "D<sub>KL</sub>(p‖q) and H(p, q) are +∞" in why and "support" in why
        else:
            assert "D<sub>KL</sub>(p‖q) and H(p, q) are +∞" not in why
        assert log["errors"] == []
    finally:
        page.close()


def test_dragging_q_to_an_edge_gives_a_zero_and_an_infinite_divergence(server, browser):
    page, _ = figure_page(browser, server, "kl-three-outcomes")
    try:
        page.locator('[data-explorable="kl-three-outcomes"] svg').scroll_into_view_if_needed()
        square = page.locator(".explorable-q-mark")
        box = square.bounding_box()
        left = page.locator(".explorable-frame").bounding_box()
        # drag q to the middle of the bottom edge (x₁–x₂): q(x₃) = 0 where p(x₃) = 0.5
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(left["x"] + left["width"] / 2, left["y"] + left["height"] + 20, steps=8)
        page.mouse.up()
        page.wait_for_timeout(100)
        values = page.evaluate(READ, "kl-three-outcomes")
        assert values["kl_pq"] == "+∞" and values["ce_pq"] == "+∞"
        q3 = page.locator('[data-explorable="kl-three-outcomes"] .explorable-q .explorable-note').inner_text()
        assert q3.endswith("= 0.00"), q3
    finally:
        page.close()


# ---- two normals on a line, and the fits to a mixture ----
def jsd_on_grid(mu1, s1, mu2, s2):
    """The JSD of two normals as the chapter computes it: mathlib on a fine grid's cells."""
    step = min(s1, s2) / 40
    x = np.arange(min(mu1 - 12 * s1, mu2 - 12 * s2), max(mu1 + 12 * s1, mu2 + 12 * s2), step)
    cells = lambda mu, s: (lambda d: d / d.sum())(mathlib.normal_pdf(x, mu, s * s))
    return float(mathlib.js_divergence(cells(mu1, s1), cells(mu2, s2)))


TWO_NORMALS = [(0.0, 1.0, 1.0, 1.5), (0.5, 0.8, 0.5, 0.8), (0.0, 0.05, 2.0, 3.0), (-4.0, 0.3, 4.0, 0.3), (1.2, 2.5, -0.7, 0.4)]


@pytest.mark.parametrize("mu1, s1, mu2, s2", TWO_NORMALS)
def test_two_normals_show_mathlibs_numbers(server, browser, mu1, s1, mu2, s2):
    page, log = figure_page(browser, server, "two-normals")
    try:
        values = shown(page, "two-normals", [("mu1", mu1), ("s1", s1), ("mu2", mu2), ("s2", s2)])
        kl = lambda a, sa, b, sb: float(mathlib.kl_mvn([a], [[sa * sa]], [b], [[sb * sb]]))
        assert_digits(values["kl_pq"], kl(mu1, s1, mu2, s2), "kl_pq")
        assert_digits(values["area"], kl(mu1, s1, mu2, s2), "area (quadrature)")
        assert_digits(values["kl_qp"], kl(mu2, s2, mu1, s1), "kl_qp")
        assert_digits(values["jsd"], jsd_on_grid(mu1, s1, mu2, s2), "jsd")
        assert log["errors"] == []
    finally:
        page.close()


def test_two_equal_normals_show_a_zero_integrand(server, browser):
    """p = q: p log(p/q) is 0 everywhere, and the label says 0 (it once showed 1.00e-300, the
    floor that keeps the drawing's scale finite)."""
    page, _ = figure_page(browser, server, "two-normals")
    try:
        values = shown(page, "two-normals", [("mu1", 0.5), ("s1", 1.2), ("mu2", 0.5), ("s2", 1.2)])
        assert float(values["kl_pq"]) == 0 and float(values["kl_qp"]) == 0
        label = page.locator('[data-explorable="two-normals"] svg text', has_text="largest |value|").text_content()
        assert label == "p log(p/q), largest |value| 0", label
    finally:
        page.close()


def chapter_fits(a):
    """The chapter's fits (cells of chapter B.1): Nelder–Mead on the grid with step 0.005 over
    [-14, 14], from mu = 1, sigma = 1. The forward fit's grid is wider, [-30, 30], so that the
    tails of the broad fitted normal fit in at a = 3 (the reverse fit's q is narrow)."""
    from scipy import optimize

    def best(forward):
        x = np.linspace(-30, 30, 12001) if forward else np.linspace(-14, 14, 5601)
        on_grid = lambda d: d / d.sum()
        mixture = on_grid(mathlib.normal_pdf(x, -a, 0.36) + mathlib.normal_pdf(x, a, 0.36))

        def divergence(theta):
            q = on_grid(mathlib.normal_pdf(x, theta[0], np.exp(theta[1])))
            return mathlib.kl_divergence(*((mixture, q) if forward else (q, mixture)))
        found = optimize.minimize(divergence, x0=[1.0, 0.0], method="Nelder-Mead",
                                  options={"xatol": 1e-9, "fatol": 1e-13})
        return found.x[0], np.exp(found.x[1]), found.fun
    return best(True), best(False)


@pytest.mark.parametrize("a", [2.0, 1.2, 0.5, 3.0])
def test_mixture_fits_are_the_chapters(server, browser, a):
    page, _ = figure_page(browser, server, "two-normals")
    try:
        values = shown(page, "two-normals", [("a", a)])
        (mu_f, s2_f, kl_f), (mu_r, s2_r, kl_r) = chapter_fits(a)
        for key, value in [("fwd_mu", mu_f), ("fwd_s2", s2_f), ("fwd_kl", kl_f),
                           ("rev_mu", mu_r), ("rev_s2", s2_r), ("rev_kl", kl_r)]:
            assert_digits(values[key], float(value), f"{key} at a = {a}")
    finally:
        page.close()


# ---- two normals in the plane (B.9, B.10, B.11) ----
def covariance(sa, sb, degrees):
    if sa == sb:
        return sa * sa * np.eye(2)
    t = np.radians(degrees)
    R = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    return R @ np.diag([sa * sa, sb * sb]) @ R.T


PLANE = [
    ((0.0, 0.0, 0.6, 0.35, 30), (0.3, 0.0, 1.2, 0.8, 0)),     # the figure's start
    ((1.0, -1.0, 0.8, 0.8, 0), (1.0, -1.0, 0.8, 0.8, 0)),     # identical: 0 both ways, (B.10) both ways
    ((1.5, 0.5, 2.0, 0.05, 45), (0.0, 0.0, 1.0, 1.0, 0)),     # q standard: (B.10) and (B.11); a thin p
    ((-2.0, 1.0, 0.5, 0.5, 0), (0.5, 0.3, 1.5, 0.3, 120)),    # p isotropic: (B.10) for D(q‖p)
]


@pytest.mark.parametrize("p, q", PLANE)
def test_normals_in_the_plane_show_mathlibs_numbers(server, browser, p, q):
    page, log = figure_page(browser, server, "normals-plane")
    try:
        keys = ["mx", "my", "sa", "sb", "theta"]
        settings = [(f"{who}-{k}", v) for who, d in (("p", p), ("q", q)) for k, v in zip(keys, d)]
        values = shown(page, "normals-plane", settings)
        mu_p, S_p, mu_q, S_q = np.array(p[:2]), covariance(*p[2:]), np.array(q[:2]), covariance(*q[2:])
        expected = {"kl_pq": mathlib.kl_mvn(mu_p, S_p, mu_q, S_q), "kl_qp": mathlib.kl_mvn(mu_q, S_q, mu_p, S_p)}
        notes = []
        for key, mu1, S1, mu2, S2, sd in [("kl_pq", mu_p, S_p, mu_q, S_q, q[2:4]), ("kl_qp", mu_q, S_q, mu_p, S_p, p[2:4])]:
            if sd[0] == sd[1]:
                expected[f"{key}_b10"] = mathlib.kl_mvn_isotropic(mu1, S1, mu2, sd[0] ** 2)
                notes.append("(B.10)")
                if sd[0] == 1 and not mu2.any():
                    expected[f"{key}_b11"] = mathlib.kl_mvn_standard(mu1, S1)
        shown_values = {k: v for k, v in values.items() if k.startswith("kl_")}
        assert set(shown_values) == set(expected), "the rows of (B.10) and (B.11) show exactly when they apply"
        for key, value in expected.items():
            assert_digits(values[key], float(value), key)
        for who, S in (("p", S_p), ("q", S_q)):
            numbers = [float(t) for t in re.findall(r"-?\d+\.\d+", values[f"sigma-{who}"])]
            for text_value, entry in zip(numbers, [S[0, 0], S[0, 1], S[1, 0], S[1, 1]]):
                assert abs(text_value - entry) <= 0.0005 + 1e-12
        which = values["which"]
        assert ("(B.11) apply" in which) == any(k.endswith("_b11") for k in expected)
        assert which.count("(B.10) applies") + which.count("(B.10) and (B.11) apply") == len(notes)
        assert log["errors"] == []
    finally:
        page.close()


def test_the_standard_button_makes_b11_apply(server, browser):
    page, _ = figure_page(browser, server, "normals-plane")
    try:
        values = shown(page, "normals-plane", [("q-standard", None)])
        assert "kl_pq_b11" in values and "q is the standard normal" in values["which"]
        assert_digits(values["kl_pq_b11"], float(mathlib.kl_mvn_standard([0, 0], covariance(0.6, 0.35, 30))), "b11")
    finally:
        page.close()


# ---- distillation at temperature T (chapter 4) ----
TEACHER, STUDENT = [4.0, 1.5, 0.5, -1.0, -3.0], [2.0, 2.0, -1.0, 0.0, -2.0]
DISTILLATION = [
    (TEACHER, STUDENT, 4.0),
    (TEACHER, STUDENT, 10000.0),   # extreme T: D_KL about 1e-8, the loss near (4.5)
    (TEACHER, STUDENT, 0.1),       # low T: nearly one-hot
    ([1.0, 2.0, 3.0, 4.0, 5.0], [11.0, 12.0, 13.0, 14.0, 15.0], 2.0),   # equal up to a shift: 0
    ([20.0, -20.0, 0.0, 5.0, 1.0], [-20.0, 20.0, 0.0, 1.0, 5.0], 0.37),
]


@pytest.mark.parametrize("v, z, T", DISTILLATION)
def test_distillation_shows_mathlibs_numbers(server, browser, v, z, T):
    page, log = figure_page(browser, server, "distillation-temperature")
    try:
        settings = [(f"v{k + 1}", a) for k, a in enumerate(v)] + [(f"z{k + 1}", a) for k, a in enumerate(z)]
        values = shown(page, "distillation-temperature", settings + [("T", T)])
        z_, v_ = np.array(z), np.array(v)
        loss = float(mathlib.distillation_loss(z_, v_, T))
        gap = (z_ - z_.mean()) - (v_ - v_.mean())
        limit = float(gap @ gap / (2 * len(z)))
        assert_digits(values["loss"], loss, "T² KL")
        assert_digits(values["kl"], loss / T**2, "KL")
        assert_digits(values["limit"], limit, "limit (4.5)")
        if limit > 0:
            assert_digits(values["gap"], abs(loss / limit - 1), "relative gap")
        else:
            assert values["gap"] == "—"
        for who, logits in (("p", v_), ("q", z_)):
            for k, prob in enumerate(mathlib.softmax(logits / T)):
                assert_digits(values[f"{who}{k + 1}"], float(prob), f"{who}_T[{k}]")
        assert log["errors"] == []
    finally:
        page.close()


def test_the_temperature_slider_sets_T(server, browser):
    page, _ = figure_page(browser, server, "distillation-temperature")
    try:
        values = shown(page, "distillation-temperature", [("log10T", 2)])
        assert page.locator('[data-control="T"]').input_value() == "100"
        assert_digits(values["loss"], float(mathlib.distillation_loss(STUDENT, TEACHER, 100.0)), "loss at T = 100")
    finally:
        page.close()


# ---- every figure: assets, fallback, accessibility, layout ----
def test_assets_load_only_on_pages_with_a_figure():
    for page in ("intro", "chapters/cross_entropy_loss", "chapters/accuracy", "glossary"):
        assert "explorables/" not in (SITE / f"{page}.html").read_text(), page
    for figure, doc in FIGURES.items():
        html = (SITE / f"{doc}.html").read_text()
        assert f'data-explorable="{figure}"' in html and f"explorables/{figure}.js" in html
        assert "explorables/explorable-math.js" in html and "explorables/explorables.css" in html
    b2 = (SITE / f"{FIGURES['normals-plane']}.html").read_text()
    assert "kl-three-outcomes.js" not in b2 and "distillation-temperature.js" not in b2


def test_scripts_are_small_and_self_contained():
    for path in EXPLORABLES.glob("*.js"):
        text = path.read_text()
        assert path.stat().st_size <= 30_000, f"{path.name}: {path.stat().st_size} bytes"
        assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", text), f"{path.name} names a URL"
        assert not re.search(r"\b(import|fetch|XMLHttpRequest|eval)\b\s*\(", text), path.name
    for figure in FIGURES:   # what a page loads for one figure: the shared scripts and its own
        total = sum((EXPLORABLES / name).stat().st_size for name in SHARED_SCRIPTS + [f"{figure}.js"])
        assert total <= 30_000, f"{figure}: {total} bytes of script with the shared ones"


@pytest.mark.parametrize("doc", sorted(set(FIGURES.values())))
def test_without_javascript_a_one_line_note_stands_in(server, browser, doc):
    page, _ = open_page(browser, f"{server}/{doc}.html", javascript=False)
    try:
        for container in page.locator("[data-explorable]").all():
            assert container.locator("input, svg").count() == 0
            note = container.inner_text().strip()
            assert note.startswith("An interactive version of this figure") and "\n" not in note
        # the static figures are still there
        assert page.locator(".cell_output img").count() >= 1
    finally:
        page.close()


def assert_labelled_and_announced(page, figure):
    root = page.locator(f'[data-explorable="{figure}"]')
    unlabelled = root.locator("input").evaluate_all(
        "xs => xs.filter(x => !(x.labels && x.labels.length && x.labels[0].textContent.trim())).map(x => x.outerHTML)")
    assert unlabelled == []
    live = root.locator('[aria-live="polite"]')
    assert live.count() == 1
    control = root.locator("input[type=range]").first
    control.focus()
    page.keyboard.press("ArrowRight")  # the keyboard moves a slider
    page.wait_for_timeout(1200)
    assert re.search(r"\d", live.inner_text()), "the live region was not updated"


@pytest.mark.parametrize("figure", FIGURES)
def test_controls_are_labelled_and_changes_are_announced(server, browser, figure):
    page, _ = figure_page(browser, server, figure)
    try:
        assert_labelled_and_announced(page, figure)
    finally:
        page.close()


def assert_fits(page, root, width, whole_page=True):
    """The figure `root` fits the screen's `width`, and its text contrasts with the page."""
    if whole_page:
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width + 1, "the page scrolls sideways"
    assert root.evaluate("r => r.getBoundingClientRect().right") <= width, "the figure is wider than the screen"
    assert root.evaluate("r => r.scrollWidth <= r.clientWidth + 1"), "the figure scrolls sideways"
    too_wide = root.evaluate("""r => Array.from(r.querySelectorAll('*')).filter(e => e.offsetParent !== null
        && e.getBoundingClientRect().right > r.getBoundingClientRect().right + 1).map(e => e.outerHTML.slice(0, 80))""")
    assert too_wide == []
    # text and lines take the theme's colours: the figure's text contrasts with the page
    colours = root.evaluate("""r => [getComputedStyle(r).color, getComputedStyle(document.body).backgroundColor]""")
    assert colours[0] != colours[1]
    return colours


# JavaScript: the drawings' texts (subscripts too) shown under 10 CSS px, or reaching past the
# drawing's edges. (At 390 px a phone shows a drawing at about 0.83 of its size; before the text
# was set larger there, its subscripts were 8 px, and two-normals' "−6" began left of the edge.)
SMALL_OR_CUT_TEXT = """r => Array.from(r.querySelectorAll('svg text, svg tspan')).filter(t => t.textContent.trim())
  .map(t => { const svg = t.ownerSVGElement, box = svg.viewBox.baseVal, shown = svg.getBoundingClientRect();
              const px = parseFloat(getComputedStyle(t).fontSize) * shown.width / box.width;
              const b = t.tagName === 'text' ? t.getBBox() : null;
              const cut = b && (b.x < -0.5 || b.y < -0.5 || b.x + b.width > box.width + 0.5
                                || b.y + b.height > box.height + 0.5);
              return [t.textContent.trim().slice(0, 20), Math.round(px * 10) / 10, cut]; })
  .filter(([text, px, cut]) => px < 10 || cut)"""


@pytest.mark.parametrize("width", [320, 390, 1280])
@pytest.mark.parametrize("figure", FIGURES)
def test_figures_fit_a_phone_and_a_laptop_in_light_and_dark(server, browser, figure, width):
    page, _ = figure_page(browser, server, figure, viewport=(width, 900))
    try:
        root = page.locator(f'[data-explorable="{figure}"]')
        for dark in (False, True):
            page.evaluate(f"() => document.documentElement.dataset.theme = '{'dark' if dark else 'light'}'")
            page.wait_for_timeout(50)
            # (at 320 px a chapter's own code and formulas may scroll; the figure must not)
            assert_fits(page, root, width, whole_page=width >= 390)
            if width != 320:
                assert root.evaluate(SMALL_OR_CUT_TEXT) == [], "text under 10 px as shown, or past the drawing's edge"
            if width != 320:
                root.scroll_into_view_if_needed()
                box = root.bounding_box()
                page.set_viewport_size({"width": width, "height": int(box["height"]) + 40})
                root.scroll_into_view_if_needed()
                if os.environ.get("SCREENSHOTS"):
                    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                    root.screenshot(path=SCREENSHOTS / f"explorable_{figure}_{width}{'_dark' * dark}.png")
                page.set_viewport_size({"width": width, "height": 900})
    finally:
        page.close()


# JavaScript: whether a figure is drawn, how many controls it has, and the numbers it shows.
DRAWING = """(figure) => {
  const root = document.querySelector(`[data-explorable="${figure}"]`);
  return {drawn: root.classList.contains('explorable-ready'), controls: root.querySelectorAll('input').length,
          numbers: Array.from(root.querySelectorAll('[data-quantity]')).map(e => e.textContent).filter(t => t)};
}"""


def lazy_page(browser, server, doc):
    """A chapter page at a phone's size, loaded without open_page's drawing of every figure."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.on("close", lambda _: context.close())
    page.goto(f"{server}/{doc}.html", wait_until="load")
    page.wait_for_timeout(500)
    return page


@pytest.mark.parametrize("figure", FIGURES)
def test_a_figure_below_the_fold_is_drawn_when_a_reader_scrolls_near_it(server, browser, figure):
    """Loading a page does not compute its figures: each has its controls (in the tab order
    from the start) but no numbers until it comes near the screen."""
    page = lazy_page(browser, server, FIGURES[figure])
    try:
        before = page.evaluate(DRAWING, figure)
        assert before["drawn"] is False and before["numbers"] == [] and before["controls"] > 0
        drawn(page, figure)
        after = page.evaluate(DRAWING, figure)
        assert after["controls"] == before["controls"] and len(after["numbers"]) >= 3
    finally:
        page.close()


def test_printing_a_page_draws_its_figures(server, browser, tmp_path):
    """A reader who prints a chapter (or the PDF's print) gets every figure drawn, unscrolled."""
    import pypdf

    doc = FIGURES["two-normals"]
    page = lazy_page(browser, server, doc)
    try:
        page.pdf(path=tmp_path / "page.pdf")
        printed = " ".join(p.extract_text() for p in pypdf.PdfReader(tmp_path / "page.pdf").pages)
        for figure in (f for f, d in FIGURES.items() if d == doc):
            shown = page.evaluate(DRAWING, figure)
            assert shown["drawn"] is True and len(shown["numbers"]) >= 3
            assert all(number in printed for number in shown["numbers"]), figure
    finally:
        page.close()


def test_the_figures_math_passes_its_node_unit_tests():
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI"):
            pytest.fail("node is missing (the book's build needs it too)")
        pytest.skip("node is not installed: the JavaScript unit tests (tests/js/) need node 18 or newer")
    run = subprocess.run([node, "--test", str(ROOT / "tests" / "js")], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert re.search(r"^# pass [1-9]", run.stdout, re.M) and re.search(r"^# fail 0", run.stdout, re.M), run.stdout[-2000:]


@pytest.mark.parametrize("doc", sorted(set(FIGURES.values())))
def test_figures_work_from_a_file_url(browser, doc):
    """A reader who opens _build/html/... from disk (file://) gets the same figures."""
    page, log = open_page(browser, (SITE / f"{doc}.html").as_uri())
    try:
        figures = [f for f, d in FIGURES.items() if d == doc]
        for figure in figures:
            drawn(page, figure)
        assert page.locator("[data-explorable] [data-quantity]").count() > 0
        assert log["errors"] == []
    finally:
        page.close()


# ---- a finger on a phone ----
# The figures whose points a reader drags, and what is dragged.
HANDLES = {"kl-three-outcomes": ".explorable-q-mark", "normals-plane": ".explorable-p-mark"}


def touch_drag(page, handle, dx, dy, steps=8):
    """A finger down on the middle of `handle`, moved by (dx, dy) CSS pixels, lifted."""
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    cdp = page.context.new_cdp_session(page)
    touch = lambda kind, points: cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})
    touch("touchStart", [{"x": x, "y": y}])
    for k in range(1, steps + 1):
        touch("touchMove", [{"x": x + dx * k / steps, "y": y + dy * k / steps}])
    touch("touchEnd", [])
    page.wait_for_timeout(100)


# JavaScript: the directions, of eight, in which a finger landing 12 CSS pixels from the middle
# of the point misses it (a target of 24 px across, WCAG 2.5.8, however small it is drawn), and
# misses the other point too, which takes the touch where it is drawn over this one.
MISSES = """(point) => {
  const box = point.getBoundingClientRect(), x = box.left + box.width / 2, y = box.top + box.height / 2;
  return [0, 45, 90, 135, 180, 225, 270, 315].filter(degrees => !document.elementFromPoint(
    x + 12 * Math.cos(degrees * Math.PI / 180), y + 12 * Math.sin(degrees * Math.PI / 180))
    .classList.contains("explorable-handle"));
}"""


def assert_a_finger_drags(page, figure):
    root = page.locator(f'[data-explorable="{figure}"]')
    handle = root.locator(HANDLES[figure])
    handle.scroll_into_view_if_needed()
    for point in root.locator(".explorable-handle").all():
        misses = point.evaluate(MISSES)
        assert misses == [], f"{figure}: a finger 12 px from the middle of a point misses it at {misses} degrees"
    before = page.evaluate(READ, figure)
    touch_drag(page, handle, 40, 25)
    assert page.evaluate(READ, figure) != before, f"{figure}: dragging with a finger changed nothing"


PHONE = {"viewport": (390, 844), "has_touch": True, "is_mobile": True}


@pytest.mark.parametrize("figure", HANDLES)
def test_a_finger_drags_the_points_on_a_phone(server, browser, figure):
    page, log = open_page(browser, f"{server}/{FIGURES[figure]}.html", **PHONE)
    try:
        drawn(page, figure)
        assert_a_finger_drags(page, figure)
        assert log["errors"] == []
    finally:
        page.close()


# ---- the figures' own pages in the notebooks bundle (a student's folder, no server, offline) ----
# One setting per figure away from its start, for comparing a page's numbers with the site's.
MOVED = {
    "kl-three-outcomes": [("p1", 30), ("q2", 60), ("unit-bits", None)],
    "two-normals": [("mu2", 2.5), ("s1", 0.4), ("a", 1.2)],
    "normals-plane": [("q-theta", 60), ("p-sa", 1.5)],
    "distillation-temperature": [("v2", 3.0), ("T", 7.0)],
}


@pytest.fixture(scope="module")
def bundle_pages(tmp_path_factory):
    """The folder explorables/ of the site's notebooks bundle, unzipped as a student would."""
    zip_path = SITE / "appendix-b-notebooks.zip"
    if not zip_path.is_file():
        pytest.fail("no notebooks bundle in the site: run `make book` (make test does it first)")
    work = tmp_path_factory.mktemp("bundle")
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(work, [n for n in zf.namelist() if "/explorables/" in n])
    (folder,) = work.glob("*/explorables")
    return folder


@pytest.mark.parametrize("figure", FIGURES)
def test_the_bundles_page_of_each_figure_works_offline(server, browser, bundle_pages, figure):
    page, log = open_page(browser, (bundle_pages / f"{figure}.html").as_uri(), offline=True)
    site, _ = figure_page(browser, server, figure)
    try:
        drawn(page, figure)
        assert log["errors"] == [] and log["failed"] == []
        assert log["requests"] == [(bundle_pages / f"{figure}.html").as_uri()], "the page is one file"
        # the site's numbers, which the tests above compare with mathlib
        assert shown(page, figure, MOVED[figure]) == shown(site, figure, MOVED[figure])
        assert_labelled_and_announced(page, figure)
    finally:
        page.close()
        site.close()


@pytest.mark.parametrize("figure", FIGURES)
def test_the_bundles_page_of_each_figure_fits_a_phone_in_light_and_dark(browser, bundle_pages, figure):
    url = (bundle_pages / f"{figure}.html").as_uri()
    colours = {}
    for scheme in ("light", "dark"):   # as the phone's system is set
        page, log = open_page(browser, url, color_scheme=scheme, **PHONE)
        try:
            root = page.locator(f'[data-explorable="{figure}"]')
            drawn(page, figure)
            assert page.evaluate("() => document.documentElement.dataset.theme") == scheme
            colours[scheme] = assert_fits(page, root, 390)
            if figure in HANDLES:
                assert_a_finger_drags(page, figure)
            assert log["errors"] == []
        finally:
            page.close()
    assert colours["light"] != colours["dark"]
    page, _ = open_page(browser, url, javascript=False)
    try:   # without JavaScript, the note that stands in for the figure
        note = page.locator(f'[data-explorable="{figure}"]').inner_text().strip()
        assert note.startswith("An interactive version of this figure") and "needs JavaScript" in note
    finally:
        page.close()
