"""The notebooks bundle, as a student without a clone uses it.

`make test` builds the site, which writes the bundle (bundle/make_bundle.py, called by
_ext/notebooks_bundle.py).
These tests open that zip: what it holds and how it is pinned, the links to it
from the landing page and every chapter, the import fallback at the top of every
chapter, and then the student's way: unzip into an empty folder, a fresh virtual
environment from the system's Python, the README's install command, and every
notebook executed there, with nothing of the repository or its `.venv` in reach
(bundle_student.py).
"""

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath

import bundle_student
import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
sys.path[:0] = [str(ROOT / "_ext"), str(ROOT / "bundle")]
import make_bundle  # noqa: E402
import notebooks_bundle as bundle  # noqa: E402
from packaging.utils import canonicalize_name  # noqa: E402

CHAPTERS = make_bundle.toc_notebooks(ROOT)
PROJECT = make_bundle.pyproject(ROOT)["project"]


@pytest.fixture(scope="module")
def zip_path():
    path = SITE / bundle.BUNDLE
    if not path.is_file():
        pytest.fail(f"no {bundle.BUNDLE} in the site: run `make book` (make test does it first)")
    return path


def first_code_cell(path):
    cells = json.loads(path.read_text())["cells"]
    return "".join(next(c for c in cells if c["cell_type"] == "code")["source"])


def test_the_bundle_takes_every_chapter_of_the_table_of_contents():
    assert len(CHAPTERS) >= 4
    assert set(CHAPTERS) == set((ROOT / "chapters").glob("*.ipynb")), "a chapter not in _toc.yml?"


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_every_chapter_starts_with_the_import_fallback(path):
    assert first_code_cell(path).startswith(bundle.FALLBACK + "\n"), (
        f"{path.name}: its first code cell must start with these lines, then a blank line "
        f"(_ext/notebooks_bundle.py, FALLBACK):\n\n{bundle.FALLBACK}")


@pytest.mark.parametrize("fake", ["absent", "pypi"])
def test_the_fallback_says_where_to_get_the_bundle(tmp_path, fake):
    # A Python without the book's mathlib: none at all, or PyPI's unrelated package of that
    # name (an empty mathlib/__init__.py and other modules).
    if fake == "pypi":
        (tmp_path / "mathlib").mkdir()
        (tmp_path / "mathlib" / "__init__.py").write_text("")
        (tmp_path / "mathlib" / "primes.py").write_text("")
    code = f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n" + bundle.FALLBACK
    done = subprocess.run([sys._base_executable, "-I", "-c", code], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last == ("ModuleNotFoundError: This notebook needs the book's library mathlib: "
                    f"download {bundle.BUNDLE} from the book's landing page "
                    f"(section '{bundle.SECTION}') and follow its README."), done.stderr
    assert "During handling" not in done.stderr  # one error, not a chain of two
    assert all(len(line) <= 79 for line in bundle.FALLBACK.splitlines())


@pytest.mark.parametrize("doc", ["intro"] + [p.relative_to(ROOT).with_suffix("").as_posix() for p in CHAPTERS])
def test_the_landing_page_and_every_chapter_link_the_bundle(zip_path, doc):
    html = (SITE / f"{doc}.html").read_text()
    links = re.findall(r'<a class="notebooks-bundle-link[^"]*" href="([^"]+)"', html)
    assert len(links) == 1, f"{doc}: {len(links)} links to the bundle"
    target = PurePosixPath(doc).parent / links[0]
    assert (SITE / target).resolve() == zip_path.resolve()
    if doc == "intro":
        section = html.split(f"{bundle.SECTION}<a class=\"headerlink\"")[1].split("<section")[0]
        text = re.sub(r"<[^>]+>", "", section)
        assert "notebooks-bundle-link" in section, "the link is in the section the fallback names"
        for command in make_bundle.COMMANDS:
            assert f"\n{command}\n" in text


def test_the_bundle_holds_the_chapters_the_wheel_and_pinned_requirements(zip_path):
    with zipfile.ZipFile(zip_path) as zf:
        names = zf.namelist()
        read = {name.split("/", 1)[1]: zf.read(name) for name in names}
    assert all(name.startswith(bundle.NAME + "/") for name in names), "one folder in the zip"
    for path in CHAPTERS:
        assert read[path.name] == path.read_bytes(), f"{path.name} differs from the chapter"
    wheels = [name for name in read if name.endswith(".whl")]
    assert len(wheels) == 1, f"the zip holds {len(wheels)} wheels"
    wheel = wheels[0]
    assert wheel == f"{PROJECT['name'].replace('-', '_')}-{PROJECT['version']}-py3-none-any.whl"
    with zipfile.ZipFile(zip_path) as zf, zf.open(f"{bundle.NAME}/{wheel}") as whl, zipfile.ZipFile(whl) as w:
        assert "mathlib/__init__.py" in w.namelist()

    lock = make_bundle.lock_pins(ROOT)
    requirements = read["requirements.txt"].decode().splitlines()
    constraints = read["constraints.txt"].decode().splitlines()
    pins = [line for line in requirements + constraints if "==" in line]
    for line in pins:
        name = re.split("==", line)[0]
        assert lock[canonicalize_name(name)] == line, f"{line} is not the lock's version"
    top = {canonicalize_name(line.split("==")[0]) for line in requirements if "==" in line}
    for name in ["numpy", "scipy", "sympy", "mpmath", "matplotlib", "myst-nb", "ipykernel",
                 "jupyterlab", "jupyterlab-myst"]:
        assert name in top, f"{name} is not in requirements.txt"
    assert f"./{wheel}" in requirements and "-c constraints.txt" in requirements
    readme = read["README.md"].decode()
    assert all(f"\n{command}\n" in readme for command in make_bundle.COMMANDS)
    assert PROJECT["name"] in readme


@pytest.fixture(scope="module")
def student_report(tmp_path_factory):
    work = tmp_path_factory.mktemp("bundle-student")
    yield bundle_student.student_run(work)
    shutil.rmtree(work, ignore_errors=True)  # a fresh environment of about 500 MB


@pytest.mark.long
def test_a_student_installs_the_bundle_and_runs_every_chapter(student_report):
    report = student_report
    install = report["install"]
    assert install["returncode"] == 0, install["stdout"][-3000:] + install["stderr"][-3000:]

    # Exactly the lock's versions were installed, and nothing the lock does not pin.
    lock = make_bundle.lock_pins(ROOT)
    library = canonicalize_name(PROJECT["name"])
    freeze = report["freeze"]["stdout"].splitlines()
    assert any(canonicalize_name(re.split(r"==| @ ", line)[0]) == library for line in freeze)
    for line in freeze:
        name = canonicalize_name(re.split(r"==| @ ", line)[0])
        if name != library:
            assert lock.get(name) == line, f"installed {line}, the lock has {lock.get(name)}"
    listing = report["labextensions"]["stdout"] + report["labextensions"]["stderr"]
    extension = next((line for line in listing.splitlines() if "jupyterlab-myst" in line), "")
    assert "enabled" in extension and "OK" in extension, listing

    for name, done in report["notebooks"].items():
        assert done["returncode"] == 0, f"{name} failed in the bundle's environment:\n{done['stderr'][-5000:]}"
    assert set(report["notebooks"]) == {path.name for path in CHAPTERS} | {"probe.ipynb"}

    # The kernel that ran them is the fresh environment's, and so is its mathlib.
    seen, venv = report["probe"], Path(report["venv"])
    assert Path(seen["executable"]).parent == venv / "bin"
    assert Path(seen["mathlib"]).is_relative_to(report["site_packages"]), seen["mathlib"]
    assert seen["version"] == PROJECT["version"]
    assert not any(p and Path(p).resolve().is_relative_to(ROOT) for p in seen["path"]), seen["path"]

    timings = ", ".join(f"{name} {done['seconds']:.0f} s" for name, done in report["notebooks"].items())
    print(f"\nbundle: install {report['install_seconds']:.0f} s (pip {install['seconds']:.0f} s); "
          f"notebooks {report['notebooks_seconds']:.0f} s ({timings})")
