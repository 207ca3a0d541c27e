"""Run the notebooks again as another processor would: NumPy's and OpenBLAS's dispatch turned down.

NumPy picks its SIMD kernels (exp, log, sums, ...) by the processor's features, and
OpenBLAS its BLAS kernels (dot products, matrix products, Cholesky) by the processor's
core; both change the last bits of a result. The committed outputs must hold on every
processor, so this script re-executes every chapter and assignment master under nbval
(strict, against the same committed outputs) with

- ``NPY_DISABLE_CPU_FEATURES`` listing every dispatched feature group this machine has
  (what ``numpy.show_runtime()`` reports as "found"), which leaves NumPy's baseline;
- ``OPENBLAS_CORETYPE`` set to an old core of the machine's architecture, for the
  OpenBLAS of NumPy and of SciPy alike.

Before running the notebooks it checks, in a fresh interpreter, that the variables took
effect (no dispatched group left, both OpenBLAS libraries on the old core) and prints
what changed. Used by ``make test-baseline``; extra arguments go to pytest.
"""

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OLD_CORE = {"x86_64": "Nehalem", "AMD64": "Nehalem", "aarch64": "ARMV8", "arm64": "ARMV8"}

PROBE = """
import json, numpy, scipy.linalg, threadpoolctl
from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
print(json.dumps({
    "numpy_found": [f for f in __cpu_dispatch__ if __cpu_features__.get(f)],
    "openblas": sorted({i["prefix"] + " " + i["version"]: i.get("architecture")
                        for i in threadpoolctl.threadpool_info()
                        if i.get("internal_api") == "openblas"}.items()),
}))
"""


def kernels(env=None):
    """What the processor's dispatch chooses in a fresh interpreter with `env`: NumPy's
    dispatched feature groups in use, and each OpenBLAS library's core."""
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout)


def baseline_environment(env=None):
    """`env` (default: this process's) with the processor's dispatch turned down."""
    env = dict(os.environ if env is None else env)
    native = kernels(env)
    env["NPY_DISABLE_CPU_FEATURES"] = " ".join(native["numpy_found"])
    core = OLD_CORE.get(platform.machine())
    if core:
        env["OPENBLAS_CORETYPE"] = core
    return env


def main(args):
    native = kernels()
    env = baseline_environment()
    turned_down = kernels(env)
    print("native:   NumPy groups", native["numpy_found"] or "none", "| OpenBLAS", native["openblas"])
    print("baseline: NumPy groups", turned_down["numpy_found"] or "none", "| OpenBLAS", turned_down["openblas"])
    print("with NPY_DISABLE_CPU_FEATURES=" + repr(env["NPY_DISABLE_CPU_FEATURES"]),
          "OPENBLAS_CORETYPE=" + repr(env.get("OPENBLAS_CORETYPE", "")))
    if turned_down["numpy_found"]:
        sys.exit(f"dispatch: NumPy still uses {turned_down['numpy_found']} with the variables set")
    if "OPENBLAS_CORETYPE" in env and any(arch != env["OPENBLAS_CORETYPE"] for _, arch in turned_down["openblas"]):
        sys.exit(f"dispatch: OpenBLAS did not switch to {env['OPENBLAS_CORETYPE']}: {turned_down['openblas']}")
    notebooks = [a for a in args if a.endswith(".ipynb")] or sorted(
        str(p.relative_to(ROOT)) for p in [*ROOT.glob("chapters/*.ipynb"), *ROOT.glob("assignments/*.ipynb")])
    options = [a for a in args if not a.endswith(".ipynb")]
    # The project's pytest settings (nbval strict, its sanitizer) for any notebook given.
    command = [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT),
               *options, *notebooks]
    sys.exit(subprocess.run(command, env=env, cwd=ROOT).returncode)


if __name__ == "__main__":
    main(sys.argv[1:])
