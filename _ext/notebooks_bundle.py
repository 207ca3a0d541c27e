"""The notebooks bundle: every chapter, the library and what they need, in one zip.

A chapter downloaded from the site cannot run on its own: it imports ``mathlib``.
At the end of every HTML build this extension writes ``appendix-b-notebooks.zip``
into the site, holding one folder::

    README.md             the two commands: pip install -r requirements.txt, jupyter lab
    requirements.txt      what the notebooks import, JupyterLab with jupyterlab-myst and
                          the wheel below, pinned to requirements.lock
    constraints.txt       everything those need in turn, pinned to requirements.lock too
    mathlib_medl-<version>-py3-none-any.whl   built from this repository at book time
    <chapter>.ipynb       every notebook of _toc.yml, with its committed outputs

The requirements are found, not listed by hand: the modules the chapters and
``mathlib`` import, mapped to their distributions in the build's environment, and
their versions read from the lock. Each chapter page gets a box linking the zip,
the ``{notebooks-bundle}`` directive puts the same box on the landing page, and
``{{ bundle_python }}`` says there which Python it needs.

``FALLBACK`` is the first thing in every chapter's first code cell (the tests check
it), so that a notebook opened without the bundle says where to get it.
"""

import ast
import importlib.metadata
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

import yaml
from docutils import nodes
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective

ROOT = Path(__file__).resolve().parent.parent
NAME = "appendix-b-notebooks"
BUNDLE = f"{NAME}.zip"
SECTION = "Running the notebooks yourself"   # on the landing page
COMMANDS = ["python -m pip install -r requirements.txt", "jupyter lab"]
# To open and run the notebooks: JupyterLab, MyST directives rendered in it, the kernel.
LAB = ["jupyterlab", "jupyterlab-myst", "ipykernel"]

FALLBACK = f'''\
try:  # the book's own mathlib (PyPI's "mathlib" is another package)
    import mathlib.divergences
except ImportError:
    raise ModuleNotFoundError(
        "This notebook needs the book's library mathlib: download "
        "{BUNDLE} from the book's landing page (section "
        "'{SECTION}') and follow its README.") from None
'''


def project():
    """The [project] and [tool.setuptools] tables of pyproject.toml."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return data["project"], data.get("tool", {}).get("setuptools", {})


def chapter_notebooks():
    """The notebooks of the table of contents, in reading order."""
    def files(entries):
        for entry in entries or []:
            if "file" in entry:
                yield entry["file"]
            for key in ("chapters", "sections", "parts"):
                yield from files(entry.get(key))

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    found = [ROOT / f"{name}.ipynb" for name in files([toc])]
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


def lock_pins():
    """{canonical name: line "name==version"} of requirements.lock."""
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)$", line.strip())
        if match:
            pins[canonicalize_name(match.group(1))] = match.group(0)
    return pins


def notebook_distributions(notebooks):
    """Canonical names of what the notebooks need, besides the library itself."""
    library = canonicalize_name(project()[0]["name"])
    packages = project()[1].get("packages", [])
    sources = [s for path in notebooks for s in _code_cells(path)]
    for package in packages:
        sources += [p.read_text() for p in sorted((ROOT / package).rglob("*.py"))]
    providers = importlib.metadata.packages_distributions()
    needed = set(map(canonicalize_name, LAB))
    for module in imported_modules(sources):
        if module in sys.stdlib_module_names or module in packages:
            continue
        if module not in providers:
            raise ExtensionError(f"notebooks bundle: no installed distribution provides "
                                 f"the module {module!r} that the chapters import")
        needed.update(canonicalize_name(d) for d in providers[module])
    return sorted(needed - {library})


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


def oldest_python(names):
    """The oldest Python 3 release that the library and all these distributions accept."""
    specs = [SpecifierSet(project()[0].get("requires-python", ""))]
    specs += [SpecifierSet(importlib.metadata.metadata(n).get("Requires-Python") or "") for n in names]
    return next(v for v in (f"3.{minor}.{patch}" for minor in range(30) for patch in range(30))
                if all(v in spec for spec in specs))


def build_wheel(outdir):
    """A wheel of the library, built from a copy of its sources (no build/ in the checkout)."""
    meta, setuptools = project()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for name in ["pyproject.toml", meta.get("readme", "README.md")]:
            shutil.copy2(ROOT / name, src / name)
        for package in setuptools.get("packages", []):
            shutil.copytree(ROOT / package, src / package,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                   "--no-build-isolation", "--disable-pip-version-check",
                   "--wheel-dir", str(outdir), str(src)]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise ExtensionError(f"notebooks bundle: the wheel did not build:\n{done.stdout}{done.stderr}")
    (wheel,) = Path(outdir).glob("*.whl")
    return wheel


def bundled_distributions(notebooks):
    """What requirements.txt names, and everything the bundle installs (canonical names)."""
    top = notebook_distributions(notebooks)
    dependencies = [Requirement(d).name for d in project()[0].get("dependencies", [])]
    return top, dependency_closure(top + dependencies)


def requirements(notebooks, wheel):
    """The texts of requirements.txt and constraints.txt, pinned to requirements.lock."""
    pins = lock_pins()
    top, closure = bundled_distributions(notebooks)
    missing = [name for name in closure if name not in pins]
    if missing:
        raise ExtensionError(f"notebooks bundle: not pinned in requirements.lock: {missing}")
    header = "# Generated from the book's requirements.lock when the book was built.\n"
    req = (header + "# What the notebooks import, and JupyterLab to run them, at the book's versions;\n"
           "# constraints.txt pins what these need in turn.\n-c constraints.txt\n"
           + "".join(pins[name] + "\n" for name in top)
           + f"# The book's library (imported as mathlib), built from its repository.\n./{wheel.name}\n")
    con = (header + "# The versions of everything the packages of requirements.txt need.\n"
           + "".join(pins[name] + "\n" for name in closure if name not in top))
    return req, con, oldest_python(closure)


def readme(notebooks, wheel, python):
    meta = project()[0]
    title = yaml.safe_load((ROOT / "_config.yml").read_text())["title"]
    chapters = "".join(f"- `{path.name}`\n" for path in notebooks)
    return f"""# {title}: the notebooks

Every chapter of the book as a Jupyter notebook, with its outputs, and everything needed to run
them on your own computer (Linux, macOS or Windows). You need Python {python} or newer, and
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
`{meta["name"]}`, because the package called `mathlib` on PyPI is another one: do not
`pip install mathlib`. It is not on PyPI; this folder carries it as a wheel, which the first
command installs (on its own: `python -m pip install {wheel.name}`).

## The chapters

{chapters}"""


def build_bundle(target):
    """Write the zip of the notebooks bundle to `target`."""
    notebooks = chapter_notebooks()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = build_wheel(tmp)
        req, con, python = requirements(notebooks, wheel)
        files = {"README.md": readme(notebooks, wheel, python), "requirements.txt": req,
                 "constraints.txt": con}
        target = Path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, text in files.items():
                zf.writestr(f"{NAME}/{name}", text)
            zf.write(wheel, f"{NAME}/{wheel.name}")
            for path in notebooks:
                zf.write(path, f"{NAME}/{path.name}")
        os.replace(partial, target)
    return target


def bundle_box(docname, title):
    """A box with a link to the zip, from the page `docname`."""
    uri = posixpath.relpath(BUNDLE, posixpath.dirname(docname) or ".")
    link = nodes.reference("", "", nodes.literal(BUNDLE, BUNDLE), refuri=uri,
                           classes=["notebooks-bundle-link"])
    text = ("Download ", link, ": every chapter as a notebook, the book's library and a README "
            "with the two commands that install them and open JupyterLab, on Linux, macOS or "
            "Windows. No clone needed.")
    para = nodes.paragraph("", "", *[nodes.Text(t) if isinstance(t, str) else t for t in text])
    return nodes.admonition("", nodes.title(title, title), para, classes=["tip", "notebooks-bundle"])


class NotebooksBundle(SphinxDirective):
    """``{notebooks-bundle}``: the box with the link to the zip (for the landing page)."""

    def run(self):
        return [bundle_box(self.env.docname, "The notebooks bundle")]


def _chapter_docnames(app):
    return {path.relative_to(Path(app.srcdir)).with_suffix("").as_posix()
            for path in chapter_notebooks()}


def add_box_to_chapter(app, doctree):
    """Under the title of each chapter in the bundle, the box with the link."""
    docname = app.env.docname
    if docname not in _chapter_docnames(app):
        return
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is None or not isinstance(section[0], nodes.title):
        raise ExtensionError(f"notebooks bundle: {docname} has no title to put the link under")
    section.insert(1, bundle_box(docname, "Run this chapter yourself"))


def add_substitution(app, config):
    """{{ bundle_python }}: the oldest Python the bundle installs on (for the landing page)."""
    python = oldest_python(bundled_distributions(chapter_notebooks())[1])
    config.myst_substitutions = {**config.myst_substitutions, "bundle_python": python}


def write_bundle(app, exception):
    # (Not in the single-page build that `make pdf` prints: the PDF links the website's zip.)
    if exception is None and app.builder.format == "html" and app.builder.name != "singlehtml":
        build_bundle(Path(app.outdir) / BUNDLE)


def setup(app):
    app.connect("config-inited", add_substitution)
    app.add_directive("notebooks-bundle", NotebooksBundle)
    app.connect("doctree-read", add_box_to_chapter)
    app.connect("build-finished", write_bundle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
