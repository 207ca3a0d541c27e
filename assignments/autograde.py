"""Course assignments: student copies, and an autograder that grades data, not trust.

    python assignments/autograde.py build OUT            student copies and grader bundles
    python assignments/autograde.py grade FOLDER CSV     grade every notebook in FOLDER

A master notebook (``assignments/*.ipynb``) holds the solutions and the tests:

- code cells tagged ``solution`` have their lines between ``# BEGIN SOLUTION`` and
  ``# END SOLUTION`` replaced by ``...`` in the student copy;
- a code cell tagged ``hidden-tests`` defines ``HIDDEN_TESTS``, a list of plain
  literals (see ``CHECKS``); it is removed from the student copy;
- markdown cells tagged ``question`` are the prompts shown on the website;
- every other cell, the visible tests included, is copied as it is.

How grading works, and why it cannot be talked into marks. Each submission is
run in its own process, under a time limit, by a fresh Jupyter kernel in an
empty temporary folder, with ``mathlib`` made unimportable. After the
student's cells, one more cell calls the student's functions on the hidden
inputs and writes the raw answers to a file. The expected answers are computed
afterwards, by ``mathlib`` in the grader's own process, which the student's
code never touched: redefining test helpers, monkeypatching ``mathlib`` or
``numpy``, or writing files cannot change them. A submission that exits, dies
or loops forever scores zero and the batch goes on. Every submission is read
into memory before the first one runs, so nothing a submission writes into the
submissions folder is graded.
"""

import argparse
import ast
import copy
import csv
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import numpy as np

HERE = Path(__file__).resolve().parent
SOLUTION = re.compile(r"^([ \t]*)# BEGIN SOLUTION\s*$.*?^[ \t]*# END SOLUTION\s*$", re.M | re.S)
DEFAULT_TIMEOUT = 120  # seconds for one submission, kernel start included

# A test case is a dict with "question", "points" and one of these "check" kinds:
#   "close":  call the student's function "call"(*args, **kwargs) and compare with
#             mathlib."reference" on the same arguments, or on "ref_args" and
#             "ref_kwargs" where given (rtol/atol optional);
#   "raises": the call must raise the exception named in "error";
#   "equals": the call must return the literal "expected";
#   "mc":     the call returns (estimate, stderr) for a Monte Carlo estimate of
#             mathlib.kl_mvn(*args[:4]): the estimate within 5 standard errors, and
#             the standard error within a factor 2 of mathlib.mc_kl_mvn's;
#   "source": the source of the student's function must mention every word of
#             "needs" and none of "avoids".
CHECKS = ("close", "raises", "equals", "mc", "source")

BLOCK_MATHLIB = '''\
import sys as _sys
class _NoMathlib:
    def find_spec(self, name, path=None, target=None):
        if name == "mathlib" or name.startswith("mathlib."):
            raise ImportError("mathlib is not available while grading: write your own code")
_sys.meta_path.insert(0, _NoMathlib())
for _name in [n for n in _sys.modules if n == "mathlib" or n.startswith("mathlib.")]:
    del _sys.modules[_name]
'''

ANSWER_CELL = '''\
import inspect as _inspect, json as _json, numpy as _np
_answers = []
for _case in _json.loads({cases!r}):
    try:
        _f = globals()[_case["call"]]
        if _case["check"] == "source":
            _answers.append({{"value": _inspect.getsource(_f)}})
            continue
        _value = _f(*_case["args"], **_case["kwargs"])
        if _case["check"] == "equals":
            _answers.append({{"value": _value if isinstance(_value, (str, bool, int)) else repr(_value)}})
        else:
            _answers.append({{"value": _np.asarray(_value, dtype=float).tolist()}})
    except BaseException as _error:
        _answers.append({{"error": type(_error).__name__}})
with open({path!r}, "w") as _file:
    _json.dump(_answers, _file)
'''


# ---------------------------------------------------------------- student copies

def masters():
    return sorted(HERE.glob("a*.ipynb"))


def hidden_tests(nb):
    """The HIDDEN_TESTS literal of a master notebook, read without executing anything."""
    for cell in nb.cells:
        if "hidden-tests" in cell.metadata.get("tags", []):
            for node in ast.parse(cell.source).body:
                if isinstance(node, ast.Assign) and node.targets[0].id == "HIDDEN_TESTS":
                    cases = ast.literal_eval(node.value)
                    for case in cases:
                        if case["check"] not in CHECKS:
                            raise ValueError(f"unknown check {case['check']!r} in {case}")
                        case.setdefault("args", [])
                        case.setdefault("kwargs", {})
                    return cases
    raise ValueError("the master notebook has no cell tagged hidden-tests defining HIDDEN_TESTS")


def student_copy(nb):
    """The master with solutions stripped, hidden tests removed and outputs cleared."""
    out = copy.deepcopy(nb)
    cells = []
    for cell in out.cells:
        tags = cell.metadata.get("tags", [])
        if "hidden-tests" in tags:
            continue
        if cell.cell_type == "code":
            if "solution" in tags:
                cell.source = SOLUTION.sub(lambda m: f"{m.group(1)}...  # your code here", cell.source)
            cell.outputs, cell.execution_count = [], None
        cells.append(cell)
    out.cells = cells
    return out


def questions_markdown(nb):
    title = nb.metadata["assignment"]["title"]
    prompts = [c.source for c in nb.cells if c.cell_type == "markdown" and "question" in c.metadata.get("tags", [])]
    return f"## {title}\n\n" + "\n\n".join(prompts) + "\n"


def build(out_dir):
    out_dir = Path(out_dir)
    for master in masters():
        nb = nbformat.read(master, as_version=4)
        name = nb.metadata["assignment"]["name"]
        target = out_dir / name
        target.mkdir(parents=True, exist_ok=True)
        nbformat.write(student_copy(nb), target / f"{name}.ipynb")
        bundle = {"name": name, "title": nb.metadata["assignment"]["title"], "tests": hidden_tests(nb)}
        (target / "autograder.json").write_text(json.dumps(bundle, indent=1))
        (target / "questions.md").write_text(questions_markdown(nb))
        print(f"built {target}/{name}.ipynb and autograder.json ({len(bundle['tests'])} hidden test cases)")


# ---------------------------------------------------------------- grading one submission

def run_submission(nb, cases, cell_timeout):
    """Execute a submission with the answer cell appended; return the raw answers (or None)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    with tempfile.TemporaryDirectory() as work:
        answers_path = os.path.join(work, f"answers-{secrets.token_hex(8)}.json")
        code = [c for c in nb.cells if c.cell_type == "code"]
        cells = [nbformat.v4.new_code_cell(BLOCK_MATHLIB)] + [nbformat.v4.new_code_cell(c.source) for c in code]
        cells.append(nbformat.v4.new_code_cell(ANSWER_CELL.format(cases=json.dumps(cases), path=answers_path)))
        run = nbformat.v4.new_notebook(cells=cells)
        client = NotebookClient(run, timeout=cell_timeout, kernel_name="python3", allow_errors=True,
                                resources={"metadata": {"path": work}})
        try:
            client.execute(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except (DeadKernelError, RuntimeError):
            return None
        try:
            with open(answers_path) as f:
                answers = json.load(f)
        except (OSError, ValueError):
            return None
        return answers if isinstance(answers, list) and len(answers) == len(cases) else None


def passes(case, answer):
    """Does one answer pass its test case? Expected values come from mathlib, here."""
    import mathlib

    kind = case["check"]
    if kind == "raises":
        return answer.get("error") == case["error"]
    if "value" not in answer:
        return False
    value = answer["value"]
    if kind == "equals":
        return value == case["expected"]
    if kind == "source":
        words = set(re.findall(r"[A-Za-z_]+", value))
        return set(case.get("needs", [])) <= words and not set(case.get("avoids", [])) & words
    got = np.asarray(value, dtype=float)
    if kind == "mc":
        if got.shape != (2,) or not np.all(np.isfinite(got)) or got[1] <= 0:
            return False
        exact = mathlib.kl_mvn(*case["args"][:4])
        ref = mathlib.mc_kl_mvn(*case["args"][:5], rng=np.random.default_rng(12345))
        return abs(got[0] - exact) < 5 * got[1] and 0.5 < got[1] / ref.stderr < 2.0
    reference = getattr(mathlib, case["reference"])
    expected = np.asarray(reference(*case.get("ref_args", case["args"]), **case.get("ref_kwargs", case["kwargs"])), dtype=float)
    if got.shape != expected.shape:
        return False
    return bool(np.allclose(got, expected, rtol=case.get("rtol", 1e-7), atol=case.get("atol", 1e-10)))


def score(cases, answers):
    """Points per question."""
    points = {}
    for i, case in enumerate(cases):
        earned = case["points"] if answers is not None and passes(case, answers[i]) else 0
        points[case["question"]] = points.get(case["question"], 0) + earned
    return points


def grade_one():
    """Child process: read {token, notebook, bundle, cell_timeout} on stdin, print the result."""
    job = json.loads(sys.stdin.read())
    result = {"status": "ok"}
    try:
        nb = nbformat.reads(job["notebook"], as_version=4)
        bundle = job["bundle"]
        if nb.metadata.get("assignment", {}).get("name") != bundle["name"]:
            result["status"] = "not this assignment"
            answers = None
        else:
            answers = run_submission(nb, bundle["tests"], job["cell_timeout"])
            if answers is None:
                result["status"] = "did not finish (exited, crashed or wrote no answers)"
    except Exception as error:  # an unreadable notebook, for one
        result["status"] = f"could not be graded: {type(error).__name__}"
        answers = None
    result["points"] = score(job["bundle"]["tests"], answers)
    print(job["token"] + json.dumps(result))


# ---------------------------------------------------------------- grading a folder

def grade(folder, csv_path, timeout=DEFAULT_TIMEOUT):
    bundles = {}
    for master in masters():
        nb = nbformat.read(master, as_version=4)
        bundles[nb.metadata["assignment"]["name"]] = {
            "name": nb.metadata["assignment"]["name"], "tests": hidden_tests(nb)}
    # Read every submission before running any: what a submission writes is never graded.
    submissions = {p.name: p.read_text(encoding="utf-8", errors="replace") for p in sorted(Path(folder).glob("*.ipynb"))}
    rows = []
    for name, text in submissions.items():
        try:
            assignment = json.loads(text).get("metadata", {}).get("assignment", {}).get("name")
        except ValueError:
            assignment = None
        bundle = bundles.get(assignment)
        if bundle is None:
            rows.append({"submission": name, "assignment": assignment or "", "status": "unknown assignment", "total": 0})
            continue
        result = grade_in_child(text, bundle, timeout)
        total = sum(result["points"].values())
        rows.append({"submission": name, "assignment": assignment, "status": result["status"],
                     "total": total, **result["points"]})
        print(f"{name}: {total} points ({result['status']})")
    columns = ["submission", "assignment", "status", "total"]
    columns += sorted({k for r in rows for k in r} - set(columns))
    with open(csv_path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, restval="")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {csv_path}")
    return rows


def grade_in_child(text, bundle, timeout):
    token = secrets.token_hex(16)
    job = json.dumps({"token": token, "notebook": text, "bundle": bundle, "cell_timeout": timeout})
    zero = {q["question"]: 0 for q in bundle["tests"]}
    proc = subprocess.Popen([sys.executable, __file__, "grade-one"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(job, timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the kernel too: it is in the same session
        proc.communicate()
        return {"status": f"timed out after {timeout} s", "points": zero}
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    lines = [line[len(token):] for line in out.splitlines() if line.startswith(token)]
    if len(lines) != 1:
        return {"status": "grader failed", "points": zero}
    return json.loads(lines[0])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="student copies and grader bundles")
    b.add_argument("out")
    g = sub.add_parser("grade", help="grade every .ipynb in a folder into one CSV")
    g.add_argument("folder")
    g.add_argument("csv")
    g.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT, help="seconds per submission")
    sub.add_parser("grade-one", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.command == "build":
        build(args.out)
    elif args.command == "grade":
        grade(args.folder, args.csv, args.timeout)
    else:
        grade_one()


if __name__ == "__main__":
    main()
