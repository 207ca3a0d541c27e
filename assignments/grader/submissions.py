"""Step 4 of the pipeline: the submissions folder read before any of it runs: names, notebooks, assignments.

Everything here is bounded work on untrusted bytes, done once per file before the
batch starts, so that no submission's file can delay another's run. A notebook is
graded as Jupyter shows it: read with ``nbformat`` (nbformat 3 converted the way
Jupyter converts it, from its worksheets), and refused when the file holds content
that Jupyter would not show (a key twice, cells beside worksheets) or when it does not
follow the notebook format.

Its size, its JSON objects and arrays, its cells and its outputs are counted before the
work that grows with them; and since the cost of validating a notebook depends on its
shape in more ways than can be counted (a mime bundle of 500,000 keys took 17 s), the
whole reading runs in a child process of its own, with NOTEBOOK_SECONDS of processor
time and NOTEBOOK_MEMORY bytes: a notebook that needs more is refused as too large.
"""

import functools
import hashlib
import json
import os
import pickle
import resource
import signal
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import feedback
from .model import Refused, Status, Verdict
from .protocol import read_pipe

NOTEBOOK_BYTES = 20 << 20  # a larger submission is not graded
NOTEBOOK_CELLS = 2_000     # ... nor one with more cells (reading and validating cost grows with them)
NOTEBOOK_BRACES = 100_000  # ... nor one with more "{" (an upper bound on its JSON objects, counted before parsing)
NOTEBOOK_BRACKETS = 100_000  # ... nor one with more "[" (its JSON arrays, likewise)
NOTEBOOK_OUTPUTS = 5_000   # ... nor one with more outputs in all its cells (each is validated, at about 0.1 ms)
NOTEBOOK_SECONDS = 5       # ... nor one whose reading takes more processor time than this
NOTEBOOK_MEMORY = 1 << 30  # ... or more memory (bytes)
MEMORY_EXIT = 3            # the exit status of the child that reads a notebook, where it ran out of memory
FEEDBACK_NAME_BYTES = 200  # a feedback file's longer name is cut and ends in a hash
# A name a spreadsheet may read as a formula starts with one of these, after any spaces: the
# ASCII signs, their full-width forms and their small forms (U+FE62 U+FE63 U+FE66 U+FE6B).
FORMULA_STARTS = "=+-@\uff1d\uff0b\uff0d\uff20\ufe62\ufe63\ufe66\ufe6b"
ALL = "all"                # the assignment option that grades every notebook against its own assignment


@dataclass
class Submission:
    name: str          # the file's name, losslessly as printable text (see display_name)
    digest: str        # of its content
    cells: list = field(default_factory=list)
    bundle: object = None                        # bundle.Bundle, when it can be graded
    verdict: Verdict | None = None               # why it cannot run, if it cannot
    claimed: str | None = None                   # the known assignment its metadata names, if any
    owners: list = field(default_factory=list)   # owners[k]: the case that the sandbox's call k serves
    numbers: list = field(default_factory=list)  # numbers[i]: code cell i's place among all cells, from 1
    answers: list = field(default_factory=list)  # the first raw answer per case, once scored


def display_name(raw):
    """A file name (bytes) as printable text, one to one: every byte that is not printable
    UTF-8 (control, format and separator characters, undecodable bytes) and ``%`` itself
    become ``%XX``, and so does the first character of a name that a spreadsheet could read
    as a formula (``= + - @`` or their full-width or small forms, after any spaces)."""
    out = []
    for ch in raw.decode("utf-8", "surrogateescape"):
        if ch == "%" or feedback.unsafe(ch):
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8", "surrogateescape")))
        else:
            out.append(ch)
    return as_text("".join(out))


def as_text(text):
    """A CSV cell a spreadsheet shows as text, not as a formula: a first character that could start one
    (``= + - @`` or their full-width or small forms, after any spaces) spelt ``%XX``, as is that space."""
    if text.lstrip()[:1] and text.lstrip()[0] in FORMULA_STARTS:
        return "".join(f"%{b:02X}" for b in text[0].encode("utf-8")) + text[1:]
    return text


def feedback_file(name):
    """The feedback file's name, one to one with the submission's `name`: its display name (which
    has no ``/`` and spells every ``%`` as ``%25``) without ``.ipynb``, and ``.md``; a name that does
    not end in ``.ipynb`` (``x.IPYNB``) has its last ``.`` spelt ``%2E`` instead (``x%2EIPYNB.md``), or
    ``%2E`` at its end where it has none. A name too long for a file is cut and ends in ``%%`` and a
    hash of the whole, which no display name can spell, so that no two submissions share a feedback file."""
    if name.endswith(".ipynb"):
        stem = name.removesuffix(".ipynb")
    else:   # no display name holds "%2E" ("." is never spelt, "%" is "%25"): apart from every stem above
        before, dot, after = name.rpartition(".")
        stem = f"{before}%2E{after}" if dot else f"{name}%2E"
    stem = stem.replace("/", "%2F")  # a display name spells % as %25: still one to one
    if len(stem.encode()) <= FEEDBACK_NAME_BYTES:
        return f"{stem}.md"
    cut = stem.encode()[:FEEDBACK_NAME_BYTES - 20].decode("utf-8", "ignore")
    return f"{cut}%%{hashlib.sha256(name.encode()).hexdigest()[:16]}.md"


def _refuse_duplicate_keys(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise _Conflict("a key appears twice in one object")
    return dict(pairs)


class _Conflict(ValueError):
    pass


def _notebook(data):
    """(notebook as nbformat 4, None) or (None, Verdict): what Jupyter would show, or why not."""
    if data.count(b"{") > NOTEBOOK_BRACES:  # parsing costs about 10 us an object: bound it first
        return None, Verdict(Status.TOO_LARGE, f"(more than {NOTEBOOK_BRACES} JSON objects)")
    if data.count(b"[") > NOTEBOOK_BRACKETS:  # ... and some 3 us an array, with 60 bytes of memory each
        return None, Verdict(Status.TOO_LARGE, f"(more than {NOTEBOOK_BRACKETS} JSON arrays)")
    try:
        text = data.decode("utf-8")
        raw = json.loads(text, object_pairs_hook=_refuse_duplicate_keys)
    except _Conflict as why:
        return None, Verdict(Status.CONFLICTING, f"({why})")
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        return None, Verdict(Status.UNREADABLE, f"({type(error).__name__})")
    if not isinstance(raw, dict) or raw.get("nbformat") not in (3, 4):
        return None, Verdict(Status.UNREADABLE, "(not nbformat 3 or 4)")
    if raw["nbformat"] == 3 and "cells" in raw or raw["nbformat"] == 4 and "worksheets" in raw:
        return None, Verdict(Status.CONFLICTING, "(cells beside worksheets: Jupyter shows only one of them)")
    cells = _cells(raw)
    if len(cells) > NOTEBOOK_CELLS:
        return None, Verdict(Status.TOO_LARGE, f"(more than {NOTEBOOK_CELLS} cells)")
    if sum(len(c["outputs"]) for c in cells if isinstance(c, dict) and isinstance(c.get("outputs"), list)) \
            > NOTEBOOK_OUTPUTS:
        return None, Verdict(Status.TOO_LARGE, f"(more than {NOTEBOOK_OUTPUTS} outputs)")
    invalid = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # as Jupyter reads it (nbformat 3 from its worksheets), validated once
            nb = nbformat.reads(text, as_version=4, capture_validation_error=invalid)
    except MemoryError:
        raise
    except Exception:  # noqa: BLE001 -- whatever nbformat makes of a malformed file
        return None, Verdict(Status.UNREADABLE, "(it does not follow the notebook format)")
    if invalid:
        return None, Verdict(Status.UNREADABLE, "(it does not follow the notebook format)")
    return nb, None


def _cells(raw):
    """The cells of a parsed notebook file, before nbformat reads and validates them (so none is checked yet)."""
    if raw["nbformat"] == 4:
        cells = raw.get("cells")
        return cells if isinstance(cells, list) else []
    sheets = raw.get("worksheets")
    return [c for w in sheets if isinstance(w, dict) and isinstance(w.get("cells"), list)
            for c in w["cells"]] if isinstance(sheets, list) else []


def _bounded(data):
    """``_notebook(data)`` in a child process with NOTEBOOK_SECONDS of processor time (and four times as long on
    the clock) and NOTEBOOK_MEMORY bytes more than the grader's own; its result comes back pickled (the child
    runs the grader's code only: it reads the file, it never runs it). OSError where no child can start."""
    _compiled_schema()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:   # the child: whatever happens, it ends here
        os.close(read)
        os._exit(_child(data, write))
    os.close(write)
    ended = False
    try:
        received, ended = read_pipe(read, time.monotonic() + 4 * NOTEBOOK_SECONDS)
    finally:
        os.close(read)
        if not ended:   # out of time (once it has written its answer, it only exits)
            os.kill(pid, signal.SIGKILL)
        status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    if status == 0 and ended:
        return pickle.loads(received)
    if status == MEMORY_EXIT:
        return None, Verdict(Status.TOO_LARGE, f"(reading it needs more than {NOTEBOOK_MEMORY >> 20} MiB)")
    if status < 0 or not ended:   # killed: by its processor time limit, or by the clock
        return None, Verdict(Status.TOO_LARGE, f"(reading it takes more than {NOTEBOOK_SECONDS} s)")
    return None, Verdict(Status.UNREADABLE, f"(the grader's reading of it failed, exit status {status})")


@functools.cache
def _compiled_schema():
    """nbformat's validator of the current notebook format, compiled once in the grader's own process, so that
    each child of ``_bounded`` finds it there (compiling it takes 50 ms, reading a notebook a few)."""
    nbformat.validator.get_validator(version=4, version_minor=nbformat.v4.nbformat_minor)


def _child(data, write):
    """What the child of ``_bounded`` does: limit itself, read the notebook, write the result; its exit status."""
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))   # killed at its time limit: no core file
        resource.setrlimit(resource.RLIMIT_CPU, (NOTEBOOK_SECONDS, NOTEBOOK_SECONDS + 1))
        statm = Path("/proc/self/statm")   # its address space so far (the grader's), in pages
        if statm.exists():
            size = int(statm.read_text().split()[0]) * resource.getpagesize() + NOTEBOOK_MEMORY
            resource.setrlimit(resource.RLIMIT_AS, (size, size))
        with os.fdopen(write, "wb") as out:
            pickle.dump(_notebook(data), out, protocol=pickle.HIGHEST_PROTOCOL)
        return 0
    except MemoryError:
        return MEMORY_EXIT
    except BaseException:  # noqa: BLE001 -- never back into the grader's code from here
        return 1


def load(path):
    """(sha256 of the file at `path`, its notebook or None, None or the Verdict why not): the one way the
    grader reads a submission's file (at most NOTEBOOK_BYTES of it, see ``_notebook``, within the limits of
    ``_bounded``); OSError where it cannot be opened."""
    with open(path, "rb") as f:
        data = f.read(NOTEBOOK_BYTES + 1)
    digest = hashlib.sha256(data).hexdigest()
    if len(data) > NOTEBOOK_BYTES:
        return digest, None, Verdict(Status.TOO_LARGE, f"(more than {NOTEBOOK_BYTES >> 20} MiB)")
    return (digest, *_bounded(data))


def _unopened(name, error):
    return Submission(name, "", verdict=Verdict(Status.UNREADABLE, f"(the grader cannot open it: {error.strerror})"))


def superseded_by(latest):
    """The verdict of a notebook that a later one of the same student, named `latest`, replaces."""
    return Verdict(Status.SUPERSEDED, f"(a later notebook of the same student, {latest}, is graded)")


def superseded(path, name, latest):
    """A submission not read, because a later one of the same student (`latest`) replaces it: its digest only."""
    try:
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read(NOTEBOOK_BYTES + 1)).hexdigest()
    except OSError as error:
        return _unopened(name, error)
    return Submission(name, digest, verdict=superseded_by(latest))


def refused_masters(bundles, broken):
    """{assignment name: refusal} of the masters the build refused (`broken`: its AuthoringErrors) whose
    name no bundle has."""
    return {e.assignment: e for e in broken if e.assignment and e.assignment not in bundles}


def read(path, bundles, name=None, broken=()):
    """The submission at `path`, read once, by the grader; never run from the folder.

    broken: the build's refusals (``build.bundles``' errors): a notebook of a refused master's
    assignment is not graded, and says so."""
    name = name or display_name(os.fsencode(path.name))
    try:
        digest, nb, verdict = load(path)
    except OSError as error:
        return _unopened(name, error)
    sub = Submission(name, digest, verdict=verdict)
    if nb is None:
        return sub
    sub.cells = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    sub.numbers = [n for n, cell in enumerate(nb.cells, 1) if cell.cell_type == "code"]
    name = nb.metadata.get("assignment", {}).get("name") if isinstance(nb.metadata.get("assignment"), dict) else None
    refused = refused_masters(bundles, broken)
    if isinstance(name, str) and name in bundles:
        sub.claimed = name
    elif isinstance(name, str) and name in refused:
        sub.claimed = name
        sub.verdict = Verdict(Status.MASTER_REFUSED, f"({refused[name].file})")
    else:
        sub.verdict = Verdict(Status.UNKNOWN_ASSIGNMENT)
    return sub


def folder(path, bundles):
    """Every submission of a folder and its subfolders (regular .ipynb or .IPYNB files, no links), read."""
    return scan(path, bundles)[0]


def scan(path, bundles, broken=()):
    """(every notebook of the folder, read; every other file as intake.Skipped, with its reason)."""
    from . import intake
    found, skipped = intake.walk(path)
    return [read(f.path, bundles, f.name, broken) for f in found], skipped


def choose(subs, bundles, wanted=None, broken=()):
    """The bundles this batch grades with, and each submission's bundle or the reason it has none.

    wanted: an assignment's name, ``ALL`` (each notebook against its own), or None for the one
    assignment that the notebooks name. Refused when they name more than one: a majority would let
    one student's extra notebooks (or names that read as several submitters) choose the assignment
    and refuse the class's. Refused too when the assignment is one whose master the build refused
    (`broken`: its refusals); with ``ALL``, the notebooks of such an assignment are not graded and
    the others are.
    """
    if wanted is None:
        counts = sorted(Counter(s.claimed for s in subs if s.claimed).items(), key=lambda c: (-c[1], c[0]))
        if len(counts) > 1:
            said = ", ".join(f"{a} in {n} notebook{'s' * (n != 1)}" for a, n in counts)
            raise Refused(f"the notebooks of the folder name more than one assignment ({said}): say which "
                          "assignment to grade (--assignment, ASSIGNMENT= in make); the notebooks of any other "
                          "are then listed as of another assignment, with no points")
        wanted = counts[0][0] if counts else ALL
    refused = refused_masters(bundles, broken)
    if wanted in refused:
        raise Refused(f"the assignment {wanted!r} cannot be graded, because the build refused its master: "
                      f"{refused[wanted]}; fix the master and grade again")
    if wanted != ALL and wanted not in bundles:
        raise Refused(f"the assignment {wanted!r} is not one of the masters' ({', '.join(sorted(bundles))})")
    chosen = bundles if wanted == ALL else {wanted: bundles[wanted]}
    for sub in subs:
        if sub.claimed in chosen:
            sub.bundle = chosen[sub.claimed]
        elif sub.claimed and wanted != ALL:
            sub.verdict = Verdict(Status.OTHER_ASSIGNMENT, f"({sub.claimed}; this batch grades {wanted})")
    return chosen
