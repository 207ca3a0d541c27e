"""Helpers for the grader's tests: submissions made from the masters, and running `autograde grade`."""

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
AUTOGRADE = ROOT / "assignments" / "autograde.py"
sys.path.insert(0, str(ROOT / "assignments"))

from grader import build  # noqa: E402

A1, A2, A3 = "a1_discrete_divergences", "a2_kl_between_normals", "a3_cross_entropy_loss"


def _declared(path):
    """A master's metadata.assignment ({} where it has none: the build refuses it, naming the file)."""
    meta = nbformat.read(path, as_version=4).metadata.get("assignment")
    return meta if isinstance(meta, dict) else {}


# Every master, by its assignment's name (the tests take no list of assignments), and its full
# marks: the total its metadata declares (the build refuses tests that do not add up to it), or
# else the sum of its tests' points.
MASTERS = {_declared(p).get("name", p.stem): p for p in build.masters()}
FULL = {name: _declared(path).get("points") or build.bundles()[name].maximum for name, path in MASTERS.items()}


def needs_sandbox():
    """Skip where bubblewrap is missing, except in CI, where it must be there."""
    if shutil.which("bwrap") is None and not os.environ.get("CI"):
        pytest.skip("bubblewrap is not installed (CI installs it)")


# The forbidden way of assignment 2's question 1 (inverse and determinants), as `_impl`.
INV_DET = ("def _impl(mu1, S1, mu2, S2):\n"
           "    mu1, mu2, S1, S2 = (np.asarray(a, dtype=float) for a in (mu1, mu2, S1, S2))\n"
           "    d = mu1 - mu2\n    S2inv = np.linalg.inv(S2)\n"
           "    return 0.5 * (np.trace(S2inv @ S1) + d @ S2inv @ d - len(d)\n"
           "                  + np.log(np.linalg.det(S2) / np.linalg.det(S1)))\n")
PINV_SLOGDET = INV_DET.replace("inv(", "pinv(").replace(
    "np.log(np.linalg.det(S2) / np.linalg.det(S1))", "np.linalg.slogdet(S2)[1] - np.linalg.slogdet(S1)[1]")


def master(name):
    return nbformat.read(MASTERS[name], as_version=4)


def solved(name):
    """A submission that solves everything: the master without its tests."""
    nb = master(name)
    nb.cells = [c for c in nb.cells if "tests" not in c.metadata.get("tags", [])]
    return nb


def untouched(name):
    """The student copy as `make assignments` builds it (built now if it is missing or stale)."""
    build.bundles()
    return nbformat.read(build.OUT / "student" / name / f"{name}.ipynb", as_version=4)


def with_cell(nb, source, at=None):
    """A copy of a notebook with one more code cell at index `at` (default: at the end)."""
    out = nbformat.reads(nbformat.writes(nb), as_version=4)
    out.cells.insert(len(out.cells) if at is None else at, nbformat.v4.new_code_cell(source))
    return out


def grade(folder, csv_path, *options, env=None, timeout=600):
    """`autograde.py grade` as `make grade` runs it, in a process of its own."""
    return subprocess.run([sys.executable, str(AUTOGRADE), "grade", str(folder), str(csv_path), *options],
                          capture_output=True, text=True, timeout=timeout, env=env)


def merge(csv_path, *parts_and_options, timeout=600):
    """`autograde.py merge` as `make merge-grades` runs it, in a process of its own."""
    return subprocess.run([sys.executable, str(AUTOGRADE), "merge", str(csv_path), *map(str, parts_and_options)],
                          capture_output=True, text=True, timeout=timeout)


def rows(csv_path):
    with open(csv_path, newline="") as f:
        return {row["submission"].removesuffix(".ipynb"): row for row in csv.DictReader(f)}
