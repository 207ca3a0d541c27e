"""Step 4 of the pipeline: the submissions folder read before any of it runs: names, notebooks, assignments.

Everything here is bounded work on untrusted bytes, done once per file before the
batch starts, so that no submission's file can delay another's run. A notebook is
graded as Jupyter shows it: read with ``nbformat`` (nbformat 3 converted the way
Jupyter converts it, from its worksheets), and refused when the file holds content
that Jupyter would not show (a key twice, cells beside worksheets) or when it does not
follow the notebook format.
"""

import hashlib
import json
import os
import warnings
from collections import Counter
from dataclasses import dataclass, field

import nbformat

from . import feedback
from .model import Refused, Status, Verdict

NOTEBOOK_BYTES = 20 << 20  # a larger submission is not graded
NOTEBOOK_CELLS = 2_000     # ... nor one with more cells (reading and validating cost grows with them)
NOTEBOOK_BRACES = 100_000  # ... nor one with more "{" (an upper bound on its JSON objects, counted before parsing)
FEEDBACK_NAME_BYTES = 200  # a feedback file's longer name is cut and ends in a hash
# A name a spreadsheet may read as a formula starts with one of these, after any spaces.
FORMULA_STARTS = "=+-@\uff1d\uff0b\uff0d\uff20"
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
    as a formula (``= + - @`` or their full-width forms, after any spaces)."""
    out = []
    for ch in raw.decode("utf-8", "surrogateescape"):
        if ch == "%" or feedback.unsafe(ch):
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8", "surrogateescape")))
        else:
            out.append(ch)
    return as_text("".join(out))


def as_text(text):
    """A CSV cell a spreadsheet shows as text, not as a formula: a first character that could start one
    (``= + - @`` or their full-width forms, after any spaces) spelt ``%XX``, as is that space."""
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
    if _cell_count(raw) > NOTEBOOK_CELLS:
        return None, Verdict(Status.TOO_LARGE, f"(more than {NOTEBOOK_CELLS} cells)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nb = nbformat.reads(text, as_version=4)  # as Jupyter reads it: nbformat 3 from its worksheets
            nbformat.validate(nb)
    except Exception:  # noqa: BLE001 -- whatever nbformat makes of a malformed file
        return None, Verdict(Status.UNREADABLE, "(it does not follow the notebook format)")
    return nb, None


def _cell_count(raw):
    """Cells of a parsed notebook file, counted before nbformat reads and validates them."""
    if raw["nbformat"] == 4:
        cells = raw.get("cells")
        return len(cells) if isinstance(cells, list) else 0
    sheets = raw.get("worksheets")
    return sum(len(w.get("cells", [])) if isinstance(w, dict) and isinstance(w.get("cells"), list) else 0
               for w in sheets) if isinstance(sheets, list) else 0


def load(path):
    """(sha256 of the file at `path`, its notebook or None, None or the Verdict why not): the one way the
    grader reads a submission's file (at most NOTEBOOK_BYTES of it, see ``_notebook``); OSError where it
    cannot be opened."""
    with open(path, "rb") as f:
        data = f.read(NOTEBOOK_BYTES + 1)
    digest = hashlib.sha256(data).hexdigest()
    if len(data) > NOTEBOOK_BYTES:
        return digest, None, Verdict(Status.TOO_LARGE, f"(more than {NOTEBOOK_BYTES >> 20} MiB)")
    return (digest, *_notebook(data))


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
        return Submission(name, "", verdict=Verdict(Status.UNREADABLE, f"(the grader cannot open it: {error.strerror})"))
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


def choose(subs, bundles, wanted=None, broken=(), voters=None, unanimous=False):
    """The bundles this batch grades with, and each submission's bundle or the reason it has none.

    wanted: an assignment's name, ``ALL`` (each notebook against its own), or None for the
    assignment that most submitters name. Refused when that is an assignment whose master the
    build refused (`broken`: its refusals); with ``ALL``, the notebooks of such an assignment are
    not graded and the others are. voters: who handed in each of `subs` (a student, an LMS
    submission; default: each file its own), so that one student's many notebooks are one vote;
    unanimous: refuse, rather than outvote, submitters who name different assignments (a run
    with a roster, whose grades go to the LMS).
    """
    if wanted is None:
        voters = voters or [s.name for s in subs]
        counts = sorted(Counter(a for a, _ in {(s.claimed, v) for s, v in zip(subs, voters) if s.claimed}).items(),
                        key=lambda c: (-c[1], c[0]))
        if len(counts) > 1 and (unanimous or counts[0][1] == counts[1][1]):
            said = ", ".join(f"{a} by {n}" for a, n in counts)
            raise Refused(f"the notebooks of the folder name more than one assignment (submitters: {said}"
                          f"{'; with a roster all must agree' if unanimous else ''}): say which assignment to "
                          "grade (--assignment, ASSIGNMENT= in make)")
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
