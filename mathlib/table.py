"""Tables of results that read well on a phone as on a laptop.

A chapter prints its checks as tables: each row a case, each column a number
computed in the cell. :class:`Table` shows such a table as an HTML table in a
notebook and on the website (cells wrap at their spaces, so a narrow screen
keeps every row whole), and as aligned plain text wherever HTML is not shown, which is also
the text that ``nbval`` compares when it re-runs a chapter.
"""

import html

__all__ = ["Table"]


class Table:
    """Rows of values under a header: the first column left-aligned, the others right.

    Parameters
    ----------
    columns : sequence of str
        The column headings.
    rows : sequence of sequence
        The rows, each with one value per column, shown as ``str(value)``: format
        numbers before (``f"{x:.6f}"``), so that the table shows the digits meant.
    caption : str, optional
        A line that says what the table shows.

    Raises
    ------
    ValueError
        If a row has a different number of values than there are columns.

    Examples
    --------
    >>> Table(["K", "divergence"], [[3, "2.9e-14"], [10, "2.5e-13"]])
    K   divergence
    3      2.9e-14
    10     2.5e-13
    """

    def __init__(self, columns, rows, caption=None):
        self.columns = [str(c) for c in columns]
        self.rows = [[str(v) for v in row] for row in rows]
        self.caption = caption
        for i, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise ValueError(
                    f"rows[{i}] has {len(row)} values for {len(self.columns)} columns"
                )

    def __repr__(self):
        table = [self.columns, *self.rows]
        widths = [max(len(row[j]) for row in table) for j in range(len(self.columns))]
        lines = [
            "  ".join([row[0].ljust(widths[0])] + [v.rjust(w) for v, w in zip(row[1:], widths[1:])])
            for row in table
        ]
        return "\n".join(([self.caption] if self.caption else []) + [ln.rstrip() for ln in lines])

    def _repr_html_(self):
        def cells(tag, row):
            # A cell wraps at its spaces on a narrow screen, but "± 0.004" stays whole.
            return "".join(f"<{tag}>{html.escape(v).replace('± ', '±&nbsp;')}</{tag}>" for v in row)

        caption = f"<caption>{html.escape(self.caption)}</caption>" if self.caption else ""
        body = "".join(f"<tr>{cells('td', row)}</tr>" for row in self.rows)
        head = f"<thead><tr>{cells('th', self.columns)}</tr></thead>"
        return f'<table class="result-table">{caption}{head}<tbody>{body}</tbody></table>'
