"""Master notebooks, the student copies made from them, and the grader's bundles.

A master notebook (``assignments/a*.ipynb``) holds the solutions and the tests:

- code cells tagged ``solution`` have their lines between ``# BEGIN SOLUTION`` and
  ``# END SOLUTION`` replaced by ``...`` in the student copy;
- a code cell tagged ``hidden-tests`` defines ``HIDDEN_TESTS``, a list of plain
  literals (see ``checks.KINDS``); it is removed from the student copy;
- markdown cells tagged ``question`` are the prompts shown on the website;
- every other cell, the visible tests included, is copied as it is.
"""

import ast
import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path

from . import checks
from .model import Refused

MASTERS = Path(__file__).resolve().parent.parent
SOLUTION = re.compile(r"^([ \t]*)# BEGIN SOLUTION\s*$.*?^[ \t]*# END SOLUTION\s*$", re.M | re.S)


def masters():
    return sorted(MASTERS.glob("a*.ipynb"))


def hidden_tests(nb):
    """The HIDDEN_TESTS literal of a master notebook (nbformat), read without executing anything."""
    for cell in nb["cells"]:
        if "hidden-tests" in cell.get("metadata", {}).get("tags", []):
            for node in ast.parse(cell.source).body:
                if isinstance(node, ast.Assign) and node.targets[0].id == "HIDDEN_TESTS":
                    return checks.validate_cases(ast.literal_eval(node.value))
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


def _read_master(master):
    """(notebook, cases, expected answers) of a master; Refused, naming the file, where they are malformed."""
    import nbformat

    try:
        nb = nbformat.read(master, as_version=4)
        nb.metadata["assignment"]["name"], nb.metadata["assignment"]["title"]
        cases = hidden_tests(nb)
        return nb, cases, checks.expected_answers(cases)
    except KeyError as error:
        raise Refused(f"{master.name}: its metadata has no assignment {error}") from None
    except Exception as error:  # noqa: BLE001 -- the sentence says what is wrong, and where
        raise Refused(f"{master.name}: its hidden tests cannot be used ({type(error).__name__}: {error})") from None


def build(out_dir):
    """Student copies, question pages and the hidden tests (bundles) into out_dir/<name>/."""
    import nbformat

    out_dir = Path(out_dir)
    for master in masters():
        nb, cases, _ = _read_master(master)
        name = nb.metadata["assignment"]["name"]
        target = out_dir / name
        target.mkdir(parents=True, exist_ok=True)
        nbformat.write(student_copy(nb), target / f"{name}.ipynb")
        bundle = {"name": name, "title": nb.metadata["assignment"]["title"], "tests": cases}
        (target / "autograder.json").write_text(json.dumps(bundle, indent=1))
        (target / "questions.md").write_text(questions_markdown(nb))
        print(f"built {target}/{name}.ipynb and autograder.json ({len(bundle['tests'])} hidden test cases)")


@dataclass(frozen=True)
class Bundle:
    """One assignment as the grader needs it: its cases and their expected answers."""
    name: str
    title: str
    cases: list
    expected: list

    @property
    def maximum(self):
        return checks.maximum(self.cases)

    @property
    def questions(self):
        return list(dict.fromkeys(case["question"] for case in self.cases))


def bundles():
    """Every assignment, its expected answers computed now, before any submission runs."""
    out = {}
    for master in masters():
        nb, cases, expected = _read_master(master)
        meta = nb.metadata["assignment"]
        out[meta["name"]] = Bundle(meta["name"], meta["title"], cases, expected)
    return out
