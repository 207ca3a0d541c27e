"""The versions of the key packages, read from requirements.lock, for the About page.

Each pinned package becomes a MyST substitution ``{{ version_<name> }}`` (the name in
lower case with ``-`` and ``.`` as ``_``), so the page quotes the lock file instead
of repeating its numbers by hand.
"""

import re
from pathlib import Path

LOCK = Path(__file__).resolve().parent.parent / "requirements.lock"
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==(\S+)$")


def pinned_versions():
    pins = {}
    for line in LOCK.read_text().splitlines():
        match = PIN.match(line.strip())
        if match:
            pins[re.sub(r"[-.]", "_", match.group(1).lower())] = match.group(2)
    return pins


def add_substitutions(app, config):
    config.myst_substitutions = {**config.myst_substitutions,
                                 **{f"version_{name}": v for name, v in pinned_versions().items()}}


def setup(app):
    app.connect("config-inited", add_substitutions)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
