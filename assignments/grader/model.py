"""The grader's small shared types: what became of a submission, and refusals of the instructor's input."""

from dataclasses import dataclass
from enum import Enum


class Status(Enum):
    """What became of one submission, in the CSV's words."""
    OK = "ok"
    TIMED_OUT = "timed out"
    OUT_OF_MEMORY = "ran out of memory"
    CRASHED = "crashed"
    TOO_LARGE = "too large"
    UNREADABLE = "not a readable notebook"
    CONFLICTING = "refused: conflicting content"
    UNKNOWN_ASSIGNMENT = "unknown assignment"
    OTHER_ASSIGNMENT = "refused: another assignment"
    NO_SANDBOX = "the sandbox did not start"
    GRADER_ERROR = "grader error"


@dataclass(frozen=True)
class Verdict:
    """A status and, in the grader's own words, what it was about ("after 20 s", "(exit status 3)")."""
    status: Status
    detail: str = ""

    def __str__(self):
        return f"{self.status.value} {self.detail}" if self.detail else self.status.value


class Refused(Exception):
    """Input from the instructor that cannot be graded with; the message is one sentence naming it."""


class AuthoringError(Refused):
    """A master that cannot be built or graded with: one sentence naming its file, the cell and the field."""

    def __init__(self, file, message, cell=None, field=None):
        self.file, self.cell, self.field, self.message = file, cell, field, message
        where = ", ".join([str(file)] + ([f"cell {cell}"] * (cell is not None)) + ([f"{field}"] * bool(field)))
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Question:
    """One question of a master: its id (q1, q2, ... in order), its prompt's cell and its points
    (the sum of its tests' points)."""
    id: str
    number: int
    cell: int          # index of its markdown cell in the master
    points: int


@dataclass(frozen=True)
class Assignment:
    """A master notebook, read: its cells (nbformat), questions and tests (validated dicts, each with
    its question's id and the 1-based `cell` of the master it was written in)."""
    name: str
    title: str
    file: str
    notebook: object
    questions: tuple
    tests: tuple

    @property
    def maximum(self):
        return sum(q.points for q in self.questions)
