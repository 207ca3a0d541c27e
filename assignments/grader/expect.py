"""Step 2 of the pipeline: expected answers from the master's own solutions, and the build's proof.

A master is code too: its code cells run in the same sandbox and runner as a submission
("submission zero"), on every input of every test (``checks.master_calls``), and what its
solutions return becomes the expected answers (``checks.expected_answers``), computed before
any student code runs. Then the master's answers are scored like a submission's (``score``): a master that
does not earn full marks on its own tests is refused (like nbgrader's validate). The untouched
student copy runs too, and must earn nothing: a copy that earns points gives the answer away.
"""

import ast
import json
import os
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from . import checks, master as master_format, score
from .model import AuthoringError
from .protocol import parse_answers, read_pipe
from .sandbox import ANSWERS_BYTES, Bubblewrap, Limits, SandboxUnavailable, Unsandboxed

LIMITS = Limits(timeout=120)


def sandbox_for(workdir, sandboxed=True, log=print):
    """Bubblewrap where it runs; elsewhere (or with sandboxed=False) the masters run unsandboxed, with a word."""
    if sandboxed:
        box = Bubblewrap(LIMITS, workdir)
        try:
            box.check()
            return box
        except SandboxUnavailable as why:
            log(f"note: the masters run without a sandbox here ({why})")
    return Unsandboxed(LIMITS, workdir)


def run(sandbox, cells, calls, name):
    """(raw answers per call, [(cell, error)], done) of one notebook's code cells and calls in `sandbox`."""
    job = Path(sandbox.workdir) / f"{name}.json"
    job.write_text(json.dumps({"cells": cells, "calls": calls}))
    read, write = os.pipe()
    try:
        process, cgroup = sandbox.start(job, write, name)
    finally:
        os.close(write)
    output = threading.Thread(target=lambda: [None for _ in iter(lambda: process.stdout.read(1 << 16), b"")],
                              daemon=True)
    output.start()
    try:
        data, _ = read_pipe(read, time.monotonic() + sandbox.limits.timeout, ANSWERS_BYTES)
    finally:
        os.close(read)
        if process.poll() is None:
            process.kill()
        process.wait()
        output.join(timeout=5)
        if cgroup is not None:
            cgroup.remove()
    return parse_answers(data, len(calls))


def code_cells(nb):
    return [c.source for c in nb.cells if c.cell_type == "code"]


def _cell_errors(assignment, nb, cells):
    """The first code cell that raised, as a located refusal, or None."""
    numbers = [i + 1 for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    for i, error in sorted(cells):
        if 0 <= i < len(numbers):
            return AuthoringError(assignment.file, f"the cell raised {error}", numbers[i])
    return None


def expected(assignment, sandbox):
    """The expected answer of every test of `assignment`, from its master run in `sandbox`.

    Refuses (AuthoringError, located) a master whose cells raise, whose solutions cannot give an
    expected answer, or whose answers do not earn full marks on its own tests."""
    nb, tests = assignment.notebook, assignment.tests
    # The master as a student would hand it in: without its tests cells.
    cells = [c for c in nb.cells if master_format.TESTS not in master_format.tags(c)]
    nb_run = type(nb)(nb)
    nb_run.cells = cells
    planned = checks.master_calls(tests)
    raw, errors, done = run(sandbox, code_cells(nb_run), [call for call, _ in planned], f"master-{assignment.name}")
    problem = _cell_errors(assignment, nb_run, errors)
    if problem:
        raise problem
    if not done:
        raise AuthoringError(assignment.file, "the master did not finish running its tests "
                             f"(within {sandbox.limits.timeout:g} s, or it crashed)")
    per_test = [[] for _ in tests]
    for (call, owner), answer in zip(planned, raw):
        per_test[owner].append(answer)
    try:
        expect = checks.expected_answers(tests, per_test)
    except checks.TestRefused as error:
        test = tests[error.index]
        if error.of_master and f"name {test.call!r} is not defined" in str(error):
            raise _undefined(assignment, test) from None
        cell = _defined(assignment).get(test.call) if error.of_master else None
        where = f" ({test.call} is defined in cell {cell})" if cell else ""
        raise master_format.refusal(assignment, test, f"{error}{where}") from None
    # The master, graded like a submission on its own answers: full marks or a refusal.
    graded = [answers[:len(checks.KINDS[t.check].calls(t))] for t, answers in zip(tests, per_test)]
    failed = [r for r in score.judge(tests, expect, graded) if not r.passed]
    if failed:   # a test that fails itself, before one that only its function's other tests hold back
        raise _disagreement(assignment, min(failed, key=lambda r: r.gated))
    return expect


def _defined(assignment):
    """{name: cell number} of the functions and names the master's code cells define at their top level."""
    names = {}
    for number, cell in enumerate(assignment.notebook.cells, start=1):
        if cell.cell_type != "code" or master_format.TESTS in master_format.tags(cell):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.setdefault(node.name, number)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        names.setdefault(target.id, number)
    return names


def _undefined(assignment, test):
    """The refusal of a test whose function the master never defines, with the closest name it does."""
    return master_format.refusal(assignment, test, f"the master defines no {test.call!r}"
                                 f"{master_format.closest(test.call, list(_defined(assignment)))}: call a function "
                                 "the solution defines", "call")


def _digits(first, second):
    """The fewest significant digits, 6 to 17, that show two values apart (17 where none does)."""
    return next((n for n in range(6, 17) if checks.compact(first, digits=n) != checks.compact(second, digits=n)), 17)


def _disagreement(assignment, result):
    """The refusal of a test that the master's own answer fails: why, both values on one line each of bounded
    length, to as many digits as show them apart."""
    test, answer = result.test, result.answer or {}
    if "error" in answer and not checks.KINDS[test.check].raises:
        if f"name {test.call!r} is not defined" in result.detail:
            return _undefined(assignment, test)
        return master_format.refusal(assignment, test, "the master's own solution raised "
                                     f"{' '.join(result.detail.split())[:200] or 'an exception'}")
    declared = test.expected if test.expected is not None else result.expected
    digits = _digits(declared, answer["value"]) if "value" in answer else 6
    if result.note:
        came = result.note
    elif "value" in answer:
        came = checks.compact(answer["value"], digits=digits)
    else:
        came = f"raised {answer.get('error', 'nothing it could send back')}"[:200]
    if test.expected is not None:
        source = f"the declared expected, {checks.compact(test.expected, digits=digits)},"
    elif test.reference is not None:
        source = f"mathlib's {test.reference} gives {checks.compact(result.expected, digits=digits)}, which"
    else:
        return master_format.refusal(assignment, test, (
            f"the master's own solution does not pass this test (expected "
            f"{' '.join(checks.shows(test, result.expected, condition=False).split())[:200]}; came back: {came}"
            f"{': ' + result.detail[:200] if result.detail else ''})"))
    tolerance = ""
    if "rtol" in checks.KINDS[test.check].fields:   # the tolerances in force, the defaults too
        rtol, atol = checks.tolerances(test)
        tolerance = f" (compared with rtol {rtol:g} and atol {atol:g})"
    return master_format.refusal(assignment, test, f"{source} disagrees with what the master's solution computes, "
                                 f"{came}{tolerance}: check the solution, or the expected value")


def untouched_scores_nothing(assignment, copy, expect, sandbox):
    """Refuse a student copy that earns points as it is, naming a test it passes."""
    tests = assignment.tests
    calls, owners = checks.calls(tests, np.random.default_rng(0))
    raw, _, _ = run(sandbox, code_cells(copy), calls, f"copy-{assignment.name}")
    answers = [[] for _ in tests]
    for owner, answer in zip(owners, raw):
        answers[owner].append(answer)
    results = score.judge(tests, expect, answers)
    earned = score.points(results)
    given = next((r for r in results if r.passed and r.test.points and earned[r.test.question]), None)
    if given:
        q, call = given.test.question, given.test.call
        cell = _defined(assignment).get(call)
        if cell is None:
            raise master_format.refusal(assignment, given.test, f"the untouched student copy already passes this "
                                        f"test, for {earned[q]} point(s) of {q}: part of the solution is outside "
                                        "its solution region")
        raise AuthoringError(assignment.file, f"the untouched student copy already passes a test of {call} "
                             f"({master_format.TESTS_NAME}[{given.test.index}] of cell {given.test.cell}) and "
                             f"earns {earned[q]} point(s) of {q}: put the body of {call} between # BEGIN SOLUTION and "
                             "# END SOLUTION lines, so that the copy keeps only what a student starts from",
                             cell, "source")


def workdir():
    return tempfile.TemporaryDirectory(prefix="autograde-build-")
