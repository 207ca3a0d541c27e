"""The notebooks bundle: every chapter, the library and what they need, in one zip.

Usage: python bundle/make_bundle.py OUTPUT_ZIP

The book's build calls it (``_ext/notebooks_bundle.py``: ``plan`` when the build starts,
``write`` when the site is written, into ``appendix-b-notebooks.zip``). The zip holds one
folder, named as the zip::

    README.md             the two commands: pip install -r requirements.txt, jupyter lab
    requirements.txt      what the notebooks import, JupyterLab with jupyterlab-myst and
                          the wheel below, pinned to requirements.lock
    constraints.txt       everything those need in turn, pinned to requirements.lock too
    mathlib_medl-<version>-py3-none-any.whl   built from this repository at book time
    <chapter>.ipynb       every notebook of _toc.yml, with its committed outputs
    explorables/          each explorable figure the chapters place, as a page of its own
                          (<name>.html, the site's scripts and stylesheet written into it)

The notebooks are the committed files byte for byte, except where a chapter places an
explorable figure (``{explorable} name``, _ext/explorables.py): Jupyter cannot show it, so
there the directive becomes a short note linking the figure's page, which opens offline in
a web browser (``student_copy``).

The requirements are found, not listed by hand: the modules the chapters and the library
import, mapped to their distributions in the running Python's environment, and their
versions read from the lock. ``plan`` reads pyproject.toml, _toc.yml, _config.yml and
requirements.lock once each.
"""

import ast
import html
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from string import Template

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "_ext"))
import book_contents  # noqa: E402 (the one reader of _toc.yml)
import explorables  # noqa: E402 (the figures and their container)
from pinned_versions import read_lock  # noqa: E402 (the one reader of requirements.lock)

PAGE = "bundle/explorable.html"   # a figure's page in the bundle (a template)
# A chapter's {explorable} directive (_ext/explorables.py): its fence, the figure's name, and
# the lines up to the closing fence.
EXPLORABLE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{explorable\}[ \t]+(?P<name>[^\s`]+)[^\n]*\n"
                        r"(?:.*\n)*?(?P=fence)[ \t]*$", re.M)

COMMANDS = ["python -m pip install -r requirements.txt", "jupyter lab"]
# To open and run the notebooks: JupyterLab, MyST directives rendered in it, the kernel.
LAB = ["jupyterlab", "jupyterlab-myst", "ipykernel"]


class BundleError(Exception):
    """The bundle cannot be made; the message says why."""


@dataclass(frozen=True)
class Plan:
    """What goes into the bundle, read from the repository at `root`."""

    root: Path
    title: str              # the book's, from _config.yml
    project: dict           # pyproject.toml's [project] table
    packages: list          # the library's import packages ([tool.setuptools] packages)
    chapters: list          # the notebooks of _toc.yml, in reading order
    pins: dict              # {canonical name: "name==version"} of requirements.lock
    top: list               # what requirements.txt names (canonical names)
    closure: list           # everything the bundle installs (canonical names)
    python: str             # the oldest Python 3 release the library and all of them accept


def plan(root):
    """Read the repository at `root` once, and find what the bundle holds."""
    root = Path(root)
    data = pyproject(root)
    meta = data["project"]
    packages = data.get("tool", {}).get("setuptools", {}).get("packages", [])
    chapters = toc_notebooks(root)
    top = notebook_distributions(root, chapters, meta["name"], packages)
    closure = dependency_closure(top + [Requirement(d).name for d in meta.get("dependencies", [])])
    return Plan(root=root, title=yaml.safe_load((root / "_config.yml").read_text())["title"],
                project=meta, packages=packages, chapters=chapters,
                pins=lock_pins(root),
                top=top, closure=closure,
                python=oldest_python(meta.get("requires-python", ""), closure))


def pyproject(root):
    return tomllib.loads((root / "pyproject.toml").read_text())


def lock_pins(root):
    """{canonical name: line "name==version"} of requirements.lock."""
    return {canonicalize_name(name): f"{name}=={version}"
            for name, version in read_lock(root / "requirements.lock").items()}


def toc_notebooks(root):
    """The notebooks of the table of contents, in reading order."""
    found = [root / f"{name}.ipynb" for name in book_contents.read(root).pages]
    return [path for path in found if path.is_file()]


def _code_cells(path):
    return ["".join(cell["source"]) for cell in json.loads(path.read_text())["cells"]
            if cell["cell_type"] == "code"]


def imported_modules(sources):
    """Top-level names of the modules imported (absolutely) by these sources."""
    names = set()
    for source in sources:
        # IPython's magics and shell escapes are not Python.
        source = re.sub(r"(?m)^(\s*)([%!])", r"\1#\2", source)
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names.add(node.module.split(".")[0])
    return names


def notebook_distributions(root, notebooks, library, packages):
    """Canonical names of what the notebooks and the library's `packages` need, besides
    the `library` itself."""
    sources = [s for path in notebooks for s in _code_cells(path)]
    for package in packages:
        sources += [p.read_text() for p in sorted((root / package).rglob("*.py"))]
    providers = importlib.metadata.packages_distributions()
    needed = set(map(canonicalize_name, LAB))
    for module in imported_modules(sources):
        if module in sys.stdlib_module_names or module in packages:
            continue
        if module not in providers:
            raise BundleError(f"notebooks bundle: no installed distribution provides "
                              f"the module {module!r} that the chapters import")
        needed.update(canonicalize_name(d) for d in providers[module])
    return sorted(needed - {canonicalize_name(library)})


def dependency_closure(names):
    """Canonical names of these distributions and of all they require, here."""
    seen = {}
    todo = [(name, frozenset()) for name in names]
    while todo:
        name, extras = todo.pop()
        key = canonicalize_name(name)
        if key in seen and extras <= seen[key]:
            continue
        seen[key] = seen.get(key, frozenset()) | extras
        for text in importlib.metadata.distribution(name).requires or []:
            req = Requirement(text)
            wanted = {""} | set(seen[key])
            if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in wanted):
                todo.append((req.name, frozenset(req.extras)))
    return sorted(seen)


def oldest_python(requires_python, names):
    """The oldest Python 3 release that `requires_python` and all these distributions accept."""
    specs = [SpecifierSet(requires_python)]
    specs += [SpecifierSet(importlib.metadata.metadata(n).get("Requires-Python") or "") for n in names]
    return next(v for v in (f"3.{minor}.{patch}" for minor in range(30) for patch in range(30))
                if all(v in spec for spec in specs))


def build_wheel(plan, outdir):
    """A wheel of the library, built from a copy of its sources (no build/ in the checkout)."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for name in ["pyproject.toml", plan.project.get("readme", "README.md")]:
            shutil.copy2(plan.root / name, src / name)
        for package in plan.packages:
            shutil.copytree(plan.root / package, src / package,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                   "--no-build-isolation", "--disable-pip-version-check",
                   "--wheel-dir", str(outdir), str(src)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise BundleError(f"notebooks bundle: the wheel did not build:\n{done.stdout}{done.stderr}")
    (wheel,) = Path(outdir).glob("*.whl")
    return wheel


def student_copy(path):
    """The chapter at `path` as the bundle carries it, and the explorable figures it places.

    Each ``{explorable} name`` directive of a markdown cell becomes a note linking
    ``explorables/<name>.html``; every other byte stays as committed (a chapter with no
    figure is its file as it is; one with figures is written back as Jupyter writes a notebook,
    which the committed file must already be)."""
    data = path.read_bytes()
    if b"{explorable}" not in data:
        return data, []
    text = data.decode()
    notebook = json.loads(text)
    if json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n" != text:
        raise BundleError(f"notebooks bundle: {path.name} is not laid out as Jupyter saves a notebook "
                          "(JSON with an indent of 1 and sorted keys): save it from Jupyter or "
                          "`jupyter nbconvert`, so that only its figures change in the bundle")
    figures = []

    def note(match):
        name = match["name"]
        if name not in explorables.FIGURES:
            raise BundleError(f"notebooks bundle: {path.name}, cell {cell.get('id', index)!r}: unknown "
                              f"explorable {name!r}; known: {', '.join(sorted(explorables.FIGURES))}")
        figures.append(name)
        figure = explorables.FIGURES[name]
        page = f"explorables/{name}.html"
        return (f"> **Interactive figure: {figure.title}** ([`{page}`]({page})): {figure.does}. "
                "The book's website shows it here; Jupyter cannot show it in a notebook, so open "
                "the file from this folder in your web browser (it works offline), or click the "
                "link and then *Trust HTML* in the tab JupyterLab opens.")

    for index, cell in enumerate(notebook["cells"]):
        source = "".join(cell["source"])
        if cell["cell_type"] != "markdown" or "{explorable}" not in source:
            continue
        source = EXPLORABLE.sub(note, source)
        if "{explorable}" in source:
            raise BundleError(f"notebooks bundle: {path.name}, cell {cell.get('id', index)!r}: an "
                              "{explorable} directive not written as a fenced block of its own "
                              "(```{explorable} name, then ``` on the next line)")
        cell["source"] = re.findall(r"[^\n]*\n|[^\n]+$", source)   # lines, as Jupyter splits them
    return (json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode(), figures


def explorable_pages(plan, figures):
    """{path in the bundle: bytes}: a page for each figure {name: chapter's file name}, with
    the site's stylesheet and the figure's scripts written into it."""
    folder = plan.root / explorables.FOLDER
    page = Template((plan.root / PAGE).read_text())
    files = {}
    for name, chapter in sorted(figures.items()):
        figure = explorables.FIGURES[name]
        scripts = [plan.root / s for s in explorables.SHARED_SCRIPTS] + [folder / f"{name}.js"]
        files[f"explorables/{name}.html"] = page.substitute(
            title=html.escape(figure.title), book=html.escape(plan.title), chapter=html.escape(chapter),
            does=html.escape(figure.does), figure=explorables.container(name),
            stylesheet=(plan.root / explorables.STYLESHEET).read_text(),
            scripts="".join(f"<script>\n{path.read_text()}</script>\n" for path in scripts)).encode()
    return files


def requirements(plan, wheel):
    """The texts of requirements.txt and constraints.txt, pinned to requirements.lock."""
    pins, top = plan.pins, plan.top
    missing = [name for name in plan.closure if name not in pins]
    if missing:
        raise BundleError(f"notebooks bundle: not pinned in requirements.lock: {missing}")
    header = "# Generated from the book's requirements.lock when the book was built.\n"
    req = (header + "# What the notebooks import, and JupyterLab to run them, at the book's versions;\n"
           "# constraints.txt pins what these need in turn.\n-c constraints.txt\n"
           + "".join(pins[name] + "\n" for name in top)
           + f"# The book's library (imported as mathlib), built from its repository.\n./{wheel.name}\n")
    con = (header + "# The versions of everything the packages of requirements.txt need.\n"
           + "".join(pins[name] + "\n" for name in plan.closure if name not in top))
    return req, con


def readme(plan, wheel, figures):
    chapters = "".join(f"- `{path.name}`\n" for path in plan.chapters)
    if figures:
        chapters += ("\nThe book's interactive figures are in `explorables/`, one web page each, "
                     "which the chapters link\nwhere the website shows them: open one in your web "
                     "browser (it works offline).\n")
    return f"""# {plan.title}: the notebooks

Every chapter of the book as a Jupyter notebook, with its outputs, and everything needed to run
them on your own computer (Linux, macOS or Windows). You need Python {plan.python} or newer, and
nothing else: no clone of the repository, no `make`, no `npm`.

## Two commands

Open a terminal in this folder and run

```
{COMMANDS[0]}
{COMMANDS[1]}
```

The first installs the packages the notebooks use, at the versions the book was built with
(`requirements.txt`, and `constraints.txt` for what those need in turn), JupyterLab with the
`jupyterlab-myst` extension, which shows the theorems, exercises and equation references as
on the site, and the book's library. The second opens JupyterLab in your browser: open a
chapter and choose Run > Run All Cells.

Best do this in a virtual environment of its own, created once before the two commands with
`python -m venv .venv` and activated with `source .venv/bin/activate` (Linux, macOS) or
`.venv\\Scripts\\activate` (Windows); activate it again before `jupyter lab` next time. Where
`python` is not found, try `python3` (Linux, macOS) or `py` (Windows).

## The library

The notebooks `import mathlib`, the book's own library. Its distribution is named
`{plan.project["name"]}`, because the package called `mathlib` on PyPI is another one: do not
`pip install mathlib`. It is not on PyPI; this folder carries it as a wheel, which the first
command installs (on its own: `python -m pip install {wheel.name}`).

## The chapters

{chapters}"""


def write(plan, target):
    """Write the zip of the notebooks bundle to `target`; its folder is named as the zip."""
    target = Path(target)
    folder = target.stem
    notebooks, figures = {}, {}
    for path in plan.chapters:
        notebooks[path.name], placed = student_copy(path)
        figures.update((name, path.name) for name in placed if name not in figures)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = build_wheel(plan, tmp)
        req, con = requirements(plan, wheel)
        files = {"README.md": readme(plan, wheel, figures), "requirements.txt": req,
                 "constraints.txt": con}
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, text in files.items():
                zf.writestr(f"{folder}/{name}", text)
            zf.write(wheel, f"{folder}/{wheel.name}")
            for path in plan.chapters:   # with the chapter's date and permissions
                zf.writestr(zipfile.ZipInfo.from_file(path, f"{folder}/{path.name}"),
                            notebooks[path.name], compress_type=zipfile.ZIP_DEFLATED)
            for name, data in explorable_pages(plan, figures).items():
                zf.writestr(f"{folder}/{name}", data)
        os.replace(partial, target)
    return target


def main(argv):
    if len(argv) != 2 or not argv[1].endswith(".zip"):
        sys.exit("usage: python bundle/make_bundle.py OUTPUT_ZIP (a path ending in .zip)")
    try:
        print(write(plan(Path(__file__).resolve().parent.parent), argv[1]))
    except BundleError as error:
        sys.exit(str(error))


if __name__ == "__main__":
    main(sys.argv)
