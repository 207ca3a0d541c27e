"""The versions of the key packages, read from requirements.lock, for the About page.

Each pinned package becomes a MyST substitution ``{{ version_<name> }}`` (the name in
lower case with ``-`` and ``.`` as ``_``), so the page quotes the lock file instead
of repeating its numbers by hand.

``read_lock`` is the one reader of the lock file: the notebooks bundle
(bundle/make_bundle.py) pins its requirements with it too.
"""

import re
from pathlib import Path

PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==(\S+)$")


def read_lock(path):
    """{name as the lock writes it: version} of every ``name==version`` line, in order."""
    pins = {}
    for line in Path(path).read_text().splitlines():
        match = PIN.match(line.strip())
        if match:
            pins[match.group(1)] = match.group(2)
    return pins


def add_substitutions(app, config):
    pins = read_lock(Path(app.srcdir) / "requirements.lock")
    versions = {f"version_{re.sub(r'[-.]', '_', name.lower())}": v for name, v in pins.items()}
    config.myst_substitutions = {**config.myst_substitutions, **versions}


def setup(app):
    app.connect("config-inited", add_substitutions)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
