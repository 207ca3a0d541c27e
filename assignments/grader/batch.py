"""Grading a folder: submissions side by side, each in its own sandbox, rows written as they finish.

The grader's own process does everything that is trusted: it computes the
expected answers and reads every submission's file (``submissions``) before any
submission starts, and scores the raw answers that come back. While sandboxes
run, its loop does only bounded work: their output and answers are read through
pipes, each with a cap, and parsed as data.

One batch grades one assignment (the one the notebooks of the folder name, or the one
the instructor names where they name several); a notebook of another gets no points.
Of one submitter's notebooks of it, only the latest runs (``supersede``).

The CSV is appended to and flushed row by row, so a crash of the grader loses
no finished row; run again on the same folder, the batch skips every
submission whose row is already there with the same content hash (``regrade``
to start afresh). Rows are keyed by the file's name, which ``submissions.display_name``
spells one to one. The scratch folder goes with the run, however it ends; one
left by a grader that was killed is removed by the next run.
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
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import build, checks, feedback, gradebook, intake, score, submissions
from .intake import natural
from . import bundle as bundles_io
from .protocol import parse_answers
from .model import NEEDS_INSTRUCTOR, Refused, Status, Verdict, status_of
from .sandbox import ANSWERS_BYTES, Bubblewrap, Limits, Unsandboxed

BASE_COLUMNS = ["submission", "assignment", "status", "total", "max_total"]
FAILED_COLUMN = "failed"     # the numbers of the checks that did not pass, for the class statistics
HASH_COLUMN = "sha256"
VERSION_COLUMN = "version"   # of the master and of the grader (the bundle's source hash): a change regrades
CHUNK = 1 << 16
# The runner's report of a cell whose import failed; only a plain module name is shown (as inline code).
MISSING_MODULE = re.compile(r"ModuleNotFoundError: No module named '([A-Za-z_][A-Za-z0-9_.]{0,79})'")
SCRATCH_PREFIX = "autograde-"
CELL_NOTES = 10             # cells whose error the feedback quotes; the others are counted
READ_LATEST = 5             # a submitter's latest notebooks read; reading one may take seconds (see unread)


@dataclass
class Run:
    """One submission while its sandbox runs."""
    sub: submissions.Submission
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


class Grades:
    """The CSV: existing rows kept, new rows appended and flushed one at a time."""

    def __init__(self, path, bundles, regrade):
        self.path = Path(path)
        questions = sorted({q for b in bundles.values() for q in b.questions}, key=natural)
        self.columns = BASE_COLUMNS + questions + [FAILED_COLUMN, HASH_COLUMN, VERSION_COLUMN]
        self.rows = {}
        if self.path.exists() and not regrade:
            try:
                with open(self.path, newline="") as f:
                    self.rows = {row["submission"]: row for row in csv.DictReader(f) if row.get("submission")}
            except (OSError, csv.Error, UnicodeDecodeError) as error:
                raise Refused(f"the grades file {self.path} cannot be read to resume from "
                              f"({type(error).__name__}): pass --regrade to start afresh") from None

    def done(self, sub, version):
        row = self.rows.get(sub.name)
        return row is not None and row.get(HASH_COLUMN) == sub.digest and row.get(VERSION_COLUMN) == version

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


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def write_sorted(path, columns, rows):
    """A grades CSV with its rows in the order of their names (numbers by value), replaced at once."""
    tmp = Path(path).with_name(Path(path).name + ".tmp")
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, restval="", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(sorted(rows, key=lambda r: natural(r["submission"])))
    os.replace(tmp, path)


def finish(csv_path, columns, rows, bundles):
    """What a run writes once every row is in, from its rows alone (a merge of a sharded run's parts
    writes the same): the CSV with its rows sorted by name; where the rows are of more than one
    assignment, a CSV per assignment beside it (``grades.<assignment>.csv``) with that assignment's
    questions only; and the class statistics page of each assignment (``stats.<assignment>.html``).
    `bundles`: {name: Bundle}, every master's (a row of an assignment whose master is gone is kept as it is)."""
    from . import stats
    csv_path = Path(csv_path)
    write_sorted(csv_path, columns, rows)
    present = sorted({r["assignment"] for r in rows if r.get("assignment") in bundles})
    for name in present:
        mine = [r for r in rows if r.get("assignment") == name]
        if len(present) > 1:
            write_sorted(csv_path.with_name(f"{csv_path.stem}.{name}.csv"),
                         BASE_COLUMNS + bundles[name].questions + [FAILED_COLUMN, HASH_COLUMN, VERSION_COLUMN], mine)
        stats.write(csv_path.parent / f"stats.{name}.html", bundles[name].title, mine, bundles[name].questions,
                    bundles[name].tests, bundles[name].expected, stats.EVERY_NOTEBOOK)


def _nothing_to_grade(folder, skipped):
    """The sentence for a folder with no notebook to grade, saying what it does hold."""
    checkpoints = sum(s.reason == intake.CHECKPOINT for s in skipped)
    others = len(skipped) - checkpoints
    held = [f"{checkpoints} Jupyter checkpoint{'s' * (checkpoints != 1)} (in .ipynb_checkpoints/, ignored)"] * bool(
        checkpoints) + [f"{others} other file{'s' * (others != 1)}"] * bool(others)
    return (f"no submissions were found in the submissions folder {folder}: it holds no notebook (.ipynb file)"
            + (f", only {' and '.join(held)}" if held else ""))


def needs_instructor(broken, skipped, statuses):
    """Lines saying what the instructor must look at: masters skipped as broken, files not graded
    ((name, reason) pairs) and rows whose status asks for them ({status: count})."""
    lines = [f"a broken master, skipped: {error}" for error in broken]
    lines += [f"{name}: not graded: {reason}" for name, reason in skipped]
    for status, count in sorted(statuses.items()):
        if status_of(status) in NEEDS_INSTRUCTOR:
            lines.append(f"{count} submission{'s' * (count != 1)}: {status}")
    return lines


def version(bundle):
    """What a grade depends on besides the notebook: the bundle's source hash (the master's bytes and the
    grader's code, ``bundle.source_hash``), or for a notebook of no assignment the grader's code alone."""
    return (bundle.source if bundle is not None and bundle.source else bundles_io.code_hash())[:16]


def in_shard(name, shard):
    """Whether a submission is in part k of n (shard = (k, n)): fixed by its name alone."""
    if shard is None:
        return True
    k, n = shard
    return int(hashlib.sha256(name.encode()).hexdigest(), 16) % n == k - 1


def _verdict(run, cells, done, sandbox, out_of_memory):
    if run.timed_out:
        return Verdict(Status.TIMED_OUT, f"after {sandbox.limits.timeout:g} s")
    if out_of_memory or any(e.startswith("MemoryError") for _, e in cells):
        return Verdict(Status.OUT_OF_MEMORY)
    code = run.process.returncode
    if done and code == 0:
        return _understood(run.sub, cells)
    return Verdict(Status.CRASHED, f"(killed by signal {-code})" if code < 0 else f"(exit status {code})")


def _understood(sub, cells):
    """OK, or what the student can fix: the first cell with a syntax error, the first import of a module
    that is not there, the functions never defined.

    Only the grader's words, names from the master and a module's name (letters, digits, ``_`` and
    ``.`` only) appear: a cell's error text counts only as the sign of a syntax error or of a missing
    module, an answer only when it is the NameError the runner gives for a function the notebook
    never defined.
    """
    for i, error in sorted(cells):
        if error.startswith(("SyntaxError", "IndentationError", "TabError")) and 0 <= i < len(sub.numbers):
            return Verdict(Status.SYNTAX_ERROR, f"in cell {sub.numbers[i]}")
    for i, error in sorted(cells):   # an import that fails stops its cell: its functions go undefined
        module = MISSING_MODULE.fullmatch(error)
        if module and 0 <= i < len(sub.numbers):
            return Verdict(Status.NO_MODULE, f"`{module[1]}` (cell {sub.numbers[i]})")
    missing = [name for name in dict.fromkeys(t.call for t in sub.bundle.tests)
               if any((a or {}).get("error") == f"NameError: name '{name}' is not defined"
                      for a, t in zip(sub.answers, sub.bundle.tests) if t.call == name)]
    if missing:
        return Verdict(Status.UNDEFINED, ", ".join(f"`{m}`" for m in missing))
    return Verdict(Status.OK)


def _notes(run, sub, cells, status, limits):
    """What the full feedback says about the run; text from the sandbox only as inline code."""
    raised = [f"cell {sub.numbers[i]} raised {_one_line(e)}" for i, e in sorted(cells) if 0 <= i < len(sub.numbers)]
    notes = raised[:CELL_NOTES] + [f"{len(raised) - CELL_NOTES} more cells raised"] * (len(raised) > CELL_NOTES)
    if run.output_bytes > limits.output:
        notes.append(f"printed {run.output_bytes:,} bytes; only the first {limits.output:,} were kept")
    if run.answers_bytes > ANSWERS_BYTES:
        notes.append(f"sent back more than {ANSWERS_BYTES:,} bytes of answers; the rest was dropped")
    if status is Status.TIMED_OUT:
        notes.append(f"it did not finish within {limits.timeout:g} s: answers that came back before count")
    elif status is Status.OUT_OF_MEMORY:
        notes.append(f"it used more memory than the limit of {limits.memory:,} bytes")
    elif status is Status.CRASHED:
        tail = bytes(run.output[-600:]).decode("utf-8", errors="replace").strip()
        notes.append("it stopped before answering every check" + (f"; its last output: {_one_line(tail)}" * bool(tail)))
    return notes


def _one_line(text):
    return feedback.code(text[:feedback.MAX_SHOWN])


def judged(sub, answers_data):
    """(results, cells, done) for a submission's raw answers."""
    tests = sub.bundle.tests
    raw, cells, done = parse_answers(answers_data, len(sub.owners))
    answers = [[] for _ in tests]
    for k, owner in enumerate(sub.owners):
        answers[owner].append(raw[k])
    sub.answers = [a[0] if a else None for a in answers]   # one per test, for the status
    return score.judge(tests, sub.bundle.expected, answers), cells, done


def _sweep_scratch():
    """Remove the scratch folders of earlier graders of this user that were killed before they could."""
    for path in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*-*"):
        owner = path.name.removeprefix(SCRATCH_PREFIX).split("-")[0]
        try:
            mine = path.lstat().st_uid == os.geteuid() and path.is_dir() and not path.is_symlink()
        except OSError:
            continue
        if mine and owner.isdigit() and not Path(f"/proc/{owner}").exists():
            shutil.rmtree(path, ignore_errors=True)


def submitter(found, roster=None):
    """Who handed a notebook in (`found`: intake.Found), as far as the run can tell: the roster's student it
    matches; else the LMS's submission (Canvas's user or anonymous id, Moodle's participant); else the file
    alone (a folder of any other name may hold anyone's notebooks). A Canvas name that reads as more than one
    user counts as its first reading's, apart from that user's unambiguous files: a student's copies under
    such names are then one submitter, and never a classmate's."""
    if roster is not None:
        student, _ = intake.owner(found, roster)
        if student is not None:
            return "student", student.id
    if found.lms in ("canvas", "moodle") and found.key:
        return found.lms, found.key
    if found.anonymous:
        return "canvas anonymous", found.anonymous
    if found.readings:
        return "canvas, read more than one way", found.readings[0].user, found.readings[0].who
    return "file", found.name


def supersede(subs, found, voters):
    """Mark the notebooks that are not run because a later one of the same submitter (`voters`) for the same
    assignment is: only the latest counts (``gradebook.build`` picks it the same way), so one student's many
    copies cost one run. Notebooks that cannot run (unreadable, another assignment) are never the later one.
    A notebook marked has no assignment, so that its row counts for none (and its version is not a graded
    row's: it is graded once it is the latest again)."""
    groups = {}
    for sub, f, voter in zip(subs, found, voters):
        if sub.bundle is not None and sub.verdict is None:
            groups.setdefault((voter, sub.bundle.name), []).append((f.handed_in, sub))
    for group in groups.values():
        *older, (_, latest) = sorted(group, key=lambda pair: pair[0])
        for _, sub in older:
            sub.bundle = None
            sub.verdict = submissions.superseded_by(latest.name)


def unread(found, voters):
    """The names of the notebooks read only if need be: a submitter's (not a lone file's) beyond
    their READ_LATEST latest (see ``Batch._read``). Reading a notebook is bounded (``submissions.NOTEBOOK_SECONDS``),
    but a hundred copies of a slow one would cost every run minutes."""
    groups = {}
    for f, voter in zip(found, voters):
        if voter[0] != "file":
            groups.setdefault(voter, []).append(f)
    return {f.name for files in groups.values()
            for f in sorted(files, key=lambda f: f.handed_in)[:-READ_LATEST]}


class Batch:
    def __init__(self, folder, csv_path, limits=None, jobs=None, sandboxed=True, brief=False, regrade=False,
                 assignment=None, shard=None, roster=None, log=print):
        self.folder = Path(folder)
        self.csv_path = Path(csv_path)
        self.feedback_dir = self.csv_path.parent / "feedback"
        self.limits = limits or Limits()
        self.jobs = jobs or os.cpu_count() or 1
        self.sandboxed = sandboxed
        self.brief = brief
        self.regrade = regrade
        self.assignment = assignment
        self.shard = shard
        self.roster = roster         # roster.Roster or None: who handed in each notebook
        self.log = log
        self.summary = {}
        self.broken = []             # refusals of masters skipped by this run
        self.selector = selectors.DefaultSelector()
        self.rng = np.random.default_rng(secrets.randbits(64))  # the order of calls, unknown to students
        self.count = 0

    def run(self):
        """Grade every notebook of the folder; returns the rows written by this run.

        Raises Refused (one sentence) for bad input from the instructor, SandboxUnavailable
        where the sandbox cannot run; the scratch folder is gone either way.
        """
        _sweep_scratch()
        with tempfile.TemporaryDirectory(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-") as workdir:
            self.workdir = Path(workdir)
            self.sandbox = (Bubblewrap if self.sandboxed else Unsandboxed)(self.limits, self.workdir)
            self.sandbox.check()
            if not self.sandbox.sandboxed:
                self.log("WARNING: grading without a sandbox; use this only for notebooks you trust")
            return self._grade()

    def _read(self, found, voters, all_bundles, broken):
        """(each notebook as a Submission, the bundles graded with). A submitter's notebooks older than their
        READ_LATEST latest (``unread``) are read, newest first, only while none of theirs can be graded; the
        others are superseded unread by the one that can."""
        later = unread(found, voters)
        subs = {i: submissions.read(f.path, all_bundles, f.name, broken)
                for i, f in enumerate(found) if f.name not in later}
        bundles = submissions.choose(list(subs.values()), all_bundles, self.assignment, broken)  # the whole folder's
        wanted = self.assignment or (next(iter(bundles)) if len(bundles) == 1 else submissions.ALL)
        graded = {voters[i]: found[i].name for i, s in subs.items() if s.bundle is not None and s.verdict is None}
        older = sorted((i for i, f in enumerate(found) if f.name in later),
                       key=lambda i: found[i].handed_in, reverse=True)
        for i in older:
            f, voter = found[i], voters[i]
            if voter in graded:
                subs[i] = submissions.superseded(f.path, f.name, graded[voter])
                continue
            subs[i] = submissions.read(f.path, all_bundles, f.name, broken)
            submissions.choose([subs[i]], all_bundles, wanted, broken)
            if subs[i].bundle is not None and subs[i].verdict is None:
                graded[voter] = f.name
        return [subs[i] for i in range(len(found))], bundles

    def _grade(self):
        self.broken = broken = []
        all_bundles = build.bundles(sandboxed=self.sandboxed, log=self.log, errors=broken)  # before anything runs
        for error in broken:
            self.log(f"skipping a broken master: {error}")
        self.bundles = all_bundles
        found, skipped = intake.walk(self.folder, self.roster)
        if not found:
            raise Refused(_nothing_to_grade(self.folder, skipped))
        voters = [submitter(f, self.roster) for f in found]
        subs, bundles = self._read(found, voters, all_bundles, broken)
        self.chosen = bundles
        supersede(subs, found, voters)
        subs = [s for s in subs if in_shard(s.name, self.shard)]
        skipped = [s for s in skipped if in_shard(s.name, self.shard)]
        part = f", part {self.shard[0]} of {self.shard[1]}" if self.shard else ""
        self.log(f"grading {', '.join(sorted(bundles)) or 'nothing'} ({len(subs)} notebooks in {self.folder}{part})")
        self.grades = Grades(self.csv_path, bundles, self.regrade)
        versions = {s.name: version(s.bundle) for s in subs}
        todo = [s for s in subs if not self.grades.done(s, versions[s.name])]
        stale = [s for s in todo if s.name in self.grades.rows and self.grades.rows[s.name].get(HASH_COLUMN) == s.digest]
        names = {s.name for s in subs}
        keep = [name for name in self.grades.rows if name not in {s.name for s in todo}]  # nothing graded is lost
        self.summary = {"skipped": [(s.name, s.reason) for s in skipped], "resumed": len(subs) - len(todo),
                        "regraded": len(stale), "gone": sorted(set(self.grades.rows) - names, key=natural)}
        if len(subs) > len(todo):
            self.log(f"{len(subs) - len(todo)} submissions already graded (same content, tests and grader): skipped")
        if stale:
            self.log(f"{len(stale)} submissions graded again: the master's tests or the grader changed since")
        self.versions = versions
        self.grades.open(keep)
        gradebook.mark_part(self.csv_path, self.shard)
        self.feedback_dir.mkdir(parents=True, exist_ok=True)
        written = []
        try:
            queue, running = deque(todo), []
            while queue or running:
                while queue and len(running) < self.jobs:
                    sub = queue.popleft()
                    run = self._start(sub) if sub.verdict is None else None
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
        finish(self.csv_path, self.grades.columns, read_rows(self.csv_path), all_bundles)
        self.log(f"wrote {self.csv_path}, {self.feedback_dir}/ and the class statistics (stats.*.html)")
        self.summary["statuses"] = Counter(r["status"] for r in read_rows(self.csv_path))
        self.summary["written"] = len(written)
        return written

    def needs_instructor(self):
        """Lines saying what the instructor must look at (empty when nothing)."""
        return needs_instructor(self.broken, self.summary.get("skipped", []), self.summary.get("statuses", {}))

    def _start(self, sub):
        self.count += 1
        job = self.workdir / f"job-{self.count}.json"
        calls, sub.owners = checks.calls(sub.bundle.tests, self.rng)
        job.write_text(json.dumps({"cells": sub.cells, "calls": calls}))
        read, write = os.pipe()
        try:
            process, cgroup = self.sandbox.start(job, write, str(self.count))
        except OSError as error:
            os.close(read)
            sub.verdict = Verdict(Status.NO_SANDBOX, f"({type(error).__name__})")
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
               "max_total": sub.bundle.maximum if sub.bundle else 0, HASH_COLUMN: sub.digest,
               VERSION_COLUMN: self.versions[sub.name]}
        try:
            if run is None:
                scored, results, notes = {"status": str(sub.verdict)}, None, []
            else:
                scored, results, notes = self._score_run(sub, run)
            feedback.write(self.feedback_dir / submissions.feedback_file(sub.name), {**row, **scored},
                           sub.bundle if results else None, results, notes, self.brief)
            row.update(scored)
        except Exception as error:  # noqa: BLE001 -- one submission must never stop the batch
            row["status"] = str(Verdict(Status.GRADER_ERROR, f"({type(error).__name__}); grade it by hand"))
        self.grades.add(row)
        self.log(f"{sub.name}: {row['total']} / {row['max_total']} points ({row['status']})")
        return row

    def _score_run(self, sub, run):
        """(the row's status and points, results, notes) of a run that has ended."""
        self._kill(run)  # whatever is left of it (normally nothing)
        for fd in [k.fd for k in self.selector.get_map().values() if k.data[0] is run]:
            self._close(fd, run)
        run.process.wait()
        if run.cgroup is not None:
            out_of_memory = run.cgroup.ran_out_of_memory()
            run.cgroup.remove()
        else:
            out_of_memory = False
        results, cells, done = judged(sub, run.answers)
        verdict = _verdict(run, cells, done, self.sandbox, out_of_memory)
        earned = score.points(results)
        scored = {"status": str(verdict), **earned, "total": sum(earned.values()),
                  FAILED_COLUMN: " ".join(str(i + 1) for i, r in enumerate(results) if not r.passed)}
        return scored, results, _notes(run, sub, cells, verdict.status, self.limits)
