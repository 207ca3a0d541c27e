"""The build, steps 1 to 3 of the pipeline: master -> tests -> expected answers -> student copy and bundle.

``make assignments`` (``autograde.py build``) builds every ``assignments/*.ipynb``:

1. ``master.read``: the notebook -> ``Assignment`` (refusals name the file, cell and field);
2. ``expect.expected``: the master's solutions run in the sandbox on every test's inputs ->
   the expected answers; the master must earn full marks on its own tests;
3. ``release.student_copy``: the student's notebook, with self-checks of the public tests;
   its untouched run must earn nothing;
4. ``bundle.write``: the tests and expected answers, for grading.

Student files go to ``<out>/student/<name>/`` (the notebook and ``questions.md``) and the site's
list of assignments to ``<out>/student/index.md``; bundles to ``<out>/grader/<name>/``, which is
never linked or published. A broken master is reported (one sentence) and skipped: the others
are built, nothing of the broken one is half-written, and what an earlier build made of it is
removed, so that no stale copy is published or graded (the output holds exactly the masters
that build). Two masters that declare one name are refused before anything is built: the first
in file order keeps it. An assignment whose bundle is up to date (same master, same grader code)
is not built again.
"""

import json
import os
import shutil
from pathlib import Path

import nbformat

from . import bundle as bundles_io, expect, master, release
from .model import AuthoringError

MASTERS = Path(__file__).resolve().parent.parent
ROOT = MASTERS.parent
OUT = ROOT / "_build" / "assignments"


def masters():
    return sorted(p for p in MASTERS.glob("*.ipynb") if not p.name.startswith("."))


def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


def build_one(path, out, sandbox):
    """Build one master into `out`; returns its Bundle. AuthoringError, with nothing written, if it is bad."""
    assignment = master.read(path)
    expected = expect.expected(assignment, sandbox)
    result = bundles_io.Bundle(assignment.name, assignment.title, list(assignment.tests), expected,
                               {q.id: q.points for q in assignment.questions}, bundles_io.source_hash(path),
                               {w.id: {"question": w.question, "points": w.points, "prompt": w.prompt}
                                for w in assignment.written})
    copy = release.student_copy(assignment, expected)
    expect.untouched_scores_nothing(assignment, copy, expected, sandbox)
    student = Path(out) / "student" / assignment.name
    _write(student / f"{assignment.name}.ipynb", nbformat.writes(copy))
    _write(student / "questions.md", release.questions_markdown(assignment))
    bundles_io.write(result, Path(out) / "grader" / assignment.name)
    return result


def declared_name(path):
    """The assignment name a master's metadata declares, or None where it declares none that can be used."""
    try:
        name = json.loads(Path(path).read_bytes())["metadata"]["assignment"]["name"]
    except Exception:  # noqa: BLE001 -- a master that cannot say its name is refused by master.read
        return None
    return name if isinstance(name, str) and master.NAME.fullmatch(name) else None


def _cached(path, out, name):
    """The up-to-date bundle of the master at `path`, named `name`, if there is one in `out`."""
    if name is None:
        return None
    found = bundles_io.read(Path(out) / "grader" / name)
    fresh = (found is not None and found.source == bundles_io.source_hash(path)
             and (Path(out) / "student" / found.name / f"{found.name}.ipynb").exists())
    return found if fresh else None


def bundles(out=None, sandboxed=True, log=print, errors=None):
    """{name: Bundle} of every master, built first where stale, into `out` (default ``OUT``); expected answers
    before any submission runs.

    errors: a list to collect the refusals of broken masters in (the others are still built); a broken
    master's has ``assignment``, the name it declares (its file's stem where it declares none). Without it,
    the first refusal is raised (after the others are built)."""
    out, found, todo, refused, owners = Path(out or OUT), {}, [], [], {}
    for path in masters():
        name = declared_name(path)
        if name in owners:
            refused.append(AuthoringError(path.name, f"{name!r} is already the name of {owners[name].name}: each "
                                          "master needs a name of its own (it names the student copy and the "
                                          "bundle)", None, "metadata.assignment.name"))
            continue
        if name is not None:
            owners[name] = path
        cached = _cached(path, out, name)
        if cached is None:
            todo.append((path, name))
        else:
            found[path] = cached
    if todo:
        with expect.workdir() as workdir:
            sandbox = expect.sandbox_for(workdir, sandboxed, log)
            for path, name in todo:
                try:
                    found[path] = build_one(path, out, sandbox)
                    log(f"built {found[path].name}: {out / 'student' / found[path].name}, "
                        f"{len(found[path].tests)} tests in {out / 'grader' / found[path].name}")
                except AuthoringError as error:
                    error.assignment = name or path.stem   # a master that cannot say its name: its file's
                    refused.append(error)
    result = {b.name: b for path, b in sorted(found.items())}
    _remove_stale(out, result)
    _index(out, [b for b in result.values()])
    if refused and errors is None:
        raise refused[0]
    if errors is not None:
        errors += refused
    return result


def _remove_stale(out, built):
    """Remove what an earlier build made of an assignment that does not build now (a master now broken,
    renamed or gone): its bundle and its student folder, recognised by their files."""
    for bundle_file in sorted(Path(out).glob(f"grader/*/{bundles_io.FILE}")):
        if bundle_file.parent.name not in built:
            shutil.rmtree(bundle_file.parent, ignore_errors=True)
    for notebook in sorted(Path(out).glob("student/*/*.ipynb")):
        if notebook.stem == notebook.parent.name and notebook.stem not in built:
            shutil.rmtree(notebook.parent, ignore_errors=True)


def _index(out, built):
    """The site's list of assignments: each one's questions and a link to its student notebook."""
    parts = []
    for b in built:
        notebook = Path(out) / "student" / b.name / f"{b.name}.ipynb"
        questions = (notebook.parent / "questions.md").read_text()
        link = os.path.relpath(notebook, ROOT) if Path(out).resolve().is_relative_to(ROOT) else notebook
        parts.append(f"{questions}\n{{download}}`Download the student notebook <{link}>`\n")
    _write(Path(out) / "student" / "index.md", "\n".join(parts) or "No assignments yet.\n")


def build(out=OUT, sandboxed=True, log=print):
    """Every master into `out`; raises the refusals (one sentence each) after building the others."""
    errors = []
    built = bundles(out, sandboxed, log, errors)
    for name in built:
        log(f"ready: {name}")
    if errors:
        raise BuildErrors(errors)
    return built


class BuildErrors(AuthoringError):
    def __init__(self, errors):
        self.errors = errors
        Exception.__init__(self, ".\nautograde: ".join(str(e) for e in errors))
