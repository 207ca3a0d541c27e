"""Keep every page's index entries in the search index when only some pages are rebuilt.

Sphinx 7.4 writes the search index (searchindex.js) from the previous build's index and the
pages it writes now. Reloading the previous index, ``IndexBuilder.load`` restores the words
and titles of the pages left as they were, but not their index entries, which the search
ranks first: after a build that rewrote some chapters but not the glossary, searching "ELBO"
or "Pinsker" no longer led to the glossary's definitions (_ext/term_index.py indexes them
under these names), and "B.9" would not lead to its equation if its chapter were left as it
was. Here the previous index's entries are restored with the rest, and dropped with the rest
for pages that are gone (``prune``). tests/test_workarounds.py checks that Sphinx still needs
this; tests/test_accessibility.py that the three searches lead where they should.
"""

import io

from sphinx.search import IndexBuilder

_load = IndexBuilder.load
_prune = IndexBuilder.prune


def load(self, stream, format):
    text = stream.read()
    _load(self, io.BytesIO(text) if isinstance(text, bytes) else io.StringIO(text), format)
    frozen = (self.formats[format] if isinstance(format, str) else format).loads(text)
    names = frozen["docnames"]
    kept = {}
    for entry, places in frozen.get("indexentries", {}).items():
        for doc, anchor, main in places:
            kept.setdefault(names[doc], set()).add((entry, anchor, "main" if main else ""))
    for docname, entries in kept.items():
        self._index_entries[docname] = sorted(entries)


def prune(self, docnames):
    _prune(self, docnames)
    docnames = set(docnames)
    for docname in [d for d in self._index_entries if d not in docnames]:
        del self._index_entries[docname]


def setup(app):
    IndexBuilder.load = load
    IndexBuilder.prune = prune
    return {"parallel_read_safe": True, "parallel_write_safe": True}
