"""Each page asks for the KaTeX fonts its formulas use while its head is read.

A browser asks for a web font only when it lays out text set in it. KaTeX's fonts are
``font-display: block``: until a font arrives, a formula takes the width of a stand-in font, and
when it arrives the formula, and the words after it on its line, move. Lighthouse measured the
moves as a layout shift of 0.07 to 0.08 on a laptop's screen (the glossary's ``\\mathcal{N}``,
chapter 1's first screen), which cost its performance score a point. A
``<link rel="preload" as="font">`` in the head for each font the page's formulas use (added by
a line of script in the head, see ``PRELOAD``) makes the browser fetch it with the stylesheets,
before the page is first laid out.

Which fonts a page uses is read from KaTeX's stylesheet: each of its rules that names a KaTeX
font family (``.katex .mathcal{font-family:KaTeX_Caligraphic}``) is matched against the page's
body, and its family, weight and style are looked up in the stylesheet's ``@font-face`` rules.
``tests/test_site.py`` checks in Chromium that every KaTeX font a page loads was asked for in
its head, and that every font asked for is used.
"""

import functools
import json
import posixpath
from typing import NamedTuple

import tinycss2
from bs4 import BeautifulSoup

from build_time_math import FONTS, KATEX, STYLESHEET

KATEX_CSS = KATEX / STYLESHEET


class Face(NamedTuple):
    family: str
    weight: int   # 400 or 700
    style: str    # "normal" or "italic"


def _declarations(rule):
    """{property: [tokens]} of a qualified rule or an @font-face block."""
    found = {}
    for item in tinycss2.parse_declaration_list(rule.content, skip_whitespace=True, skip_comments=True):
        if item.type == "declaration":
            found[item.lower_name] = [t for t in item.value if t.type not in ("whitespace", "comment")]
    return found


def _face(declarations, family):
    weight = next((t.serialize() for t in declarations.get("font-weight", [])), "400")
    style = next((t.value for t in declarations.get("font-style", []) if t.type == "ident"), "normal")
    return Face(family, 700 if weight in ("700", "bold") else 400, style)


def _family(tokens):
    """The first KaTeX family named in a font-family or font value."""
    return next((t.value for t in tokens if t.type == "ident" and t.value.startswith("KaTeX_")), None)


@functools.cache
def katex_fonts():
    """(the woff2 file of each face, [(selector, face) of each rule that sets a KaTeX family])."""
    files, rules = {}, []
    for rule in tinycss2.parse_stylesheet(KATEX_CSS.read_text(), skip_whitespace=True, skip_comments=True):
        declarations = _declarations(rule)
        if rule.type == "at-rule" and rule.lower_at_keyword == "font-face":
            family = declarations["font-family"][0].value
            url = next(t.value for t in declarations["src"] if t.type == "url" and t.value.endswith(".woff2"))
            files[_face(declarations, family)] = posixpath.basename(url)
        elif rule.type == "qualified-rule":
            family = _family(declarations.get("font-family", []) or declarations.get("font", []))
            if family:
                for selector in tinycss2.serialize(rule.prelude).split(","):
                    rules.append((selector.strip(), _face(declarations, family)))
    return files, rules


def fonts_used(body):
    """The woff2 files of the KaTeX faces that elements of this HTML are set in, sorted."""
    files, rules = katex_fonts()
    soup = BeautifulSoup(body, "html.parser")
    return sorted({files[face] for selector, face in rules if face in files and soup.select_one(selector)})


# The head asks for the fonts from a script: from file://, where a page has no origin, Chromium
# fetches a font that CSS names without CORS, and refuses a preload with an error in the console.
PRELOAD = """<script>if (location.protocol !== "file:") for (const href of {fonts}) document.head.append(
  Object.assign(document.createElement("link"), {{rel: "preload", as: "font", type: "font/woff2", crossOrigin: "anonymous", href}}));</script>
"""


def preload_math_fonts(app, pagename, templatename, context, doctree):
    fonts = [context["pathto"](f"{FONTS}/{font}", 1) for font in fonts_used(context.get("body", ""))]
    if fonts:
        context["metatags"] = context.get("metatags", "") + PRELOAD.format(fonts=json.dumps(fonts))


def setup(app):
    app.connect("html-page-context", preload_math_fonts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
