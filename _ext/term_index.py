"""Index every use of a glossary term, not only its definition.

Sphinx's ``glossary`` puts each term in the general index, pointing at the
glossary.  A reader looking a term up also wants the pages that use it, so
every ``{term}`` reference in a page gets an index entry under the same term,
pointing at the paragraph where it is used and listed by the page's title.
"""

import re

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms import SphinxTransform


class IndexTermUses(SphinxTransform):
    # Before SphinxDomains (850), which collects the index entries of the page.
    default_priority = 840

    def apply(self, **kwargs):
        refs = [ref for ref in self.document.findall(addnodes.pending_xref)
                if ref.get("refdomain") == "std" and ref.get("reftype") == "term"]
        title = self.document.next_node(nodes.title)
        page = title.astext() if title is not None else self.env.docname
        for count, ref in enumerate(refs):
            term = ref["reftarget"]
            # The entry points at the paragraph itself (one id per paragraph), so that a search
            # hit shows the paragraph's text; an empty target there showed nothing useful.
            block = ref.parent
            while block is not None and not isinstance(block, (nodes.paragraph, nodes.term, nodes.title)):
                block = block.parent
            block = block if block is not None else ref.parent
            uses = [i for i in block["ids"] if i.startswith("term-use-")]
            if uses:
                target_id = uses[0]
            else:
                target_id = f"term-use-{count}"
                block["ids"].insert(0, target_id)
            entry = ("single", f"{term[:1].upper() + term[1:]}; {page}", target_id, "", None)
            ref.parent.insert(ref.parent.index(ref), addnodes.index(entries=[entry]))


# What a reader types into the search box for a term: its abbreviation, "ELBO" for "Evidence
# lower bound (ELBO)", or the name in it, "Pinsker" for "Pinsker's inequality".
SHORT_NAME = re.compile(r"\(([A-Z][A-Za-z]+)\)|^([A-Z][a-z]+)['’]s? ")


class IndexTermShortNames(SphinxTransform):
    """Index a glossary term under its short name too, at the term's definition.

    Sphinx's search matches a query against an index entry only when the query is at least
    half the entry's length, so "ELBO" never finds "Evidence lower bound (ELBO)".
    """

    default_priority = 840

    def apply(self, **kwargs):
        for glossary in self.document.findall(addnodes.glossary):
            for term in glossary.findall(nodes.term):
                if not term["ids"]:
                    continue
                names = [a or b for a, b in SHORT_NAME.findall(term.astext())]
                entries = [("single", name, term["ids"][0], "main", None) for name in names]
                if entries:
                    term.insert(0, addnodes.index(entries=entries))


def setup(app):
    app.add_transform(IndexTermUses)
    app.add_transform(IndexTermShortNames)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
