"""Step 3 of the pipeline, beside the student copy: the grader's bundle, the only input of grading.

``_build/assignments/grader/<name>/bundle.json`` holds one assignment's tests (hidden and
public) and their expected answers, computed at build time from the master's solutions, and
its written answers (id, question, points, prompt: what the term's review pages need); it
lives outside the student folder, which is what the site links and what may be published.
``source`` is a hash of the master and of the grader's code: a bundle whose hash differs from
the master's now is stale and is built again before grading.
"""

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import checks
from .model import Test

FILE = "bundle.json"
CODE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Bundle:
    """One assignment as the grader needs it: its tests (``model.Test``) and their expected answers."""
    name: str
    title: str
    tests: list
    expected: list
    points: dict          # question id -> its points, in the questions' order
    source: str = ""
    written: dict = field(default_factory=dict)   # written answer id -> {"question", "points", "prompt"}

    @property
    def maximum(self):
        return sum(test.points for test in self.tests)

    @property
    def questions(self):
        return list(self.points)


def _code(digest):
    for path in sorted(CODE.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def source_hash(master_path):
    """The hash that makes a bundle stale: the master's bytes and every file of the grader's code."""
    return _code(hashlib.sha256(Path(master_path).read_bytes()))


def code_hash():
    """The hash of the grader's code alone (what a row of no assignment depends on)."""
    return _code(hashlib.sha256())


def _plain(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def write(bundle, folder):
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = {"name": bundle.name, "title": bundle.title, "source": bundle.source, "points": bundle.points,
            "written": bundle.written,
            "tests": [{"test": test.as_json(), "expected": _plain(exp)}
                      for test, exp in zip(bundle.tests, bundle.expected)]}
    tmp = folder / f".{FILE}.{os.getpid()}"
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, folder / FILE)


def read(folder):
    """The bundle in `folder`, or None where there is none to read."""
    try:
        data = json.loads((Path(folder) / FILE).read_text())
        tests = [Test.from_json(t["test"]) for t in data["tests"]]
        expected = [checks.KINDS[test.check].load(t["expected"]) for test, t in zip(tests, data["tests"])]
        return Bundle(data["name"], data["title"], tests, expected, data["points"], data["source"],
                      data.get("written", {}))
    except (OSError, ValueError, KeyError, TypeError):
        return None
