"""A student's use of the notebooks bundle, as tests/test_bundle.py runs it.

Unzip the site's bundle into an empty folder, make a fresh virtual environment with
the Python this checkout's `.venv` was made from, run the README's install command
in the folder, and execute every chapter (and a probe that reports where `mathlib`
came from) with that environment's nbconvert and kernel. Nothing of the repository
is in reach: not its `.venv`, not its sources, not PYTHONPATH.

It takes a few minutes of mostly one core (installing about 120 packages, then the
notebooks), so it is marked `long`: `make test-long` runs it (in one of its two test
processes while the other runs axe, and at low priority).
"""

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "_ext"), str(ROOT / "bundle")]
import make_bundle  # noqa: E402
import notebooks_bundle as bundle  # noqa: E402

ZIP = ROOT / "_build" / "html" / bundle.BUNDLE
LIBRARY = make_bundle.pyproject(ROOT)["project"]["name"]

# A notebook of the test's own (not in the bundle): what the kernel of an executed notebook sees.
PROBE = {
    "cells": [{
        "cell_type": "code", "execution_count": None, "id": "probe", "metadata": {}, "outputs": [],
        "source": "import importlib.metadata, json, sys\nimport mathlib\n"
                  "print(json.dumps({'executable': sys.executable, 'mathlib': mathlib.__file__, "
                  f"'version': importlib.metadata.version({LIBRARY!r}), "
                  "'path': sys.path}))",
    }],
    "metadata": {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                "name": "python3"}},
    "nbformat": 4, "nbformat_minor": 5,
}


def clean_environment(venv):
    """A student's terminal with the venv activated: nothing of this checkout in reach."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "VIRTUAL_ENV", "JUPYTER", "IPYTHON"))}
    path = [p for p in env.get("PATH", "").split(os.pathsep)
            if p and not Path(p).resolve().is_relative_to(ROOT)]
    env["PATH"] = os.pathsep.join([str(venv / "bin")] + path)
    env["VIRTUAL_ENV"] = str(venv)
    # pip byte-compiles every module it installs (all of SymPy, SciPy, JupyterLab...): a
    # minute of CPU that changes nothing here; the modules a notebook imports are compiled
    # then. The install command itself is the README's, as written. (pip reads its --no-*
    # options from the environment inverted: a false value is what turns compiling off.)
    env["PIP_NO_COMPILE"] = "false"
    return env


def run(command, **kwargs):
    """A command at low priority, so that it takes only what the other test process leaves."""
    nice = ["nice", "-n", "10"] if shutil.which("nice") else []
    start = time.monotonic()
    done = subprocess.run(nice + [str(c) for c in command], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, **kwargs)
    return {"returncode": done.returncode, "stdout": done.stdout, "stderr": done.stderr,
            "seconds": time.monotonic() - start}


def student_run(work, zip_path=ZIP):
    """Every step in the empty folder `work`; returns each step's result."""
    report = {}
    if not zip_path.is_file():
        raise FileNotFoundError(f"no {zip_path.name} in the site: run `make book` (make test does it first)")
    start = time.monotonic()
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(work)
    folder = work / bundle.NAME
    venv = work / "venv"
    report["venv"] = str(venv)
    # The Python this checkout's .venv was made from (make's `python3`), not the .venv.
    report["create"] = run([sys._base_executable, "-m", "venv", venv])
    env = clean_environment(venv)
    install = make_bundle.COMMANDS[0].split()
    assert install[0] == "python"
    report["install"] = run([venv / "bin" / "python"] + install[1:], cwd=folder, env=env)
    report["install_seconds"] = time.monotonic() - start
    if report["install"]["returncode"] != 0:
        return report
    report["freeze"] = run([venv / "bin" / "python", "-m", "pip", "freeze", "--all",
                            "--exclude", "pip"], cwd=folder, env=env)
    report["labextensions"] = run([venv / "bin" / "jupyter", "labextension", "list"],
                                  cwd=folder, env=env)
    probe = work / "probe" / "probe.ipynb"
    probe.parent.mkdir()
    probe.write_text(json.dumps(PROBE))
    report["notebooks"] = {}
    start = time.monotonic()
    for notebook in [folder / path.name for path in make_bundle.toc_notebooks(ROOT)] + [probe]:
        report["notebooks"][notebook.name] = run(
            [venv / "bin" / "jupyter", "nbconvert", "--to", "notebook", "--execute",
             "--ExecutePreprocessor.timeout=600", "--output-dir", work / "executed", notebook],
            cwd=folder, env=env)
    report["notebooks_seconds"] = time.monotonic() - start
    executed = json.loads((work / "executed" / "probe.ipynb").read_text())
    report["probe"] = json.loads("".join(executed["cells"][0]["outputs"][0]["text"]))
    report["site_packages"] = str(next((venv / "lib").glob("python3.*/site-packages")))
    return report
