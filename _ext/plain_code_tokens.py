"""Code drawn in the code block's own colour is written as plain text, not one span per token.

Pygments wraps every token of a code block in a ``<span class="...">``: a name, a dot, a
bracket, the spaces between them. The theme's light and dark styles (pydata-sphinx-theme's
``pygments_light_style`` and ``pygments_dark_style``) draw names, punctuation and white space
exactly as the block's own text, so those spans change nothing on the page, while they were
about a quarter of a chapter page's elements: each element costs a phone time to style and
lay out (Lighthouse's total blocking time). Here Pygments writes the tokens that both styles
draw as plain text without a span; it joins neighbouring plain tokens into one run of text.
Every other token keeps its class and colour. tests/test_site.py checks that no class left
out has a colour of its own in the site's ``pygments.css``, and the elements per page.
"""

from pygments.formatters import HtmlFormatter
from pygments.styles import get_style_by_name
from pygments.token import Text


def plain_tokens(*style_names):
    """The token types that every one of the styles draws as its plain text."""
    styles = [get_style_by_name(name) for name in style_names]
    return frozenset(token for token, _ in styles[0]
                     if all(s.style_for_token(token) == s.style_for_token(Text) for s in styles))


class PlainTokensUnmarked(HtmlFormatter):
    plain = frozenset()

    def _get_css_classes(self, ttype):
        return "" if ttype in self.plain else super()._get_css_classes(ttype)


def use_formatter(app):
    if app.builder.format != "html" or not hasattr(app.builder, "theme"):
        return
    options = app.builder.theme.get_options(app.config.html_theme_options)
    PlainTokensUnmarked.plain = plain_tokens(options["pygments_light_style"], options["pygments_dark_style"])
    # The builder's highlighter (Sphinx's PygmentsBridge) makes its formatter from this class.
    app.builder.highlighter.formatter = PlainTokensUnmarked


def setup(app):
    app.connect("builder-inited", use_formatter)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
