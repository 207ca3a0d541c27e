"""The environment `make lab` opens: notebooks must render MyST there, as on the site."""

import subprocess
import sys
from pathlib import Path


def test_jupyterlab_myst_is_enabled_and_compatible():
    jupyter = Path(sys.executable).with_name("jupyter")
    listing = subprocess.run([jupyter, "labextension", "list"], capture_output=True, text=True, timeout=120)
    text = listing.stdout + listing.stderr
    line = next((l for l in text.splitlines() if "jupyterlab-myst" in l and " v" in l), "")
    assert "enabled" in line and "OK" in line, text
    assert "not compatible" not in text, text
