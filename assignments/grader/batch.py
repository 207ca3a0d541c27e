"""Grading a folder: submissions side by side, each in its own sandbox, rows written as they finish.

The grader's own process does everything that is trusted: it computes the
expected answers before any submission starts, reads each submission's file
itself, and scores the raw answers that come back. A sandbox's output and
answers are read through pipes, each with a cap, and parsed as data.

The CSV is appended to and flushed row by row, so a crash of the grader loses
no finished row; run again on the same folder, the batch skips every
submission whose row is already there with the same content hash (``regrade``
to start afresh).
"""

import csv
import hashlib
import json
import os
import secrets
import re
import selectors
import shutil
import signal
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import checks, feedback, notebooks
from .sandbox import ANSWERS_BYTES, Bubblewrap, Limits, Unsandboxed

NOTEBOOK_BYTES = 20 << 20  # a larger submission is not graded
BASE_COLUMNS = ["submission", "assignment", "status", "total", "max_total"]
HASH_COLUMN = "sha256"
CHUNK = 1 << 16


@dataclass
class Submission:
    name: str          # the file's name, made safe to print (see safe_name)
    data: bytes
    digest: str
    cells: list = field(default_factory=list)
    bundle: notebooks.Bundle | None = None
    problem: str = ""  # why it cannot run, if it cannot
    owners: list = field(default_factory=list)  # owners[k]: the case that the sandbox's call k serves


def safe_name(name):
    """A file name as text that cannot break the CSV, a spreadsheet or the feedback's Markdown."""
    text = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    text = re.sub(r"[\x00-\x1f\x7f]", "?", text)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def feedback_file(sub):
    stem = Path(sub.name).stem
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", stem)
    return f"{safe}.md" if safe == stem else f"{safe}-{sub.digest[:8]}.md"


def read_submission(path, bundles):
    """The submission at `path`, read once, by the grader; never run from the folder."""
    with open(path, "rb") as f:
        data = f.read(NOTEBOOK_BYTES + 1)
    sub = Submission(safe_name(path.name), data, hashlib.sha256(data).hexdigest())
    if len(data) > NOTEBOOK_BYTES:
        sub.problem = f"larger than {NOTEBOOK_BYTES >> 20} MiB"
        return sub
    try:
        nb = json.loads(data.decode("utf-8", errors="replace"))
        sub.cells = notebooks.code_cells(nb)
        name = nb.get("metadata", {}).get("assignment", {}).get("name")
    except Exception as error:  # noqa: BLE001 -- anything unreadable is the submission's problem
        sub.problem = f"not a readable notebook ({type(error).__name__})"
        return sub
    sub.bundle = bundles.get(name) if isinstance(name, str) else None
    if sub.bundle is None:
        sub.problem = "unknown assignment"
    return sub


@dataclass
class Run:
    """One submission while its sandbox runs."""
    sub: Submission
    process: object
    cgroup: object
    answers_fd: int
    deadline: float
    output: bytearray = field(default_factory=bytearray)
    output_bytes: int = 0
    answers: bytearray = field(default_factory=bytearray)
    answers_bytes: int = 0
    open_pipes: int = 2
    timed_out: bool = False


def parse_answers(data, count):
    """Raw answers from the runner's JSON lines; anything malformed is ignored."""
    answers, cells, done = [None] * count, [], False
    for line in bytes(data).split(b"\n"):
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if not isinstance(record, dict):
            continue
        k = record.get("case")
        if type(k) is int and 0 <= k < count and answers[k] is None:
            answers[k] = record
        elif type(record.get("cell")) is int:
            cells.append((record["cell"], str(record.get("error", ""))[:feedback.MAX_SHOWN]))
        elif record.get("done") is True:
            done = True
    return answers, cells, done


def natural(text):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]


class Grades:
    """The CSV: existing rows kept, new rows appended and flushed one at a time."""

    def __init__(self, path, bundles, regrade):
        self.path = Path(path)
        questions = sorted({q for b in bundles.values() for q in b.questions}, key=natural)
        self.columns = BASE_COLUMNS + questions + [HASH_COLUMN]
        self.rows = {}
        if self.path.exists() and not regrade:
            with open(self.path, newline="") as f:
                self.rows = {row["submission"]: row for row in csv.DictReader(f) if row.get("submission")}

    def done(self, sub):
        row = self.rows.get(sub.name)
        return row is not None and row.get(HASH_COLUMN) == sub.digest

    def open(self, keep):
        """Rewrite the file with the rows of `keep` (submission names), then append from there."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=self.columns, restval="", extrasaction="ignore")
            writer.writeheader()
            writer.writerows(self.rows[name] for name in keep)
        os.replace(tmp, self.path)
        self.file = open(self.path, "a", newline="")
        self.writer = csv.DictWriter(self.file, fieldnames=self.columns, restval="", extrasaction="ignore")

    def add(self, row):
        self.writer.writerow(row)
        self.file.flush()
        os.fsync(self.file.fileno())

    def close(self):
        self.file.close()


def _status(run, cells, done, sandbox, out_of_memory):
    if run.timed_out:
        return f"timed out after {sandbox.limits.timeout:g} s"
    if out_of_memory or any(e.startswith("MemoryError") for _, e in cells):
        return "ran out of memory"
    code = run.process.returncode
    if done and code == 0:
        return "ok"
    return f"crashed (killed by signal {-code})" if code < 0 else f"crashed (exit status {code})"


def _notes(run, sub, cells, status, limits, brief):
    """What the feedback says about the run. Text from the sandbox only in full feedback."""
    notes = [f"code cell {i + 1} raised " + ("an exception" if brief else _one_line(e))
             for i, e in sorted(cells) if 0 <= i < len(sub.cells)]
    if run.output_bytes > limits.output:
        notes.append(f"printed {run.output_bytes:,} bytes; only the first {limits.output:,} were kept")
    if run.answers_bytes > ANSWERS_BYTES:
        notes.append(f"sent back more than {ANSWERS_BYTES:,} bytes of answers; the rest was dropped")
    if status.startswith("timed out"):
        notes.append(f"it did not finish within {limits.timeout:g} s: answers that came back before count")
    elif status == "ran out of memory":
        notes.append(f"it used more memory than the limit of {limits.memory:,} bytes")
    elif status.startswith("crashed"):
        tail = bytes(run.output[-600:]).decode("utf-8", errors="replace").strip()
        notes.append("it stopped before answering every check" + (
            f"; its last output: {_one_line(tail)}" if tail and not brief else ""))
    return notes


def _one_line(text):
    return feedback.code(text[:feedback.MAX_SHOWN])


def score(sub, answers_data):
    """(results, cells, done) for a submission's raw answers."""
    cases = sub.bundle.cases
    raw, cells, done = parse_answers(answers_data, len(sub.owners))
    answers = [[] for _ in cases]
    for k, owner in enumerate(sub.owners):
        answers[owner].append(raw[k])
    reading = None
    for i, case in enumerate(cases):
        if checks.KINDS[case["check"]].calls is None:
            reading = reading or checks.NotebookReading(sub.cells)
            answers[i] = [checks.source_answer(case, reading)]
    return checks.judge(cases, sub.bundle.expected, answers), cells, done


class Batch:
    def __init__(self, folder, csv_path, limits=None, jobs=None, sandboxed=True, brief=False, regrade=False,
                 log=print):
        self.folder = Path(folder)
        self.csv_path = Path(csv_path)
        self.feedback_dir = self.csv_path.parent / "feedback"
        self.limits = limits or Limits()
        self.jobs = jobs or os.cpu_count() or 1
        self.brief = brief
        self.log = log
        self.bundles = notebooks.bundles()  # expected answers: computed before anything runs
        self.grades = Grades(self.csv_path, self.bundles, regrade)
        self.workdir = Path(tempfile.mkdtemp(prefix="autograde-"))
        self.sandbox = (Bubblewrap if sandboxed else Unsandboxed)(self.limits, self.workdir)
        self.selector = selectors.DefaultSelector()
        self.rng = np.random.default_rng(secrets.randbits(64))  # the order of calls, unknown to students
        self.count = 0

    def run(self):
        """Grade every notebook of the folder; returns the rows written by this run."""
        self.sandbox.check()
        if not self.sandbox.sandboxed:
            self.log("WARNING: grading without a sandbox; use this only for notebooks you trust")
        paths = sorted(p for p in self.folder.iterdir() if p.suffix == ".ipynb" and p.is_file()
                       and not p.is_symlink())
        subs = [read_submission(p, self.bundles) for p in paths]
        todo = [s for s in subs if not self.grades.done(s)]
        keep = [name for name in self.grades.rows if name not in {s.name for s in todo}]
        if len(subs) > len(todo):
            self.log(f"{len(subs) - len(todo)} submissions already graded (same content): skipped")
        self.grades.open(keep)
        self.feedback_dir.mkdir(parents=True, exist_ok=True)
        written = []
        try:
            queue, running = deque(todo), []
            while queue or running:
                while queue and len(running) < self.jobs:
                    sub = queue.popleft()
                    run = self._start(sub) if not sub.problem else None
                    if run is None:
                        written.append(self._finish(sub, None))
                    else:
                        running.append(run)
                self._drain(timeout=0.05)
                now = time.monotonic()
                for run in list(running):
                    if not run.timed_out and now > run.deadline and run.process.poll() is None:
                        self._kill(run)
                        run.timed_out = True
                    if run.process.poll() is not None and (run.open_pipes == 0 or now > run.deadline + 5):
                        running.remove(run)
                        written.append(self._finish(run.sub, run))
        finally:
            self.grades.close()
            shutil.rmtree(self.workdir, ignore_errors=True)
        self.log(f"wrote {self.csv_path} and {self.feedback_dir}/")
        return written

    def _start(self, sub):
        self.count += 1
        job = self.workdir / f"job-{self.count}.json"
        calls, sub.owners = checks.calls(sub.bundle.cases, self.rng)
        job.write_text(json.dumps({"cells": sub.cells, "calls": calls}))
        read, write = os.pipe()
        try:
            process, cgroup = self.sandbox.start(job, write, f"autograde-{os.getpid()}-{self.count}")
        except OSError as error:
            os.close(read)
            sub.problem = f"the sandbox did not start ({error})"
            return None
        finally:
            os.close(write)
        run = Run(sub, process, cgroup, read, time.monotonic() + self.limits.timeout)
        os.set_blocking(process.stdout.fileno(), False)
        os.set_blocking(read, False)
        self.selector.register(process.stdout.fileno(), selectors.EVENT_READ, (run, "output"))
        self.selector.register(read, selectors.EVENT_READ, (run, "answers"))
        return run

    def _drain(self, timeout):
        for key, _ in self.selector.select(timeout):
            run, which = key.data
            try:
                chunk = os.read(key.fd, CHUNK)
            except BlockingIOError:
                continue
            if not chunk:
                self._close(key.fd, run)
                continue
            self._keep(run, which, chunk)

    def _keep(self, run, which, chunk):
        buffer, cap = (run.output, self.limits.output) if which == "output" else (run.answers, ANSWERS_BYTES)
        buffer += chunk[:max(0, cap - len(buffer))]
        setattr(run, f"{which}_bytes", getattr(run, f"{which}_bytes") + len(chunk))

    def _close(self, fd, run):
        """Stop reading one of a run's pipes, keeping (within the caps) what is still in it."""
        which = "answers" if fd == run.answers_fd else "output"
        try:
            for _ in range(64):  # bounded: a writer outside a sandbox could write forever
                chunk = os.read(fd, CHUNK)
                if not chunk:
                    break
                self._keep(run, which, chunk)
        except OSError:  # nothing more to read now (or the pipe broke)
            pass
        self.selector.unregister(fd)
        if fd != run.answers_fd:
            run.process.stdout.close()
        else:
            os.close(fd)
        run.open_pipes -= 1

    def _kill(self, run):
        try:
            if self.sandbox.sandboxed:
                run.process.kill()  # bubblewrap; its PID namespace goes with it
            else:
                os.killpg(run.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def _finish(self, sub, run):
        """Score one submission, write its feedback, then its row (the row marks it graded)."""
        row = {"submission": sub.name, "assignment": sub.bundle.name if sub.bundle else "", "total": 0,
               "max_total": sub.bundle.maximum if sub.bundle else 0, HASH_COLUMN: sub.digest}
        results, notes = None, []
        try:
            if run is None:
                row["status"] = sub.problem
            else:
                results, notes = self._score_run(sub, run, row)
            feedback.write(self.feedback_dir / feedback_file(sub), row, sub.bundle if results else None,
                           results, notes, self.brief)
        except Exception as error:  # noqa: BLE001 -- one submission must never stop the batch
            row.update({"status": f"grader error ({type(error).__name__}); grade it by hand", "total": 0})
        self.grades.add(row)
        self.log(f"{sub.name}: {row['total']} / {row['max_total']} points ({row['status']})")
        return row

    def _score_run(self, sub, run, row):
        self._kill(run)  # whatever is left of it (normally nothing)
        for fd in [k.fd for k in self.selector.get_map().values() if k.data[0] is run]:
            self._close(fd, run)
        run.process.wait()
        if run.cgroup is not None:
            out_of_memory = run.cgroup.ran_out_of_memory()
            run.cgroup.remove()
        else:
            out_of_memory = False
        results, cells, done = score(sub, run.answers)
        row["status"] = _status(run, cells, done, self.sandbox, out_of_memory)
        row.update(checks.points(results))
        row["total"] = sum(checks.points(results).values())
        return results, _notes(run, sub, cells, row["status"], self.limits, self.brief)
