"""The notebooks bundle, as a student without a clone uses it.

`make test` builds the site, which writes the bundle (bundle/make_bundle.py, called by
_ext/notebooks_bundle.py). These tests open that zip: what it holds and how it is pinned,
the chapters in it (as committed, but for their explorable figures, which become links to
pages of their own), the links to it from the landing page and every chapter, the import
fallback at the top of every chapter, and then the student's way: unzip into an empty
folder, a fresh virtual environment from the system's Python, the README's install command,
and every notebook executed there, with nothing of the repository or its `.venv` in reach
(bundle_student.py).
"""

import difflib
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath

import bundle_student
from test_site import chapter_number, toc_chapters
import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
sys.path[:0] = [str(ROOT / "_ext"), str(ROOT / "bundle")]
import explorables  # noqa: E402
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
    # A chapter's page offers the box under its title; a page that continues a chapter first says so.
    first = re.search(r'<h1>[^<]*<a class="headerlink"[^>]*>#</a></h1>\s*(<p[ >].*?</p>|<div class="[^"]*notebooks-bundle)',
                      html, re.S)[1]
    continued = any(doc in pages[1:] for pages in toc_chapters().values())
    assert doc == "intro" or first.startswith("<p") == continued, (doc, first[:80])
    if continued:
        assert re.sub(r"<[^>]+>", "", first).startswith(f"Chapter {chapter_number(doc)}, continued"), first[:120]
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
    assert all(path.name in read for path in CHAPTERS)
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


def bundle_files(zip_path):
    """{path inside the bundle's folder: bytes} of every file in the zip."""
    with zipfile.ZipFile(zip_path) as zf:
        return {name.split("/", 1)[1]: zf.read(name) for name in zf.namelist()}


# How a chapter's JSON holds an explorable figure's directive: two lines of a markdown cell's
# source, the fence with the figure's name and the closing fence (the cell's last line or not).
DIRECTIVE = re.compile(r'^    "```\{explorable\} ([a-z-]+)\\n",\n    "```(?:\\n",|")\n', re.M)


def test_the_chapters_are_bundled_as_committed_but_for_their_figures(zip_path):
    """Jupyter cannot show an explorable figure: in the bundle its directive, and only that,
    becomes a note that links the figure's own page; every other byte is the chapter's."""
    read = bundle_files(zip_path)
    placed = []
    for path in CHAPTERS:
        committed = path.read_text()
        figures = DIRECTIVE.findall(committed)
        assert committed.count("{explorable}") == len(figures), f"{path.name}: a directive not as expected"
        placed += figures
        before = committed.splitlines(keepends=True)
        after = read[path.name].decode().splitlines(keepends=True)
        matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
        changes = [op for op in matcher.get_opcodes() if op[0] != "equal"]
        assert len(changes) == len(figures), f"{path.name}: {len(changes)} changes for {len(figures)} figures"
        for (_, i1, i2, j1, j2), name in zip(changes, figures):
            assert DIRECTIVE.fullmatch("".join(before[i1:i2])), f"{path.name}: more changed than the directive of {name}"
            note = "".join(json.loads("[" + "".join(after[j1:j2]).rstrip().rstrip(",") + "]"))
            assert "{explorable}" not in note and "```" not in note
            assert f"](explorables/{name}.html)" in note, f"{path.name}: the note does not link {name}'s page"
            assert explorables.FIGURES[name].does in note, "the note says what the figure lets a reader do"
            assert "web browser" in note and "offline" in note
        nbformat.validate(nbformat.reads(read[path.name].decode(), as_version=4))
    assert len(placed) >= 4 and len(set(placed)) == len(placed)

    # A page for each figure, holding the site's stylesheet and the figure's scripts as they are.
    assert sorted(n for n in read if n.startswith("explorables/")) == sorted(f"explorables/{n}.html" for n in placed)
    for name in placed:
        page = read[f"explorables/{name}.html"].decode()
        scripts = [ROOT / s for s in explorables.SHARED_SCRIPTS] + [ROOT / explorables.FOLDER / f"{name}.js"]
        assert re.findall(r"<script>\n(.*?)</script>", page, re.S)[-3:] == [p.read_text() for p in scripts]
        assert f"<style>\n{(ROOT / explorables.STYLESHEET).read_text()}</style>" in page
        assert explorables.container(name) in page
        assert not re.search(r"\b(src|href)=", page), "the page is one file: it loads nothing"
    readme = read["README.md"].decode()
    assert "`explorables/`" in readme


def notebook(tmp_path, *sources, cell_type="markdown"):
    """A chapter of these cells' sources, saved as Jupyter saves a notebook."""
    cells = [{"cell_type": cell_type, "id": f"c{k}", "metadata": {}, "source": source}
             for k, source in enumerate(sources)]
    path = tmp_path / "chapter.ipynb"
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    return path


def test_a_figure_written_with_colons_or_options_becomes_a_note_too(tmp_path):
    path = notebook(tmp_path, "Before.\n\n:::{explorable} two-normals\n:class: wide\n:::\n\nAfter.",
                    "````{explorable} normals-plane\n````")
    data, figures = make_bundle.student_copy(path)
    sources = ["".join(cell["source"]) for cell in json.loads(data)["cells"]]
    assert figures == ["two-normals", "normals-plane"]
    assert sources[0].startswith("Before.\n\n> **Interactive figure") and sources[0].endswith("\n\nAfter.")
    assert "](explorables/two-normals.html)" in sources[0] and "](explorables/normals-plane.html)" in sources[1]
    plain = notebook(tmp_path, "No figure here.")
    assert make_bundle.student_copy(plain) == (plain.read_bytes(), [])


@pytest.mark.parametrize("source, layout, message", [
    ("```{explorable} no-such-figure\n```", None, "chapter.ipynb, cell 'c0': unknown explorable 'no-such-figure'"),
    ("See ```{explorable} two-normals``` inline.", None, "chapter.ipynb, cell 'c0': an {explorable} directive not written"),
    ("```{explorable} two-normals\n```", {"indent": 2}, "chapter.ipynb is not laid out as Jupyter saves a notebook"),
])
def test_a_figure_the_bundle_cannot_read_stops_it_with_the_chapter_and_cell(tmp_path, source, layout, message):
    path = notebook(tmp_path, source)
    if layout:
        path.write_text(json.dumps(json.loads(path.read_text()), **layout))
    with pytest.raises(make_bundle.BundleError, match=re.escape(message)):
        make_bundle.student_copy(path)


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
