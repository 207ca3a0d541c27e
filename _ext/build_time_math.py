"""Typeset every formula when the book is built, so that a page shows its math at once.

Each formula is written into the page by KaTeX, which runs in node through the render
server of ``sphinxcontrib-katex`` (its ``katex_prerender`` machinery), as

- KaTeX's HTML, which the reader sees: it needs only KaTeX's stylesheet and fonts, no
  JavaScript, so formulas show with JavaScript off and from ``file://``;
- MathML with the formula's TeX as an annotation, which screen readers read and which
  KaTeX's ``copy-tex`` script puts on the clipboard when a reader copies a formula.

KaTeX itself, its stylesheet, fonts and ``copy-tex`` come from npm's ``katex``
(``package.json``, installed by ``make``) and are served by the site from
``_static/katex/``: nothing is loaded from elsewhere. The equation numbers (B.n) are
Sphinx's, set by ``book_equations.py``, and are written beside the display as before.

A formula that KaTeX cannot typeset is a build warning at its place in the source (so the
``-W`` build fails), never red text on the page.

An inline formula is kept on one line with the punctuation that touches it, "(" or an opening
quotation mark before, "." or a closing quotation mark after: a browser may otherwise break
the line between the formula and a full stop, or start a line with a closing quote.

``use_katex`` replaces a method and two constants of ``sphinxcontrib.katex`` (see there), as
they are in the version pinned in ``requirements.lock``, ``KATEX_WRITTEN_FOR``; the build
stops if one of them is gone (tests/test_workarounds.py checks that each is still needed).
A display that states one relation, written as an ``aligned`` block whose lines are broken
only so that it fits a phone, flows instead (``flowing``): it is set as one line in display
style, which a laptop's column holds, and a browser breaks it only where its author broke it,
before a continuation's operator or after the relation, when the column is narrower. Each
piece between those breaks is a group that cannot break inside. A display with two relations
or more (a derivation, a system) keeps its lines.
"""

import operator
import re
import shutil
import socket
import time
from pathlib import Path
from subprocess import PIPE, Popen

from docutils import nodes
from sphinx.errors import ExtensionError
from sphinx.locale import _
from sphinx.util import logging
from sphinx.util.math import get_node_equation_number
from sphinxcontrib import katex

KATEX = Path(__file__).resolve().parent.parent / "node_modules" / "katex" / "dist"
TARGET = "katex"  # under the site's _static folder
FONTS = f"_static/{TARGET}/fonts"  # where copy_katex puts KaTeX's fonts in the site
STYLESHEET, COPY_TEX = "katex.min.css", "contrib/copy-tex.min.js"
# Fail on anything KaTeX would otherwise only colour red or render approximately.
OPTIONS = {"throwOnError": True, "strict": "error", "output": "htmlAndMathml"}
# What this extension uses of sphinxcontrib-katex, written for the version below: the start
# method use_katex replaces and the two it calls, the constants it replaces (a missing one
# would be set anew and never read), KaTeX's path, and the renderer and its error
# (book_pdf.py caches the renderer).
KATEX_WRITTEN_FOR = "0.9.11"
KATEX_USED = ["KaTeXServer.katex_path", "KaTeXServer.start_server_process",
              "KaTeXServer.build_command", "KaTeXServer.timeout_error", "STARTUP_TIMEOUT", "RENDER_TIMEOUT",
              "render_latex", "KaTeXError"]
# The timeouts use_katex sets (s): sphinxcontrib-katex's defaults are 5 s for each.
STARTUP_TIMEOUT, RENDER_TIMEOUT = 120.0, 60.0

logger = logging.getLogger(__name__)
OPENING = re.compile(r"[(\[“‘]+$")
CLOSING = re.compile(r"^[.,;:!?)\]”’]+")


def typeset(translator, node, display):
    """KaTeX's HTML and MathML for the formula of ``node``."""
    latex = node.astext()
    try:
        return katex.render_latex(latex, {**OPTIONS, "displayMode": display})
    except katex.KaTeXError as error:
        logger.warning("KaTeX cannot typeset %r: %s", latex, error, location=node)
        return translator.encode(latex)


ALIGNED = re.compile(r"\A\s*\\begin\{aligned\}(.*)\\end\{aligned\}\s*\Z", re.S)
ROW_END = re.compile(r"\\\\(?:\[[^\]]*\])?")
# What an authored line may start with besides its content: alignment, spacing, an empty group.
LEAD = re.compile(r"\A(?:&|\\q?quad\b|\\[,;:! ]|~|\{\}|\s)+")
RELATION = r"=|<|>|\\(?:le|ge|leq|geq|approx|ne|neq|equiv|to|sim|propto|Rightarrow|iff)(?![A-Za-z])"
OPERATOR = r"[-+]|\\(?:pm|mp|cdot|times)(?![A-Za-z])"
STARTS = re.compile(rf"\A({RELATION}|{OPERATOR})\s*")


def _top_level(text, pattern):
    """Matches of ``pattern`` in ``text`` outside braces, as (start, end)."""
    found, depth, i = [], 0, 0
    regex = re.compile(pattern)
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in "{}":
            i += 2
            continue
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        match = regex.match(text, i) if depth == 0 else None
        if match and match.end() > i:
            found.append(match.span())
            i = match.end()
        else:
            i += 1
    return found


def flowing(latex):
    """The TeX of a display that may flow (see above), or None for one that keeps its lines."""
    aligned = ALIGNED.match(latex)
    if not aligned:
        return None
    rows = [LEAD.sub("", re.sub(r"(?<!\\)&", " ", row).strip()) for row in ROW_END.split(aligned.group(1))]
    rows = [row for row in rows if row]
    if len(rows) < 2 or len(_top_level(" ".join(rows), RELATION)) != 1:
        return None
    pieces = []
    for k, row in enumerate(rows):
        start = STARTS.match(row) if k else None
        if start:
            pieces.append(start.group(1))
            row = row[start.end():]
        # A relation inside a line is a place to break too: "{H(p)} = {-\big( ...}".
        cuts = _top_level(row, RELATION)
        at = 0
        for begin, end in cuts:
            pieces += [f"{{{row[at:begin].strip()}}}", row[begin:end]]
            at = end
        pieces.append(f"{{{row[at:].strip()}}}")
    return "\\displaystyle " + " ".join(p for p in pieces if p != "{}")


def visit_inline_math(translator, node):
    translator.body.append(translator.starttag(node, "span", "", CLASS="math notranslate nohighlight"))
    translator.body.append(typeset(translator, node, display=False))
    translator.body.append("</span>")
    raise nodes.SkipNode


def visit_display_math(translator, node):
    translator.body.append(translator.starttag(node, "div", CLASS="math notranslate nohighlight"))
    if node["number"]:
        translator.body.append(f'<span class="eqno">({get_node_equation_number(translator, node)})')
        translator.add_permalink_ref(node, _("Link to this equation"))
        translator.body.append("</span>")
    flow = flowing(node.astext())
    if flow is None:
        translator.body.append(typeset(translator, node, display=True))
    else:
        translator.body.append('<span class="katex-display katex-flow">')
        translator.body.append(typeset(translator, nodes.math_block(flow, flow, source=node.source, line=node.line),
                                       display=False))
        translator.body.append("</span>")
    translator.body.append("</div>\n")
    raise nodes.SkipNode


def keep_punctuation_with_inline_math(app, doctree, docname):
    """Wrap each inline formula and the punctuation that touches it in a ``nowrap`` span."""
    for math in list(doctree.findall(nodes.math)):
        parent = math.parent
        index = parent.index(math)
        before = parent[index - 1] if index > 0 else None
        after = parent[index + 1] if index + 1 < len(parent) else None
        opening = OPENING.search(before.astext()) if isinstance(before, nodes.Text) else None
        closing = CLOSING.search(after.astext()) if isinstance(after, nodes.Text) else None
        if not (opening or closing):
            continue
        group = nodes.inline(classes=["nowrap"])
        if opening:
            parent.replace(before, nodes.Text(before.astext()[: opening.start()]))
            group += nodes.Text(opening.group())
        parent.replace(math, group)
        group += math
        if closing:
            parent.replace(after, nodes.Text(after.astext()[closing.end():]))
            group += nodes.Text(closing.group())


def check_katex_internals():
    """Stop unless sphinxcontrib-katex still has everything this extension uses or replaces."""
    missing = []
    for name in KATEX_USED:
        try:
            operator.attrgetter(name)(katex)
        except AttributeError:
            missing.append(name)
    if missing:
        raise ExtensionError(
            f"build_time_math.py was written for sphinxcontrib-katex {KATEX_WRITTEN_FOR}, and "
            f"sphinxcontrib-katex {katex.__version__} has no {', '.join(missing)}: adapt "
            f"use_katex to it, or pin sphinxcontrib-katex=={KATEX_WRITTEN_FOR} in requirements.lock")


def start_on_unix_socket(server, rundir, timeout):
    """Node's KaTeX server on a Unix socket, connected once node listens on it.

    sphinxcontrib-katex connects as soon as the socket file exists, a moment before node
    listens: on a busy machine the connection was refused and the build failed. Its loopback
    TCP start (for Windows) retries, but each formula then waits for a delayed TCP
    acknowledgement (its request and node's answer are each written in two parts): about
    90 ms a formula, over a minute for the book's 750 formulas, against a few seconds here.
    """
    path = rundir / "katex.sock"
    process = Popen(server.build_command(socket=path), stdin=PIPE, stdout=PIPE, cwd=rundir)
    deadline = time.monotonic() + timeout
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(str(path))
            return process, sock
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            if process.poll() is not None:
                raise katex.KaTeXError(f"node's KaTeX server stopped ({process.returncode}) before it listened")
            if time.monotonic() > deadline:
                process.kill()
                raise server.timeout_error(timeout)
            time.sleep(0.01)


def use_katex(app, config):
    if not (KATEX / "katex.min.js").is_file():
        raise ExtensionError(f"KaTeX is missing from {KATEX}: run `npm ci` (make does)")
    config.html_math_renderer = "katex_build"
    katex.KaTeXServer.katex_path = str(KATEX / "katex.min.js")
    katex.KaTeXServer.start_server_process = classmethod(start_on_unix_socket)
    # It gives node 5 s to start and KaTeX 5 s per formula; tests beside the build can take longer.
    katex.STARTUP_TIMEOUT, katex.RENDER_TIMEOUT = STARTUP_TIMEOUT, RENDER_TIMEOUT


def copy_katex(app, exception):
    """KaTeX's stylesheet, its fonts (WOFF2, which every current browser reads) and copy-tex."""
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / TARGET
    (target / "contrib").mkdir(parents=True, exist_ok=True)
    for part in (STYLESHEET, COPY_TEX):
        shutil.copy2(KATEX / part, target / part)
    shutil.copytree(KATEX / "fonts", Path(app.outdir) / FONTS, ignore=shutil.ignore_patterns("*.woff", "*.ttf"),
                    dirs_exist_ok=True)


def setup(app):
    check_katex_internals()
    app.add_html_math_renderer("katex_build", (visit_inline_math, None), (visit_display_math, None))
    app.add_css_file(f"{TARGET}/{STYLESHEET}")
    app.add_js_file(f"{TARGET}/{COPY_TEX}", defer="defer")
    app.connect("config-inited", use_katex)
    app.connect("doctree-resolved", keep_punctuation_with_inline_math)
    app.connect("build-finished", copy_katex)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
