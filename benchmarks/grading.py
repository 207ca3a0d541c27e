"""Grading throughput: `autograde grade` (sandboxed, in parallel) against `jupyter execute` one by one.

Twelve honest submissions (the three reference solutions, four copies each) are
executed first one after another with `jupyter execute` (a Jupyter kernel per
notebook, no sandbox, no grading), then graded by `autograde.py grade` with its
default settings (one submission per core, each in its own bubblewrap sandbox).
Both are timed in this process, best of `REPEATS`, and the ratio printed; the
goal is at most 0.5.
"""

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "assignments"))
from grader import notebooks  # noqa: E402

COPIES, REPEATS = 4, 3


def honest_folder(folder):
    for master in notebooks.masters():
        nb = nbformat.read(master, as_version=4)
        nb.cells = [c for c in nb.cells if "hidden-tests" not in c.metadata.get("tags", [])]
        for i in range(COPIES):
            nbformat.write(nb, folder / f"{master.stem}_{i}.ipynb")
    return sorted(folder.glob("*.ipynb"))


def best_of(run):
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    jupyter = Path(sys.executable).parent / "jupyter"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "submissions"
        folder.mkdir()
        paths = honest_folder(folder)

        def one_by_one():
            for path in paths:
                subprocess.run([str(jupyter), "execute", str(path)], check=True, capture_output=True)

        def graded():
            shutil.rmtree(Path(tmp) / "out", ignore_errors=True)
            subprocess.run([sys.executable, str(ROOT / "assignments" / "autograde.py"), "grade", str(folder),
                            str(Path(tmp) / "out" / "grades.csv")], check=True, capture_output=True)

        sequential = best_of(one_by_one)
        sandboxed = best_of(graded)
    print(f"{len(paths)} honest submissions, best of {REPEATS}:")
    print(f"  jupyter execute, one by one:          {sequential:6.1f} s")
    print(f"  autograde grade, sandboxed, parallel: {sandboxed:6.1f} s")
    print(f"  ratio (goal: at most 0.5):            {sandboxed / sequential:6.2f}")


if __name__ == "__main__":
    main()
