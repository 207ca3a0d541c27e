"""Every workaround of the site for its theme and extensions: still applicable, and still needed.

A workaround patches something upstream (a method, a template's markup, an asset's name, a
colour) that may be renamed, fixed or gone in the next release; the patch would then do
nothing, silently, or hide nothing. For each one, these tests check both sides against the
installed packages (the versions of requirements.lock):

- it still applies: what it replaces or filters is still there, under the name it uses;
- it is still needed: the upstream behaviour it works around is still there (read from the
  upstream source, or, for colours, seen in the browser with the site's stylesheet left out).

A failure here means: read the workaround's comment, check the new upstream version, and
adapt or delete the workaround. The browser tests check the workarounds' effects on the built
site (test_site.py, test_site_layout.py, test_accessibility.py).

| workaround | where |
| --- | --- |
| KaTeX server started over TCP, longer timeouts | _ext/build_time_math.py (checked at setup too) |
| KaTeX renderer cached between builds | _ext/book_pdf.py (cache_katex) |
| sphinx-proof's nodes in the single-page build | _ext/book_pdf.py (complete_single_page_handlers) |
| scripts left out of every page, the colour theme set once | _templates/layout.html |
| the site's title in a navigation landmark | _templates/navbar-logo.html |
| sphinx-thebe's scripts dropped | _ext/no_thebe.py |
| sphinx-design's assets only where used | _ext/page_assets.py |
| code tokens drawn as plain text without a span | _ext/plain_code_tokens.py |
| index entries kept in the search index | _ext/search_index_entries.py |
| references as list items, alt text, index.html | _ext/accessibility.py |
| the space before a solution's exercise link | _ext/solution_titles.py |
| the theme's icon fonts cut to the icons used | _ext/font_subset.py (checked at build too) |
| toggle buttons named, tab stops for late scrolling code | _static/accessibility.js |
| layout and colour fixes over the theme's CSS | _static/reading.css |
| the theme's default mode set | _config.yml (html_context) |
"""

import importlib.util
import io
import inspect
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from test_site import browser, server  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "_ext"))
import build_time_math  # noqa: E402
import font_subset  # noqa: E402
import no_thebe  # noqa: E402
import page_assets  # noqa: E402
import plain_code_tokens  # noqa: E402
import search_index_entries  # noqa: E402
import solution_titles  # noqa: E402
from sphinx.errors import ExtensionError  # noqa: E402
from sphinxcontrib import katex  # noqa: E402


def package_dir(name):
    return Path(importlib.util.find_spec(name).origin).parent


def lock_version(name):
    pins = dict(line.split("==") for line in (ROOT / "requirements.lock").read_text().splitlines()
                if "==" in line and not line.startswith("#"))
    return pins[name]


PYDATA = package_dir("pydata_sphinx_theme") / "theme" / "pydata_sphinx_theme"
BOOK = package_dir("sphinx_book_theme") / "theme" / "sphinx_book_theme"
PYDATA_JS = (PYDATA / "static" / "scripts" / "pydata-sphinx-theme.js").read_text()
PYDATA_CSS = (PYDATA / "static" / "styles" / "pydata-sphinx-theme.css").read_text()
TOGGLEBUTTON = package_dir("sphinx_togglebutton") / "_static"


def source(module_name):
    return Path(importlib.util.find_spec(module_name).origin).read_text()


# _ext/build_time_math.py


def test_build_time_math_finds_what_it_replaces_in_sphinxcontrib_katex(monkeypatch):
    assert lock_version("sphinxcontrib-katex") == build_time_math.KATEX_WRITTEN_FOR, (
        "sphinxcontrib-katex's pin moved: check use_katex against the new version, then "
        "update KATEX_WRITTEN_FOR")
    build_time_math.check_katex_internals()
    # On Linux and macOS, KaTeXServer.start calls the Unix-socket start that use_katex replaces.
    assert "cls.start_server_process(" in inspect.getsource(katex.KaTeXServer.start)
    monkeypatch.delattr(katex, "RENDER_TIMEOUT")
    with pytest.raises(ExtensionError, match=r"written for sphinxcontrib-katex 0\.9\.11, .* has no RENDER_TIMEOUT"):
        build_time_math.check_katex_internals()


def test_sphinxcontrib_katex_still_races_its_unix_socket_and_times_out_early():
    # The Unix-socket start connects once the socket file exists, and gives up at the first
    # refused connection (start_on_unix_socket retries until node listens).
    unix = inspect.getsource(katex.KaTeXServer.start_server_process)
    assert "is_socket()" in unix and "ConnectionRefusedError" not in unix
    # Its own timeouts (read from its source: use_katex may have set them in this process).
    defaults = {name: float(value) for name, value in
                re.findall(r"(?m)^(STARTUP_TIMEOUT|RENDER_TIMEOUT) = ([0-9.]+)$", inspect.getsource(katex))}
    assert defaults["STARTUP_TIMEOUT"] < build_time_math.STARTUP_TIMEOUT
    assert defaults["RENDER_TIMEOUT"] < build_time_math.RENDER_TIMEOUT


# _ext/book_pdf.py


def test_book_pdf_wraps_a_renderer_that_build_time_math_looks_up_when_it_typesets():
    # cache_katex replaces katex.render_latex: build_time_math must look it up at each call,
    # not hold its own reference from import time.
    assert "katex.render_latex(" in inspect.getsource(build_time_math.typeset)
    assert "render_latex" in build_time_math.KATEX_USED


def test_sphinx_proof_still_has_no_single_page_handlers_and_sphinx_exercise_does():
    # sphinx-exercise registers its nodes for singlehtml by name, so Sphinx no longer falls back
    # to the html handlers there, and sphinx-proof (html only) would have none.
    from sphinx.registry import SphinxComponentRegistry

    assert isinstance(SphinxComponentRegistry().translation_handlers, dict)
    assert "singlehtml=(" in source("sphinx_exercise")
    proof = source("sphinx_proof")
    assert "html=(" in proof and "singlehtml" not in proof


# _templates/layout.html


def test_the_theme_still_loads_the_scripts_the_layout_leaves_out():
    layout = (ROOT / "_templates" / "layout.html").read_text()
    left_out = re.findall(r'"([^"]+)"', re.search(r"set left_out = \[([^\]]*)\]", layout).group(1))
    assert len(left_out) == 4, left_out
    # They are in the blocks the layout filters: css (the webpack macros) and extrahead.
    theirs = (PYDATA / "layout.html").read_text() + (PYDATA / "static" / "webpack-macros.html").read_text()
    assert all(name in theirs for name in left_out), left_out
    assert "{%- block css %}" in theirs and "{%- block extrahead %}" in theirs
    # The search scripts serve "search as you type", which the theme leaves off.
    assert re.search(r"(?m)^search_as_you_type = False$", (PYDATA / "theme.conf").read_text())
    assert "search_as_you_type" not in yaml.safe_load((ROOT / "_config.yml").read_text()).get("html", {})


def test_the_themes_first_stylesheet_still_only_imports_basic_css():
    """The layout links basic.css in its place, to spare a phone one fetch before the first paint."""
    theme_css = (PYDATA / "static" / "styles" / "theme.css").read_text()
    assert re.sub(r"/\*.*?\*/", "", theme_css, flags=re.S).split() == ['@import', '"../basic.css";']
    assert "_static/styles/theme.css', 1) }}?digest" in (PYDATA / "static" / "webpack-macros.html").read_text()


def test_the_theme_still_sets_its_colour_theme_twice():
    """The layout makes the head script's write the final one (see test_site.py's
    test_the_colour_theme_is_set_once_to_its_final_value): the line it replaces is still the
    theme's, and the theme's script still writes "light" or "dark" from the mode and the system."""
    theirs = (PYDATA / "layout.html").read_text()
    assert 'document.documentElement.dataset.theme = localStorage.getItem("theme") || "{{ default_mode }}";' in theirs
    layout = (ROOT / "_templates" / "layout.html").read_text()
    assert """'document.documentElement.dataset.theme = localStorage.getItem("theme") || "' ~ default_mode ~ '";'""" in layout
    # setTheme(mode), minified: theme = mode == "auto" ? (system dark ? "dark" : "light") : mode
    assert re.search(r'var (\w)=(\w)\.matches\?"dark":"light";document\.documentElement\.dataset\.mode=(\w);'
                     r'var (\w)="auto"==\3\?\1:\3;document\.documentElement\.dataset\.theme=\4', PYDATA_JS)


# _templates/navbar-logo.html


def test_the_theme_still_puts_the_site_title_outside_any_landmark():
    # sphinx-book-theme's sidebar shows "navbar-logo.html" (the site's override), which includes
    # pydata-sphinx-theme's component; neither the component nor the sidebar's section around it
    # is a landmark.
    assert "navbar-logo.html" in re.search(r"(?m)^sidebars = (.*)$", (BOOK / "theme.conf").read_text()).group(1)
    component = (PYDATA / "components" / "navbar-logo.html").read_text()
    assert '<a class="navbar-brand logo"' in component
    assert "<nav" not in component and "role=" not in component
    sidebar = (PYDATA / "sections" / "sidebar-primary.html").read_text()
    assert '<div class="sidebar-primary-item' in sidebar
    assert '{% include "components/navbar-logo.html" %}' in (ROOT / "_templates" / "navbar-logo.html").read_text()


# _ext/no_thebe.py and _ext/page_assets.py


def test_jupyter_book_still_adds_thebe_and_sphinx_design_to_every_page():
    from jupyter_book.config import get_default_sphinx_config

    extensions = get_default_sphinx_config()["extensions"]
    assert "sphinx_thebe" in extensions and "sphinx_design" in extensions
    # The assets each extension adds, as the filters name them.
    thebe = source("sphinx_thebe")
    assert 'app.add_js_file(filename="sphinx-thebe.js"' in thebe and 'app.add_css_file("sphinx-thebe.css")' in thebe
    assert "THEBE_JS_URL" in thebe and no_thebe._is_thebe("sphinx-thebe.js")
    design = (package_dir("sphinx_design") / "extension.py").read_text()
    for name in page_assets.SPHINX_DESIGN_ASSETS:
        assert re.search(rf'app\.add_(css|js)_file\("{re.escape(name)}"', design), name
    assert '"sd-' in source("sphinx_design.cards"), "sphinx-design's classes start with sd-"


# _ext/plain_code_tokens.py


def test_pygments_still_wraps_plain_tokens_in_spans_and_leaves_out_an_empty_class():
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer
    from sphinx.highlighting import PygmentsBridge

    code = "t = sp.Symbol(x)\n"
    assert '<span class="n">sp</span><span class="o">.</span>' in highlight(code, PythonLexer(), HtmlFormatter())
    # The theme's styles, read as plain_code_tokens reads them, draw names and brackets as text.
    conf = (package_dir("pydata_sphinx_theme") / "theme" / "pydata_sphinx_theme" / "theme.conf").read_text()
    styles = [re.search(rf"^pygments_{mode}_style = (\S+)", conf, re.M).group(1) for mode in ("light", "dark")]
    formatter = plain_code_tokens.PlainTokensUnmarked()
    formatter.plain = plain_code_tokens.plain_tokens(*styles)
    assert 't <span class="o">=</span> sp<span class="o">.</span>Symbol(x)' in highlight(code, PythonLexer(), formatter)
    # Sphinx's highlighter makes each block's formatter from the attribute that the extension sets.
    assert "self.formatter = self.html_formatter" in inspect.getsource(PygmentsBridge.__init__)
    assert "self.formatter(" in inspect.getsource(PygmentsBridge.get_formatter)


# _ext/accessibility.py


def test_docutils_still_writes_a_deprecated_role_and_file_paths_as_alt_text():
    writer = source("docutils.writers._html_base")
    assert 'role="doc-biblioentry"' in writer
    assert "alt = node.get('alt', uri)" in writer


def test_sphinx_external_toc_still_writes_a_bare_redirect_unless_index_html_exists():
    events = source("sphinx_external_toc.events")
    assert "index_path.exists()" in events
    assert "redirect_text = f'<meta http-equiv=\"Refresh\"" in events and "<html" not in events
    # It runs at the default priority (500), after accessibility.write_index (400).
    assert 'app.connect("build-finished", ensure_index_file)' in source("sphinx_external_toc")


# _ext/solution_titles.py


def test_sphinx_exercise_still_starts_the_link_text_of_a_solution_title_with_a_space():
    from sphinx_exercise import post_transforms

    assert 'updated_title_text = " " + exercise_title' in inspect.getsource(post_transforms.resolve_solution_title)
    assert "resolve_solution_title(" in inspect.getsource(post_transforms.ResolveTitlesInSolutions)
    # The titles are resolved before the space moves out of the link.
    transform = solution_titles.SpaceBeforeExerciseLink
    assert post_transforms.ResolveTitlesInSolutions.default_priority < transform.default_priority


# _ext/font_subset.py


def test_the_theme_still_ships_its_icon_fonts_whole_where_the_cut_looks():
    folder = PYDATA / "static" / font_subset.ICON_FONTS.removeprefix("_static/")
    fonts = {f.name: f.stat().st_size for f in folder.glob("*.woff2")}
    assert set(fonts) >= {"fa-solid-900.woff2", "fa-regular-400.woff2", "fa-brands-400.woff2"}, fonts
    # The solid font, on every page's first load, is whole: far more than the site's icons.
    assert fonts["fa-solid-900.woff2"] > 100_000


def test_the_icon_font_cut_stops_the_build_where_it_finds_no_fonts(tmp_path):
    app = SimpleNamespace(outdir=str(tmp_path), builder=SimpleNamespace(format="html"))
    with pytest.raises(ExtensionError, match="no Font Awesome fonts in .* pydata-sphinx-theme 0.17.1"):
        font_subset.subset_fonts(app, None)


# _static/accessibility.js


def test_togglebutton_still_names_every_button_alike_inside_the_admonition_title():
    script = (TOGGLEBUTTON / "togglebutton.js").read_text()
    assert 'class="toggle-button"' in script and 'aria-label="Toggle hidden content"' in script
    assert 'item.querySelector(".admonition-title")' in script


def test_the_theme_gives_tab_stops_only_to_code_that_scrolls_when_the_page_changes():
    # Its pass runs on load, on resize and when nodes are added to the page, not when a solution
    # opens (a class changes) or a font arrives; accessibility.js adds the tab stops then.
    assert "e.tabIndex=e.scrollWidth>e.clientWidth" in PYDATA_JS
    assert 'observe(document.getElementById("main-content"),{subtree:!0,childList:!0})' in PYDATA_JS


# _ext/search_index_entries.py


def test_sphinx_still_forgets_the_index_entries_of_pages_it_does_not_rewrite():
    load, prune = (inspect.getsource(f) for f in (search_index_entries._load, search_index_entries._prune))
    assert "indexentries" not in load and "_index_entries" not in load
    assert "_index_entries" not in prune
    # What the patch reads and fills is still there under its names.
    from sphinx.search import IndexBuilder
    assert "self._index_entries[docname] = " in inspect.getsource(IndexBuilder.feed)
    assert "indexentries=index_entries" in inspect.getsource(IndexBuilder.freeze)


def test_the_search_index_keeps_the_entries_of_pages_not_rewritten_and_drops_those_of_pages_gone():
    from sphinx.search import IndexBuilder, js_index

    env = SimpleNamespace(version=64, **{f"_search_index_{name}": {} for name in (
        "titles", "filenames", "mapping", "title_mapping", "all_titles", "index_entries", "objtypes", "objnames")})
    previous = js_index.dumps({
        "envversion": 64, "docnames": ["glossary", "gone"], "filenames": ["glossary.md", "gone.md"],
        "titles": ["Glossary", "Gone"], "alltitles": {}, "terms": {}, "titleterms": {},
        "indexentries": {"elbo": [[0, "term-ELBO", True]], "old": [[1, "x", False]]}})
    for method in (search_index_entries.load, search_index_entries.prune):
        setattr(IndexBuilder, method.__name__, method)
    try:
        indexer = IndexBuilder(env, "en", {}, None)
        indexer.load(io.StringIO(previous), js_index)
        indexer.prune(["glossary", "intro"])
    finally:
        IndexBuilder.load, IndexBuilder.prune = search_index_entries._load, search_index_entries._prune
    assert indexer._index_entries == {"glossary": [("elbo", "term-ELBO", "main")]}


# _static/reading.css (its colour: test_links_in_exercises_still_lack_contrast_without_reading_css)


def test_the_theme_css_still_does_what_reading_css_undoes():
    # Display math laid out right to left; inline math as clipped boxes.
    assert "div.math{flex-direction:row-reverse" in PYDATA_CSS
    assert "div.math,span.math{align-items:center;display:flex;max-width:100%;overflow:hidden}" in PYDATA_CSS
    # A light box behind every HTML output in dark mode (the result tables are left out of it).
    assert re.search(r"html\[data-theme=dark\] \.bd-content div\.cell_output \.text_html:not\(:has\(table\.dataframe\)\)"
                     r"[^{]*\{background-color:", PYDATA_CSS)
    # sphinx-togglebutton removes the focus outline of its buttons.
    assert re.search(r"\.toggle-button[^{]*\{[^}]*outline: none", (TOGGLEBUTTON / "togglebutton.css").read_text())


# _config.yml


def test_the_theme_still_complains_about_an_empty_default_mode():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["sphinx"]["config"]["html_context"]["default_mode"] == "auto"
    assert "Got invalid theme mode" in PYDATA_JS
    assert 'document.documentElement.dataset.mode = localStorage.getItem("mode") || "{{ default_mode }}"' in (
        PYDATA / "layout.html").read_text()


# _static/reading.css: its colour, in the browser with and without it

# What reading.css recolours for contrast (WCAG AA, in light mode): links in exercises and
# solutions, on a page that has some.
RECOLOURED = "div.exercise a, div.solution a"
# JavaScript: axe's colour-contrast violations among the elements that match a selector.
CONTRAST_VIOLATIONS = """async (selector) => {
  const result = await axe.run({include: [selector]}, {runOnly: {type: 'rule', values: ['color-contrast']}});
  return result.violations.flatMap(v => v.nodes.map(n => n.target.join(' ')));
}"""


def test_links_in_exercises_still_lack_contrast_without_reading_css(server, browser):
    from test_accessibility import AXE

    found = {}
    for with_css in (False, True):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        if not with_css:
            page.route("**/_static/reading.css*", lambda route: route.abort())
        try:
            page.goto(f"{server}/chapters/b1_divergences_properties.html", wait_until="load")
            page.evaluate("() => document.documentElement.dataset.theme = 'light'")
            page.wait_for_timeout(400)  # the theme's colours change with a transition
            page.add_script_tag(path=str(AXE))
            assert page.locator(RECOLOURED).count() > 0
            found[with_css] = page.evaluate(CONTRAST_VIOLATIONS, RECOLOURED)
        finally:
            context.close()
    assert found[False], "without reading.css, links in exercises have enough contrast: drop its rule"
    assert found[True] == [], found[True]
