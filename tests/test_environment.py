"""The environment `make lab` opens: notebooks must render MyST there, as on the site."""

import json
import subprocess
import sys
from pathlib import Path

import yaml


def test_jupyterlab_myst_is_enabled_and_compatible():
    jupyter = Path(sys.executable).with_name("jupyter")
    listing = subprocess.run([jupyter, "labextension", "list"], capture_output=True, text=True, timeout=120)
    text = listing.stdout + listing.stderr
    line = next((l for l in text.splitlines() if "jupyterlab-myst" in l and " v" in l), "")
    assert "enabled" in line and "OK" in line, text
    assert "not compatible" not in text, text


def test_chapters_with_book_numbers_turn_off_myst_numbering():
    # jupyterlab-myst numbers every display equation unless told not to, which would show
    # "(B.8) (3)"; the site build drops this cell again (_ext/book_equations.py).
    root = Path(__file__).resolve().parent.parent
    checked = 0
    for path in sorted(root.glob("chapters/*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        if not any("\\tag{B." in "".join(cell["source"]) for cell in cells):
            continue
        first = "".join(cells[0]["source"])
        assert cells[0]["cell_type"] == "markdown", path.name
        assert first.startswith("---\n") and yaml.safe_load(first.strip("-\n")) == {"numbering": {"equation": False}}, path.name
        checked += 1
    assert checked >= 2  # chapters 1 and 2 display the appendix's equations
