"""Moodle's grade import (Grades > Import > CSV file): an identifier column and a grade column.

Moodle maps a column "from" the file "to" a user field (email address, ID number,
username or user id) and a column to a grade item; its own plain-text export names them
``ID number``, ``Email address`` and ``Assignment: <name> (Real)``, the names written here,
so that an import of this file maps them without choices. A feedback column,
``Feedback: <name>``, goes with the grade. A student without a submission, or with a
written answer not scored yet (whose final is provisional), gets an empty grade, which
Moodle imports as no grade (``grade/import/csv/classes/load_data.php``).
"""

import csv

from ..gradebook import number
from ..submissions import as_text

COLUMNS = ["First name", "Last name", "ID number", "Email address"]


def column(title):
    return f"Assignment: {title} (Real)"


def write(path, entries, title):
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(COLUMNS + [column(title), f"Feedback: {title}"])
        for e in entries:
            s = e.student
            if "," in s.name:   # "Lovelace, Ada", as Canvas lists students
                last, first = (part.strip() for part in s.name.split(",", 1))
            else:
                first, _, last = s.name.rpartition(" ")
            graded = bool(e.submission)
            note = f"{e.status}; automatic {number(e.auto)}" if graded else e.status
            if e.written:
                note += f", written {number(e.manual)}"
            if e.penalty:
                note += f", {e.late_days} day(s) late: -{number(e.penalty)}"
            if e.waiting:
                note += "; no grade yet: written answers not graded yet"
            out.writerow([as_text(first), as_text(last), s.id, s.email,
                          number(e.final) if graded and not e.waiting else "", note])
