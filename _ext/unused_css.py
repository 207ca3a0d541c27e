"""The packaged stylesheets, cut to the rules that the site's pages can use.

Every page loads the theme's stylesheet before it draws anything: pydata-sphinx-theme.css is
397 kB (65 kB compressed), all of Bootstrap and every component the theme offers, and
Lighthouse found 91% of it unused on every page. A phone on a slow network waited for it
before its first paint, and every element of a page was matched against its thousands of
rules. Cut, it is 19 kB compressed, and Lighthouse's simulated phone showed the References page
first at 1.5 s instead of 2.1 s (benchmarks/lighthouse.py).

When the site is built, each stylesheet of ``PURGED`` loses what no page can match: a selector
goes when it names a class or an id (``.name``, ``#name``) that appears in no page of the site
and in no script that it serves, the way PurgeCSS decides, and a rule goes with its last one.
Selectors that name only elements, attributes or states stay, as do classes inside ``:not()``,
``:is()``, ``:where()`` and ``:has()``. The rules inside ``@media``, ``@supports``, ``@layer``
and ``@container`` are cut the same way, and the block goes when none is left; other at-rules
(``@font-face``, ``@keyframes``) stay whole. The classes that Bootstrap writes by joining strings
(``bs-tooltip-`` + placement) are kept by ``CONSTRUCTED``. The source map of a cut stylesheet
would be wrong and is removed.

The cut files stay where Sphinx writes them; Sphinx copies the full files again at each
build, so a page that starts using a class finds its rules at the next build.
``tests/test_unused_css.py`` compares pages drawn with the cut and the full stylesheets, pixel
for pixel (2/255 apart at most).
"""

import re
from pathlib import Path

import tinycss2

# Each cut stylesheet of the built site (a glob under _static) and the package file it comes from.
PURGED = {
    "styles/pydata-sphinx-theme.css": ("pydata_sphinx_theme", "theme/pydata_sphinx_theme/static/styles/pydata-sphinx-theme.css"),
    "styles/sphinx-book-theme.css": ("sphinx_book_theme", "theme/sphinx_book_theme/static/styles/sphinx-book-theme.css"),
    "mystnb.*.css": ("myst_nb", "static/mystnb.css"),
}
CONSTRUCTED = re.compile(r"bs-(tooltip|popover)-")
WORD = re.compile(r"[A-Za-z0-9_-]+")
GROUPS = {"media", "supports", "layer", "container"}


def words_in_use(site):
    """Every word of every page and every script of the site: the names a selector may need."""
    files = [*site.glob("**/*.html"), *(site / "_static").glob("**/*.js")]
    return {word for file in files for word in WORD.findall(file.read_text(encoding="utf-8", errors="replace"))}


def named(selector):
    """The classes and ids that a selector (tinycss2 tokens) requires, outside functions and []."""
    names, after_dot = [], False
    for token in selector:
        if after_dot and token.type == "ident":
            names.append(token.value)
        elif token.type == "hash" and token.is_identifier:
            names.append(token.value)
        after_dot = token.type == "literal" and token.value == "."
    return names


def selectors(prelude):
    """A rule's selector list, split at its top-level commas."""
    found = [[]]
    for token in prelude:
        if token.type == "literal" and token.value == ",":
            found.append([])
        else:
            found[-1].append(token)
    return found


def usable(selector, words):
    return all(name in words or CONSTRUCTED.match(name) for name in named(selector))


def cut(rules, words):
    """The CSS text of ``rules`` without the selectors, and the rules, that no page can match."""
    kept = []
    for rule in rules:
        if rule.type == "qualified-rule":
            usable_selectors = [s for s in selectors(rule.prelude) if usable(s, words)]
            if usable_selectors:
                prelude = ",".join(tinycss2.serialize(s).strip() for s in usable_selectors)
                kept.append(f"{prelude}{{{tinycss2.serialize(rule.content)}}}")
        elif rule.type == "at-rule" and rule.lower_at_keyword in GROUPS and rule.content is not None:
            inner = cut(tinycss2.parse_blocks_contents(rule.content, skip_whitespace=True, skip_comments=True), words)
            if inner:
                kept.append(f"@{rule.at_keyword}{tinycss2.serialize(rule.prelude)}{{{inner}}}")
        elif rule.type == "at-rule":
            kept.append(tinycss2.serialize([rule]))
    return "".join(kept)


def purge(css, words):
    return cut(tinycss2.parse_stylesheet(css, skip_whitespace=True, skip_comments=True), words)


def purge_site(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    site = Path(app.outdir)
    words = words_in_use(site)
    for pattern in PURGED:
        for stylesheet in (site / "_static").glob(pattern):
            stylesheet.write_text(purge(stylesheet.read_text(encoding="utf-8"), words), encoding="utf-8")
            stylesheet.with_name(stylesheet.name + ".map").unlink(missing_ok=True)


def setup(app):
    app.connect("build-finished", purge_site)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
