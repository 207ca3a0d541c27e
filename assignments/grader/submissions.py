"""Reading the submissions folder, before any of it runs: names, notebooks, assignments.

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
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import feedback
from .model import Refused, Status, Verdict

NOTEBOOK_BYTES = 20 << 20  # a larger submission is not graded
ALL = "all"                # the assignment option that grades every notebook against its own assignment


@dataclass
class Submission:
    name: str          # the file's name, losslessly as printable text (see display_name)
    digest: str        # of its content
    cells: list = field(default_factory=list)
    bundle: object = None                        # notebooks.Bundle, when it can be graded
    verdict: Verdict | None = None               # why it cannot run, if it cannot
    claimed: str | None = None                   # the known assignment its metadata names, if any
    owners: list = field(default_factory=list)   # owners[k]: the case that the sandbox's call k serves


def display_name(raw):
    """A file name (bytes) as printable text, one to one: every byte that is not printable
    UTF-8 (control, format and separator characters, undecodable bytes) and ``%`` itself
    become ``%XX``, and so does a leading ``= + - @`` (a formula, to a spreadsheet)."""
    out = []
    for ch in raw.decode("utf-8", "surrogateescape"):
        if ch == "%" or feedback.unsafe(ch):
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8", "surrogateescape")))
        else:
            out.append(ch)
    text = "".join(out)
    return f"%{ord(text[0]):02X}{text[1:]}" if text[:1] in ("=", "+", "-", "@") else text


def feedback_file(sub):
    """The feedback file's name: the stem where it is plain, else a safe stem and a hash of the name."""
    stem = sub.name.removesuffix(".ipynb")
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", stem)
    return f"{safe}.md" if safe == stem else f"{safe}-{hashlib.sha256(sub.name.encode()).hexdigest()[:8]}.md"


def _refuse_duplicate_keys(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise _Conflict("a key appears twice in one object")
    return dict(pairs)


class _Conflict(ValueError):
    pass


def _notebook(data):
    """(notebook as nbformat 4, None) or (None, Verdict): what Jupyter would show, or why not."""
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
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nb = nbformat.reads(text, as_version=4)  # as Jupyter reads it: nbformat 3 from its worksheets
            nbformat.validate(nb)
    except Exception:  # noqa: BLE001 -- whatever nbformat makes of a malformed file
        return None, Verdict(Status.UNREADABLE, "(it does not follow the notebook format)")
    return nb, None


def read(path, bundles):
    """The submission at `path`, read once, by the grader; never run from the folder."""
    with open(path, "rb") as f:
        data = f.read(NOTEBOOK_BYTES + 1)
    sub = Submission(display_name(os.fsencode(path.name)), hashlib.sha256(data).hexdigest())
    if len(data) > NOTEBOOK_BYTES:
        sub.verdict = Verdict(Status.TOO_LARGE, f"(more than {NOTEBOOK_BYTES >> 20} MiB)")
        return sub
    nb, sub.verdict = _notebook(data)
    if nb is None:
        return sub
    sub.cells = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    name = nb.metadata.get("assignment", {}).get("name") if isinstance(nb.metadata.get("assignment"), dict) else None
    if isinstance(name, str) and name in bundles:
        sub.claimed = name
    else:
        sub.verdict = Verdict(Status.UNKNOWN_ASSIGNMENT)
    return sub


def folder(path, bundles):
    """Every submission of a folder (regular .ipynb files, no links), read."""
    path = Path(path)
    if not path.is_dir():
        raise Refused(f"the submissions folder {path} does not exist or is not a folder")
    files = sorted(p for p in path.iterdir() if p.suffix == ".ipynb" and p.is_file() and not p.is_symlink())
    return [read(p, bundles) for p in files]


def choose(subs, bundles, wanted=None):
    """The bundles this batch grades with, and each submission's bundle or the reason it has none.

    wanted: an assignment's name, ``ALL`` (each notebook against its own), or None
    for the assignment that most notebooks of the folder name.
    """
    if wanted is None:
        counts = Counter(s.claimed for s in subs if s.claimed).most_common()
        if len(counts) > 1 and counts[0][1] == counts[1][1]:
            raise Refused(f"the folder holds as many notebooks of {counts[0][0]} as of {counts[1][0]}: "
                          "say which assignment to grade (--assignment, ASSIGNMENT= in make)")
        wanted = counts[0][0] if counts else ALL
    if wanted != ALL and wanted not in bundles:
        raise Refused(f"the assignment {wanted!r} is not one of the masters' ({', '.join(sorted(bundles))})")
    chosen = bundles if wanted == ALL else {wanted: bundles[wanted]}
    for sub in subs:
        if sub.claimed in chosen:
            sub.bundle = chosen[sub.claimed]
        elif sub.claimed:
            sub.verdict = Verdict(Status.OTHER_ASSIGNMENT, f"({sub.claimed}; this batch grades {wanted})")
    return chosen
