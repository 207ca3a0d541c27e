"""A student's use of the notebooks bundle, as tests/test_bundle.py runs it.

Unzip the site's bundle into an empty folder, make a fresh virtual environment with
the Python this checkout's `.venv` was made from, run the README's install command
in the folder, and execute every chapter (and a probe that reports where `mathlib`
came from) with that environment's nbconvert and kernel. Nothing of the repository
is in reach: not its `.venv`, not its sources, not PYTHONPATH.

It takes a few minutes of mostly one core (installing about 120 packages, then the
notebooks); `make test` runs it in one of its two test processes while the other
runs the rest, and at low priority, so that it takes only what the other leaves.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "_ext"))
import notebooks_bundle as bundle  # noqa: E402

ZIP = ROOT / "_build" / "html" / bundle.BUNDLE

# A notebook of the test's own (not in the bundle): what the kernel of an executed notebook sees.
PROBE = {
    "cells": [{
        "cell_type": "code", "execution_count": None, "id": "probe", "metadata": {}, "outputs": [],
        "source": "import importlib.metadata, json, sys\nimport mathlib\n"
                  "print(json.dumps({'executable': sys.executable, 'mathlib': mathlib.__file__, "
                  f"'version': importlib.metadata.version({bundle.project()[0]['name']!r}), "
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


class Run:
    """The background run: its steps' results, or the exception that stopped it."""

    def __init__(self, zip_path=ZIP):
        self.zip_path = zip_path
        self.report, self.error = {}, None
        self.process = None
        self.stopped = False
        self.thread = threading.Thread(target=self._main, daemon=True)
        self.thread.start()

    def _run(self, command, **kwargs):
        """A command at low priority, so that it takes only what the other tests leave."""
        if self.stopped:
            raise RuntimeError("the test session ended")
        nice = ["nice", "-n", "10"] if shutil.which("nice") else []
        start = time.monotonic()
        self.process = subprocess.Popen(nice + [str(c) for c in command], stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        start_new_session=True, **kwargs)
        stdout, stderr = self.process.communicate()
        return {"returncode": self.process.returncode, "stdout": stdout, "stderr": stderr,
                "seconds": time.monotonic() - start}

    def _main(self):
        try:
            self.work = Path(tempfile.mkdtemp(prefix="bundle-student-"))
            self._steps()
        except BaseException as error:  # reported by the test
            self.error = error

    def _steps(self):
        report, work = self.report, self.work
        if not self.zip_path.is_file():
            raise FileNotFoundError(f"no {self.zip_path.name} in the site: run `make book` (make test does it first)")
        start = time.monotonic()
        with zipfile.ZipFile(self.zip_path) as zf:
            zf.extractall(work)
        folder = work / bundle.NAME
        venv = work / "venv"
        report["venv"] = str(venv)
        # The Python this checkout's .venv was made from (make's `python3`), not the .venv.
        report["create"] = self._run([sys._base_executable, "-m", "venv", venv])
        env = clean_environment(venv)
        install = bundle.COMMANDS[0].split()
        assert install[0] == "python"
        report["install"] = self._run([venv / "bin" / "python"] + install[1:], cwd=folder, env=env)
        report["install_seconds"] = time.monotonic() - start
        if report["install"]["returncode"] != 0:
            return
        report["freeze"] = self._run([venv / "bin" / "python", "-m", "pip", "freeze", "--all",
                                      "--exclude", "pip"], cwd=folder, env=env)
        report["labextensions"] = self._run([venv / "bin" / "jupyter", "labextension", "list"],
                                            cwd=folder, env=env)
        probe = work / "probe" / "probe.ipynb"
        probe.parent.mkdir()
        probe.write_text(json.dumps(PROBE))
        report["notebooks"] = {}
        start = time.monotonic()
        for notebook in [folder / path.name for path in bundle.chapter_notebooks()] + [probe]:
            report["notebooks"][notebook.name] = self._run(
                [venv / "bin" / "jupyter", "nbconvert", "--to", "notebook", "--execute",
                 "--ExecutePreprocessor.timeout=600", "--output-dir", work / "executed", notebook],
                cwd=folder, env=env)
        report["notebooks_seconds"] = time.monotonic() - start
        executed = json.loads((work / "executed" / "probe.ipynb").read_text())
        report["probe"] = json.loads("".join(executed["cells"][0]["outputs"][0]["text"]))
        report["site_packages"] = str(next((venv / "lib").glob("python3.*/site-packages")))

    def wait(self):
        self.thread.join()
        return self.report, self.error

    def stop(self):
        """End the run (the session is over): stop its command, remove its folder."""
        self.stopped = True
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)  # the command and the kernel it started
        self.thread.join(timeout=60)
        if getattr(self, "work", None) is not None:
            shutil.rmtree(self.work, ignore_errors=True)

