"""Leave sphinx-thebe's scripts off every page.

Jupyter Book 1 always loads sphinx-thebe, which adds a configuration script and
``sphinx-thebe.js`` to every page (twice: it hooks an event that fires twice, so
the browser reported "THEBE_JS_URL has already been declared" on every page).
This book runs no code in the page, and thebe would load its code from a CDN,
which the site must never do; so the scripts and the stylesheet are dropped.
"""


def _is_thebe(asset):
    name = str(getattr(asset, "filename", asset) or "")
    body = getattr(asset, "attributes", {}).get("body", "")
    return "thebe" in name or "THEBE_JS_URL" in body


def drop_thebe(app, pagename, templatename, context, doctree):
    for key in ("script_files", "css_files"):
        if key in context:
            context[key] = [asset for asset in context[key] if not _is_thebe(asset)]


def setup(app):
    app.connect("html-page-context", drop_thebe)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
