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
