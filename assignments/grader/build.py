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
are built, and nothing of the broken one is half-written. An assignment whose bundle is up to
date (same master, same grader code) is not built again.
"""

import os
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


def _cached(path, out):
    """The up-to-date bundle of the master at `path`, if there is one in `out`."""
    import nbformat as nbf

    try:
        name = nbf.read(path, as_version=4).metadata["assignment"]["name"]
    except Exception:  # noqa: BLE001 -- a bad master is never up to date
        return None
    found = bundles_io.read(Path(out) / "grader" / str(name))
    fresh = (found is not None and found.source == bundles_io.source_hash(path)
             and (Path(out) / "student" / found.name / f"{found.name}.ipynb").exists())
    return found if fresh else None


def bundles(out=None, sandboxed=True, log=print, errors=None):
    """{name: Bundle} of every master, built first where stale, into `out` (default ``OUT``); expected answers
    before any submission runs.

    errors: a list to collect the refusals of broken masters in (the others are still built);
    without it, the first refusal is raised."""
    out, found, todo = Path(out or OUT), {}, []
    for path in masters():
        cached = _cached(path, out)
        if cached is None:
            todo.append(path)
        else:
            found[path] = cached
    if todo:
        with expect.workdir() as workdir:
            sandbox = expect.sandbox_for(workdir, sandboxed, log)
            for path in todo:
                try:
                    found[path] = build_one(path, out, sandbox)
                    log(f"built {found[path].name}: {out / 'student' / found[path].name}, "
                        f"{len(found[path].tests)} tests in {out / 'grader' / found[path].name}")
                except AuthoringError as error:
                    if errors is None:
                        raise
                    errors.append(error)
    result = {}
    for path, b in sorted(found.items()):
        if b.name in result:
            error = AuthoringError(path.name, f"another master already has the name {b.name!r}", None,
                                   "metadata.assignment.name")
            if errors is None:
                raise error
            errors.append(error)
            continue
        result[b.name] = b
    _index(out, [b for b in result.values()])
    return result


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
