"""Deadlines: a due date, a student's extension, and the instructor's penalty for lateness.

The rule is the instructor's: ``penalty`` is the share of the points earned (the tests' and the
written answers') taken per started day late (0.1 for 10 % a day), and a submission more than
``limit`` days late earns nothing.
Days late count from the submission's time; a file with no time (Canvas's, whose zip times
are the download's) is late by one started day where Canvas's name says ``LATE`` (Canvas
compared its own submission time with the due date it holds for the student), and on time
where it does not.
A student's extension (the roster's ``extension`` column) is a due date of their own or a
number of days added to the assignment's. A due date without a zone is read in UTC; an
extension without a zone is read in the due date's zone.
"""

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from .model import Refused

DAY = timedelta(days=1)


def when(text, zone=timezone.utc, what="a date"):
    """A date and time from ISO 8601 text ('2025-03-01T23:59', '2025-03-01 23:59+01:00', '2025-03-01')."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise Refused(f"{what} {text!r} is not a date and time such as 2025-03-01T23:59") from None
    if len(text.strip()) == 10:  # a day alone: its end
        moment = moment.replace(hour=23, minute=59, second=59)
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


@dataclass(frozen=True)
class Policy:
    due: datetime | None = None
    penalty: float = 0.0        # share of the points earned taken per started day late
    limit: float = math.inf     # days late after which nothing is earned

    def due_for(self, student):
        """The student's own due date, or where the extension is malformed a Refused naming the roster's line."""
        if self.due is None:
            return None
        ext = (student.extension or "").strip() if student else ""
        if not ext:
            return self.due
        if re.fullmatch(r"\d+(\.\d+)?", ext):
            return self.due + float(ext) * DAY
        from .roster import where
        return when(ext, self.due.tzinfo, f"{where('roster', student.line, 'extension')}:")

    def late_days(self, student, submitted, lms_late=False):
        """Started days after the student's due date (0 when on time or when there is no due date).

        `submitted`: the submission's time, or None where nothing says it (Canvas's files); then
        `lms_late` (Canvas's ``LATE``) decides: late by the one started day it proves."""
        if submitted is None:
            return 1 if lms_late else 0
        due = self.due_for(student)
        if due is None or submitted <= due:
            return 0
        return math.ceil((submitted - due) / DAY)

    def deduction(self, points, days):
        """Points taken from `points` for `days` late."""
        if days <= 0:
            return 0.0
        if days > self.limit:
            return float(points)
        return round(float(points) * min(1.0, self.penalty * days), 4)
