"""The grader's small shared types: what became of a submission, and refusals of the instructor's input."""

from dataclasses import dataclass
from enum import Enum


class Status(Enum):
    """What became of one submission, in the CSV's words."""
    OK = "ok"
    SYNTAX_ERROR = "syntax error"         # "syntax error in cell 4", cells counted as Jupyter shows them
    UNDEFINED = "function not defined"    # "function `my_jsd` is not defined", "functions `a`, `b` are not defined"
    NO_MODULE = "module cannot be imported"  # "module `scipy` cannot be imported (cell 3)"
    TIMED_OUT = "stopped"                 # "stopped after 120 s"
    OUT_OF_MEMORY = "ran out of memory"
    CRASHED = "crashed"
    TOO_LARGE = "too large"
    UNREADABLE = "not a readable notebook"
    CONFLICTING = "refused: conflicting content"
    UNKNOWN_ASSIGNMENT = "unknown assignment"
    OTHER_ASSIGNMENT = "refused: another assignment"
    SUPERSEDED = "not graded: superseded"   # "... (a later notebook of the same student, x.ipynb, is graded)"
    MASTER_REFUSED = "not graded: its master is refused"   # "... (a5.ipynb)": the build refused it
    NO_SANDBOX = "the sandbox did not start"
    GRADER_ERROR = "grader error"


@dataclass(frozen=True)
class Verdict:
    """A status and, in the grader's own words, what it was about ("after 20 s", "(exit status 3)")."""
    status: Status
    detail: str = ""

    def __str__(self):
        if self.status is Status.UNDEFINED:
            if "," in self.detail:   # detail: "`a`, `b`"
                return f"functions {self.detail} are not defined"
            return f"function {self.detail} is not defined" if self.detail else self.status.value
        if self.status is Status.NO_MODULE:   # detail: "`name` (cell 3)"
            name, _, cell = self.detail.partition(" ")
            return f"module {name} cannot be imported {cell}".strip()
        return f"{self.status.value} {self.detail}" if self.detail else self.status.value


# Statuses that ask the instructor to look: the run exits non-zero when a row has one.
NEEDS_INSTRUCTOR = {Status.TOO_LARGE, Status.UNREADABLE, Status.CONFLICTING, Status.UNKNOWN_ASSIGNMENT,
                    Status.OTHER_ASSIGNMENT, Status.SUPERSEDED, Status.MASTER_REFUSED, Status.NO_SANDBOX,
                    Status.GRADER_ERROR}


def status_of(text):
    """The Status a CSV's status text starts with (None for text of no status)."""
    if text.startswith(("function ", "functions ")) and text.endswith((" is not defined", " are not defined")):
        return Status.UNDEFINED
    if text.startswith("module ") and " cannot be imported" in text:
        return Status.NO_MODULE
    return next((s for s in sorted(Status, key=lambda s: -len(s.value)) if text.startswith(s.value)), None)


class Refused(Exception):
    """Input from the instructor that cannot be graded with; the message is one sentence naming it."""


class AuthoringError(Refused):
    """A master that cannot be built or graded with: one sentence naming its file, the cell and the field.
    ``assignment``: the name the master declares, once the build knows that no other master builds it."""

    assignment = None

    def __init__(self, file, message, cell=None, field=None):
        self.file, self.cell, self.field, self.message = file, cell, field, message
        where = ", ".join([str(file)] + ([f"cell {cell}"] * (cell is not None)) + ([f"{field}"] * bool(field)))
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Test:
    """One test of a master: its question's function `call`, called on `args` and `kwargs`, the answer
    judged by the kind `check` (a key of ``checks.KINDS``) for `points`; `public` tests are in the
    student's copy too. ``checks.read_test`` makes one from a master's dict of fields, refusing a malformed
    one. The kind's own fields (``checks.KINDS[check].fields``) are None where the test does not give
    them."""
    question: str
    check: str
    call: str
    points: int
    args: list
    kwargs: dict
    public: bool = False
    cell: int | None = None      # the master's cell it is written in (from 1, as JupyterLab shows it)
    index: int | None = None     # its place in that cell's list of tests
    expected: object = None
    rtol: float | None = None
    atol: float | None = None
    reference: str | None = None
    ref_args: list | None = None
    ref_kwargs: dict | None = None
    error: str | None = None
    property: list | None = None   # names of properties, always a list
    interval: list | None = None
    truth: object = None

    @classmethod
    def from_json(cls, fields):
        """A Test as ``as_json`` wrote it (the bundle's own, checked when it was built)."""
        return cls(**fields)

    def as_json(self):
        """Its fields, those it does not give left out."""
        return {name: value for name, value in vars(self).items() if value is not None}


@dataclass(frozen=True)
class Question:
    """One question of a master: its id (q1, q2, ... in order), its prompt's cell and its points
    (the sum of its tests' points)."""
    id: str
    number: int
    cell: int          # index of its markdown cell in the master
    points: int


@dataclass(frozen=True)
class Written:
    """A written answer of a master: a markdown cell tagged written, under its question, graded by the
    instructor. Its id is the question's and ``w`` (q4w; q4w2, q4w3 for a question's later ones);
    ``prompt`` is its text before the solution region, which the student's cell also starts with."""
    id: str
    question: str
    cell: int          # 1-based, as JupyterLab shows it
    points: int
    prompt: str = ""


@dataclass(frozen=True)
class Assignment:
    """A master notebook, read: its cells (nbformat), its questions (``Question``), their tests
    (``Test``, in the order of the master) and written answers (``Written``, graded by the
    instructor, not part of ``maximum``)."""
    name: str
    title: str
    file: str
    notebook: object
    questions: tuple
    tests: tuple
    written: tuple = ()

    @property
    def maximum(self):
        return sum(q.points for q in self.questions)
