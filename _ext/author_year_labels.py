"""Bibliography entries labelled "Lin, 1991", as the citations in the text read.

The chapters cite in author-year form (``bibtex_reference_style: author_year``), but pybtex's
styles label the list of references [1], [2], ...; this style keeps pybtex's ``plain``
formatting and sorting and gives each entry the label its citations show.
"""

from pybtex.plugin import register_plugin
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle


def author_year(entry):
    surnames = [" ".join(person.last_names) for person in entry.persons["author"]]
    if len(surnames) > 2:
        who = f"{surnames[0]} et al."
    else:
        who = " and ".join(surnames)
    return f"{who}, {entry.fields['year']}"


class AuthorYearLabels(BaseLabelStyle):
    def format_labels(self, sorted_entries):
        for entry in sorted_entries:
            yield author_year(entry)


class AuthorYearStyle(PlainStyle):
    default_label_style = AuthorYearLabels


def setup(app):
    register_plugin("pybtex.style.formatting", "author_year_plain", AuthorYearStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
