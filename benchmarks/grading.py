"""Grading a term: 300 submissions of one assignment at JOBS=2, as `make grade` runs them with a roster.

The folder is what Canvas's "Download Submissions" gives for a class of 300 (assignment 1),
a mix like a real one:

- 210 correct (the master's solutions),
- 45 wrong (one of the five functions returns something else),
- 30 with errors (a syntax error, a function never defined, a cell that raises),
- 14 untouched student copies,
- 1 slow (a cell that loops until the timeout, 120 s, stops it);

30 of them carry Canvas's LATE. `autograde.py grade` runs once on it, sandboxed, with
`--jobs 2`, a roster, a due date and a penalty (the term's files included), then once
more (a resume: nothing to grade, the term's files again). For comparison, `jupyter
execute` runs 10 of the correct notebooks one after another (a kernel each, no sandbox, no
grading). Printed: the wall time, in all and per submission, with the machine's load
average before and after. Measured, not asserted: on a machine that other work shares,
wall times grow with its load. (CPU time is not printed: the notebooks' processes end
inside their sandbox's PID namespace, where this process's resource usage cannot see them.)
"""

import csv
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "assignments"))
from grader import build  # noqa: E402

A1 = "a1_discrete_divergences"
STUDENTS, JOBS, BY_HAND = 300, 2, 10
FIRST = ["Ada", "Alan", "Emmy", "Kurt", "Grace", "John", "Sofia", "Carl", "Marie", "Emile",
         "Henri", "Sophie", "David", "Hedy", "Claude", "Rosalind", "Srinivasa", "Maryam", "Paul", "Niels"]
LAST = ["Lovelace", "Turing", "Noether", "Godel", "Hopper", "Neumann", "Kovalevskaya", "Gauss", "Curie",
        "Borel", "Poincare", "Germain", "Hilbert", "Lamarr", "Shannon"]
WRONG = ["def my_entropy(p, base=None):\n    return 0.0",
         "def my_kl(p, q, base=None):\n    return float(np.sum(p * np.log(p / q)))",
         "def my_jsd(p, q, base=None):\n    return my_kl(p, q, base)"]
ERRORS = [("def broken(:\n    pass", 3), ("raise RuntimeError('not done yet')", 3)]


def with_cell(nb, source, at=None):
    out = nbformat.reads(nbformat.writes(nb), as_version=4)
    out.cells.insert(len(out.cells) if at is None else at, nbformat.v4.new_code_cell(source))
    return out


def class_folder(folder):
    """The 300 notebooks, named as Canvas names them, and the roster: (the roster's path, {notebook: kind})."""
    master = nbformat.read(build.MASTERS / f"{A1}.ipynb", as_version=4)
    solved = nbformat.reads(nbformat.writes(master), as_version=4)
    solved.cells = [c for c in solved.cells if "tests" not in c.metadata.get("tags", [])]
    undefined = nbformat.reads(nbformat.writes(solved), as_version=4)
    undefined.cells = [c for c in undefined.cells if "def my_jsd" not in c.source]
    untouched = nbformat.read(build.OUT / "student" / A1 / f"{A1}.ipynb", as_version=4)
    kinds = (["correct"] * 210 + ["wrong"] * 45 + ["error"] * 30 + ["untouched"] * 14 + ["slow"])
    random.Random(0).shuffle(kinds)
    late = set(random.Random(1).sample(range(STUDENTS), 30))
    rows, notebooks = [["id", "name", "email", "canvas_id"]], {}
    for i, kind in enumerate(kinds):
        first, last = FIRST[i % len(FIRST)], LAST[i // len(FIRST)]
        rows.append([f"s{i:03d}", f"{first} {last}", f"{first}.{last}@uni.edu".lower(), str(1000 + i)])
        nb = {"correct": lambda: solved, "untouched": lambda: untouched,
              "wrong": lambda: with_cell(solved, WRONG[i % len(WRONG)]),
              "error": lambda: (undefined if i % 3 == 2 else with_cell(solved, *ERRORS[i % 2])),
              "slow": lambda: with_cell(solved, "while True:\n    pass", at=3)}[kind]()
        name = f"{last}{first}".lower() + ("_LATE" if i in late else "") + f"_{1000 + i}_{70000 + i}_{A1}.ipynb"
        nbformat.write(nb, folder / name)
        notebooks[folder / name] = kind
    roster = folder.parent / "roster.csv"
    with open(roster, "w", newline="") as f:
        csv.writer(f).writerows(rows)
    return roster, notebooks


def timed(command):
    """(wall seconds, the finished process)."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    return time.perf_counter() - start, done


def load():
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def main():
    build.bundles()   # the expected answers first, as make grade does: not part of the timing
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "submissions"
        folder.mkdir()
        roster, notebooks = class_folder(folder)
        grades = Path(tmp) / "out" / "grades.csv"
        command = [sys.executable, str(ROOT / "assignments" / "autograde.py"), "grade", str(folder), str(grades),
                   "--jobs", str(JOBS), "--roster", str(roster), "--due", "2025-03-01T23:59", "--penalty", "0.1"]
        before = load()
        wall, done = timed(command)
        if done.returncode not in (0, 1):
            sys.exit(f"grading failed ({done.returncode}): {done.stderr}")
        with open(grades, newline="") as f:
            rows = list(csv.DictReader(f))
        statuses = Counter(row["status"].split(" (")[0] for row in rows)
        points = Counter("full marks" if row["total"] == row["max_total"] else "none" if float(row["total"]) == 0
                         else "some" for row in rows)
        again, _ = timed(command)
        jupyter = Path(sys.executable).parent / "jupyter"
        alone = sum(timed([str(jupyter), "execute", "--output", str(Path(tmp) / "executed.ipynb"), str(path)])[0]
                    for path in [p for p, kind in notebooks.items() if kind == "correct"][:BY_HAND])
        after = load()
    print(f"{STUDENTS} submissions of {A1} (Canvas's names, a roster, a due date), sandboxed, JOBS={JOBS}:")
    print("  statuses: " + ", ".join(f"{n} {s}" for s, n in statuses.most_common()))
    print("  points:   " + ", ".join(f"{n} {s}" for s, n in points.most_common()))
    print(f"  total:          {wall:7.1f} s (exit status {done.returncode})")
    print(f"  per submission: {wall / STUDENTS:7.2f} s")
    print(f"  run again (a resume: the term's files only): {again:.1f} s")
    print(f"jupyter execute, {BY_HAND} correct notebooks one by one (no sandbox, no grading):")
    print(f"  per notebook:   {alone / BY_HAND:7.2f} s")
    print(f"load average (1, 5, 15 min) before: {before}; after: {after} (this machine has {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
