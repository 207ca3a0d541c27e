"""The library as its wheel declares it: built, then installed alone in a fresh virtual environment.

The wheel of ``mathlib-medl`` is built from a copy of its sources (no ``build/`` left in the
checkout) and installed with pip, nothing else, into a fresh virtual environment of the Python
this checkout's ``.venv`` was made from, at the versions of ``requirements.lock``. First on its
own: every module of the numerical library imports and computes, and the two modules with
optional dependencies say which extra they need. Then with those extras, ``[symbolic]`` and
``[reference]``: they import too. Nothing of the checkout is in reach (``python -I``, another
folder). pip finds the packages where it is configured to (an index, or a local mirror); it
takes about a minute (30 s of CPU), most of it pip installing NumPy, SciPy and SymPy, so it is
marked `long` (`make test-long`).
"""

import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The library's modules that need an optional dependency, and the extra that installs it.
OPTIONAL = {"mathlib.symbolic": ("symbolic", "sympy"), "mathlib.reference": ("reference", "mpmath")}


def run(command, **kwargs):
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=600, **kwargs)
    return done


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    """(python of a fresh venv, the wheel, a clean environment), the wheel not installed yet."""
    work = tmp_path_factory.mktemp("wheel")
    src = work / "src"
    src.mkdir()
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    for name in ["pyproject.toml", meta["project"]["readme"]]:
        shutil.copy2(ROOT / name, src / name)
    for package in meta["tool"]["setuptools"]["packages"]:
        shutil.copytree(ROOT / package, src / package, ignore=shutil.ignore_patterns("__pycache__"))
    built = run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                 "--disable-pip-version-check", "--wheel-dir", work / "dist", src])
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (work / "dist").glob("*.whl")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PIP_NO_COMPILE"] = "false"  # (pip reads --no-compile inverted from the environment)
    created = run([sys._base_executable, "-m", "venv", work / "venv"], env=env)
    assert created.returncode == 0, created.stderr
    yield work / "venv" / "bin" / "python", wheel, env
    shutil.rmtree(work, ignore_errors=True)


def pip_install(python, requirement, env):
    done = run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                "-c", ROOT / "requirements.lock", requirement], env=env, cwd=python.parent)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    listed = run([python, "-m", "pip", "list", "--format", "json", "--disable-pip-version-check"], env=env)
    return {package["name"].lower() for package in json.loads(listed.stdout)}


def python_says(python, code, env):
    """Run ``code`` isolated from the checkout (``-I``, another folder)."""
    return run([python, "-I", "-c", code], env=env, cwd=python.parent)


@pytest.mark.long
def test_the_wheel_installs_alone_then_with_its_extras(venv):
    python, wheel, env = venv
    with zipfile.ZipFile(wheel) as zf:
        modules = sorted(name[:-3].replace("/", ".").removesuffix(".__init__")
                         for name in zf.namelist() if name.endswith(".py"))
    assert set(OPTIONAL) < set(modules), modules
    core = [m for m in modules if m not in OPTIONAL]

    # Alone: exactly the declared dependencies, and the whole numerical library works.
    installed = pip_install(python, wheel, env)
    assert {"numpy", "scipy", "mathlib-medl"} <= installed
    assert not {"sympy", "mpmath"} & installed, installed
    done = python_says(python, "import importlib, mathlib\n"
                       f"for m in {core!r}: importlib.import_module(m)\n"
                       "print(mathlib.__file__)\n"
                       "print(round(float(mathlib.kl_mvn([1.0, 0.0], [[1, 0], [0, 1]], [0.0, 0.0], "
                       "[[1, 0], [0, 1]])), 12))", env)
    assert done.returncode == 0, done.stderr
    where, kl = done.stdout.split()
    assert not Path(where).resolve().is_relative_to(ROOT) and "site-packages" in where
    assert kl == "0.5"

    # A module whose extra is missing says which one to install, in one error.
    for module, (extra, dependency) in OPTIONAL.items():
        done = python_says(python, f"import {module}", env)
        last = done.stderr.strip().splitlines()[-1]
        assert last.startswith("ModuleNotFoundError: ") and f'"mathlib-medl[{extra}]"' in last, done.stderr
        assert "During handling" not in done.stderr

    # With the extras: their dependencies, and every module imports.
    installed = pip_install(python, f"{wheel}[{','.join(e for e, _ in OPTIONAL.values())}]", env)
    assert {dependency for _, dependency in OPTIONAL.values()} <= installed
    done = python_says(python, f"import importlib\nfor m in {modules!r}: importlib.import_module(m)", env)
    assert done.returncode == 0, done.stderr
