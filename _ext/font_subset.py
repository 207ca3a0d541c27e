r"""Cut the site's web fonts down to the characters its pages show.

**Font Awesome.** The theme ships Font Awesome's three web fonts whole (about 300 kB; the
solid one, 153 kB, is on every page's first load), while the pages show a few dozen icons.
Each font keeps only the code points that

- an icon class used on some page or in one of the site's scripts names
  (``fa-magnifying-glass`` through the stylesheet's ``.fa-magnifying-glass:before{content:"\f002"}``),
- or any other stylesheet rule puts on the page (the theme's admonition and link icons, set
  through ``content`` and custom properties rather than classes).

Only the rules that define an icon class nobody uses are dropped, so the cut is
conservative. ``tests/test_site.py`` checks, in the browser, that every icon drawn with
Font Awesome on every page is in the font that draws it. The fonts are where
pydata-sphinx-theme 0.17.1 puts them (``ICON_FONTS``); the build stops if none is there.

**KaTeX.** A chapter's formulas use six of KaTeX's fonts, 88 kB, which a page asks for with
its stylesheets (``math_font_preload.py``); each holds a few hundred symbols, of which the
book sets about a hundred. Each KaTeX font keeps every character that some page of the site
contains, markup and prose included: a superset of what its formulas set, found without
knowing which font KaTeX sets each symbol in. ``tests/test_site.py`` checks that every
character inside a formula that KaTeX's own font has is in the site's copy. This runs after
``build_time_math.py`` has copied the fonts into the site.
"""

import html
import re
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont
from sphinx.errors import ExtensionError

from build_time_math import FONTS as MATH_FONTS

ICON_FONTS = "_static/vendor/fontawesome/webfonts"
RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
ICON_CLASS_SELECTOR = re.compile(r"\.(fa-[a-z0-9-]+):(?:before|after)")
# Icons sit in Unicode's private use area, written as an escape ("\f002") or as the character.
CODE_POINT = re.compile(r"\\([ef][0-9a-f]{3})\b|([\ue000-\uf8ff])")
ICON_CLASS_NAME = re.compile(r"\bfa-[a-z0-9-]+")


def code_points_in_use(site):
    """The Font Awesome code points the built site at ``site`` can show."""
    used_names = set()
    for page in site.rglob("*.html"):
        used_names.update(ICON_CLASS_NAME.findall(page.read_text(encoding="utf-8", errors="replace")))
    for script in (site / "_static").rglob("*.js"):
        used_names.update(ICON_CLASS_NAME.findall(script.read_text(encoding="utf-8", errors="replace")))
    keep = set()
    for stylesheet in (site / "_static").rglob("*.css"):
        for selectors, body in RULE.findall(stylesheet.read_text(encoding="utf-8", errors="replace")):
            points = CODE_POINT.findall(body)
            if not points:
                continue
            parts = [s.strip() for s in selectors.split(",")]
            names = [ICON_CLASS_SELECTOR.fullmatch(p) for p in parts]
            if all(names) and not used_names & {m.group(1) for m in names}:
                continue  # an icon class that no page or script uses
            keep.update(int(escape, 16) if escape else ord(char) for escape, char in points)
    return keep


def characters_in_pages(site):
    """Every character of every page of the built site at ``site``, its entities decoded."""
    return {ord(c) for page in site.rglob("*.html")
            for c in html.unescape(page.read_text(encoding="utf-8", errors="replace"))}


def keep_only(font_file, code_points):
    """Rewrite a WOFF2 font with the glyphs of those of ``code_points`` it has."""
    font = TTFont(font_file)
    wanted = sorted(set(code_points) & set(font.getBestCmap()))
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=wanted)
    subsetter.subset(font)
    font.flavor = "woff2"
    font.save(font_file)


def subset_fonts(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    site = Path(app.outdir)
    icon_fonts = sorted((site / ICON_FONTS).glob("*.woff2"))
    if not icon_fonts:
        raise ExtensionError(f"font_subset.py: no Font Awesome fonts in {ICON_FONTS}, where "
                             "pydata-sphinx-theme 0.17.1 puts them: has the theme moved them?")
    icons = code_points_in_use(site)
    for font_file in icon_fonts:
        keep_only(font_file, icons)
    characters = characters_in_pages(site)
    for font_file in sorted((site / MATH_FONTS).glob("*.woff2")):
        keep_only(font_file, characters)


def setup(app):
    # after build_time_math.copy_katex (priority 500), which copies KaTeX's fonts whole
    app.connect("build-finished", subset_fonts, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
