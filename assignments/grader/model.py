"""The grader's small shared types: what became of a submission, and refusals of the instructor's input."""

from dataclasses import dataclass
from enum import Enum


class Status(Enum):
    """What became of one submission, in the CSV's words."""
    OK = "ok"
    SYNTAX_ERROR = "syntax error"         # "syntax error in cell 4", cells counted as Jupyter shows them
    UNDEFINED = "function not defined"    # "function `my_jsd` is not defined"
    TIMED_OUT = "stopped"                 # "stopped after 120 s"
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
        if self.status is Status.UNDEFINED:
            return f"function {self.detail} is not defined" if self.detail else self.status.value
        return f"{self.status.value} {self.detail}" if self.detail else self.status.value


# Statuses that ask the instructor to look: the run exits non-zero when a row has one.
NEEDS_INSTRUCTOR = {Status.TOO_LARGE, Status.UNREADABLE, Status.CONFLICTING, Status.UNKNOWN_ASSIGNMENT,
                    Status.OTHER_ASSIGNMENT, Status.NO_SANDBOX, Status.GRADER_ERROR}


def status_of(text):
    """The Status a CSV's status text starts with (None for text of no status)."""
    if text.startswith("function ") and text.endswith(" is not defined"):
        return Status.UNDEFINED
    return next((s for s in sorted(Status, key=lambda s: -len(s.value)) if text.startswith(s.value)), None)


class Refused(Exception):
    """Input from the instructor that cannot be graded with; the message is one sentence naming it."""
