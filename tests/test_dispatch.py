"""The second pass of the notebooks (`make test-baseline`, tests/dispatch.py) changes the kernels
it claims to change, and catches an output that depends on them."""

import platform
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import dispatch

ROOT = Path(__file__).resolve().parents[1]

# A matrix product's last bits depend on the BLAS kernel (blocking, FMA or not): printed in
# full, it is exactly the kind of output that passes on one processor and fails on another.
# (A digest of all 90,000 entries: on a SkylakeX core against Nehalem's, entry [0, 0] came out
# the same to the last bit, and others did not.)
PRODUCT = """import hashlib
import numpy as np
A = np.random.default_rng(0).standard_normal((300, 300))
"""
UNSTABLE = PRODUCT + "print(hashlib.sha256((A @ A).tobytes()).hexdigest())"
STABLE = PRODUCT + 'print(f"{(A @ A)[0, 0]:.10f}")'


@pytest.fixture(scope="module")
def native_and_baseline():
    baseline = dispatch.baseline_environment()
    return dispatch.kernels(), dispatch.kernels(baseline), baseline


def test_numpy_dispatch_is_turned_down_to_the_baseline(native_and_baseline):
    native, turned_down, env = native_and_baseline
    assert set(env["NPY_DISABLE_CPU_FEATURES"].split()) == set(native["numpy_found"])
    assert turned_down["numpy_found"] == []


def test_openblas_of_numpy_and_scipy_switch_to_the_old_core(native_and_baseline):
    native, turned_down, env = native_and_baseline
    core = dispatch.OLD_CORE.get(platform.machine())
    if core is None:
        pytest.skip(f"no older OpenBLAS core is known for {platform.machine()}")
    assert env["OPENBLAS_CORETYPE"] == core
    assert len(turned_down["openblas"]) == 2  # NumPy's and SciPy's own libraries
    assert {arch for _, arch in turned_down["openblas"]} == {env["OPENBLAS_CORETYPE"]}


def saved_notebook(folder, source):
    """A one-cell notebook executed here, with its outputs, as a chapter is committed."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    path = folder / "saved.ipynb"
    nbformat.write(nb, path)
    return path


def second_pass(path):
    return subprocess.run([sys.executable, str(ROOT / "tests" / "dispatch.py"), "-p", "no:xdist", str(path)],
                          capture_output=True, text=True, cwd=ROOT)


def test_an_output_that_depends_on_the_kernels_fails_the_second_pass(native_and_baseline, tmp_path):
    native, turned_down, _ = native_and_baseline
    if {arch for _, arch in native["openblas"]} == {dispatch.OLD_CORE.get(platform.machine())}:
        pytest.skip("this processor's OpenBLAS core is the old one already")
    run = second_pass(saved_notebook(tmp_path, UNSTABLE))
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 failed" in run.stdout and "Cell outputs differ" in run.stdout


def test_the_same_output_printed_to_its_stable_digits_passes(tmp_path):
    run = second_pass(saved_notebook(tmp_path, STABLE))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed" in run.stdout
