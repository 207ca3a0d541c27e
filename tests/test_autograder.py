"""The assignments' autograder: fair to honest work, and not fooled by cheating.

One batch of submissions is graded once (each in its own process, as `make grade`
does) and every assertion reads the resulting CSV.
"""

import csv
import importlib.util
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("autograde", ROOT / "assignments" / "autograde.py")
autograde = importlib.util.module_from_spec(spec)
spec.loader.exec_module(autograde)

A1 = "a1_discrete_divergences"
MASTERS = {p.stem: p for p in autograde.masters()}
FULL = {A1: 15, "a2_kl_between_normals": 10, "a3_cross_entropy_loss": 13}
LOOP_TIMEOUT = 25  # seconds; an honest submission takes about five


def master(name):
    return nbformat.read(MASTERS[name], as_version=4)


def with_cell(nb, source, at):
    """A copy of a notebook with one more code cell at index `at`."""
    out = nbformat.from_dict(nb)
    out = nbformat.reads(nbformat.writes(out), as_version=4)
    out.cells.insert(at, nbformat.v4.new_code_cell(source))
    return out


def solved(name):
    """A student's submission that solves everything: the master without its hidden tests."""
    nb = master(name)
    nb.cells = [c for c in nb.cells if "hidden-tests" not in c.metadata.get("tags", [])]
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    build = tmp_path_factory.mktemp("built")
    autograde.build(build)
    folder = tmp_path_factory.mktemp("submissions")
    subs = {}
    for name in FULL:
        subs[f"reference_{name}"] = solved(name)
        subs[f"untouched_{name}"] = nbformat.read(build / name / f"{name}.ipynb", as_version=4)

    # Partly wrong: my_kl without its input checks loses exactly the two "raises" cases of q2.
    partial = solved(A1)
    for cell in partial.cells:
        if "def my_kl(" in cell.source:
            cell.source = cell.source.replace('raise ValueError(f"{name} has negative entries")', "pass")
            cell.source = cell.source.replace('raise ValueError(f"{name} does not sum to 1")', "pass")
    subs["partial"] = partial

    # Raises at top level between questions: the rest is still graded.
    subs["raises_at_top"] = with_cell(solved(A1), "raise RuntimeError('oops')", at=3)

    # Cheats, each on the untouched copy (nothing solved).
    untouched = subs[f"untouched_{A1}"]
    subs["cheat_helpers"] = with_cell(untouched, (
        "import numpy as np\n"
        "np.allclose = lambda *a, **k: True\nnp.isclose = lambda *a, **k: True\n"
        "import builtins\nbuiltins.abs = lambda x: 0.0\n"
        "def my_entropy(p, base=None): return 0.0\n"), at=2)
    subs["cheat_mathlib"] = with_cell(untouched, (
        "try:\n    import mathlib\n    mathlib.entropy = lambda *a, **k: 0.0\n"
        "    mathlib.kl_divergence = lambda *a, **k: 0.0\nexcept ImportError:\n    pass\n"
        "def my_entropy(p, base=None):\n    import mathlib\n    return mathlib.entropy(p, base=base)\n"
        "def my_kl(p, q, base=None): return 0.0\n"), at=2)
    subs["cheat_exit"] = with_cell(untouched, "import sys\nsys.exit(0)", at=2)
    subs["cheat_os_exit"] = with_cell(untouched, "import os\nos._exit(0)", at=2)
    injected = folder / "injected_reference.ipynb"
    subs["cheat_writes"] = with_cell(untouched, (
        "import json, os, shutil\n"
        f"nb = {nbformat.writes(solved(A1))!r}\n"
        f"open({str(injected)!r}, 'w').write(nb)\n"
        "for f in os.listdir('.'):\n    open(f, 'w').write('[]')\n"
        "open('answers.json', 'w').write(json.dumps([{'value': 1.0}] * 15))\n"), at=2)
    subs["cheat_loop"] = with_cell(untouched, "while True:\n    pass", at=2)

    for stem, nb in subs.items():
        nbformat.write(nb, folder / f"{stem}.ipynb")
    csv_path = folder.parent / "scores.csv"
    autograde.grade(folder, csv_path, timeout=LOOP_TIMEOUT)
    with open(csv_path) as f:
        rows = {row["submission"].removesuffix(".ipynb"): row for row in csv.DictReader(f)}
    return rows, injected


def total(rows, stem):
    return int(rows[stem]["total"])


@pytest.mark.parametrize("name", FULL)
def test_reference_solutions_earn_full_marks(graded, name):
    rows, _ = graded
    assert total(rows, f"reference_{name}") == FULL[name]


@pytest.mark.parametrize("name", FULL)
def test_untouched_student_copies_earn_nothing(graded, name):
    rows, _ = graded
    assert total(rows, f"untouched_{name}") == 0


def test_partly_wrong_submission_gets_partial_credit(graded):
    rows, _ = graded
    assert rows["partial"]["q2"] == "3"
    assert total(rows, "partial") == FULL[A1] - 2


def test_raising_cell_does_not_stop_grading(graded):
    rows, _ = graded
    assert rows["raises_at_top"]["status"] == "ok"
    assert total(rows, "raises_at_top") == FULL[A1]


@pytest.mark.parametrize("stem", ["cheat_helpers", "cheat_mathlib", "cheat_exit", "cheat_os_exit",
                                  "cheat_writes", "cheat_loop"])
def test_cheats_earn_nothing(graded, stem):
    rows, _ = graded
    assert total(rows, stem) == 0


def test_batch_goes_on_and_grades_only_what_was_submitted(graded):
    rows, injected = graded
    assert "timed out" in rows["cheat_loop"]["status"]
    assert rows["cheat_os_exit"]["status"].startswith("did not finish")
    assert injected.exists()  # the cheat did write it, before it was graded...
    assert injected.stem not in rows  # ...but it was never graded
    assert len(rows) == 14  # the 14 submitted files, and only those


def test_student_copies_hide_solutions_and_hidden_tests(tmp_path):
    autograde.build(tmp_path)
    for name in FULL:
        text = (tmp_path / name / f"{name}.ipynb").read_text()
        assert "BEGIN SOLUTION" not in text and "HIDDEN_TESTS" not in text
        assert "# your code here" in text
        nb = nbformat.read(tmp_path / name / f"{name}.ipynb", as_version=4)
        assert all(c.get("outputs", []) == [] for c in nb.cells if c.cell_type == "code")
