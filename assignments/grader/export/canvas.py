"""Canvas's gradebook import: the columns of Canvas's own gradebook export.

Canvas reads ``Student, ID, SIS User ID, SIS Login ID, Section`` and then one column per
assignment, headed ``Name (assignment id)`` for an assignment that exists in Canvas, or
``Name`` alone for one Canvas should create. The row after the header, ``Points
Possible``, gives the assignment's maximum. ``ID`` is Canvas's user id (the roster's
``canvas_id``), which Canvas matches first; ``SIS User ID`` is the roster's ``id``. A
student without a submission, or with a written answer not scored yet (whose final is
provisional), gets an empty cell, which Canvas leaves as it was.
"""

import csv

from ..gradebook import number
from ..submissions import as_text

COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def column(title, canvas_assignment=None):
    return f"{title} ({canvas_assignment})" if canvas_assignment else title


def write(path, entries, title, canvas_assignment=None):
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(COLUMNS + [column(title, canvas_assignment)])
        out.writerow(["Points Possible", "", "", "", "", number(entries[0].out_of) if entries else ""])
        for e in entries:
            s = e.student
            out.writerow([as_text(_sortable(s.name)), s.canvas_id, s.id, s.login, s.section,
                          number(e.final) if e.submission and not e.waiting else ""])


def _sortable(name):
    """'Ada Lovelace' as Canvas lists students: 'Lovelace, Ada' (a name with a comma is kept)."""
    parts = name.split()
    return name if "," in name or len(parts) < 2 else f"{parts[-1]}, {' '.join(parts[:-1])}"
