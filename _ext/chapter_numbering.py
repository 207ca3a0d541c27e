"""Number theorems, exercises and figures within their chapter.

Sphinx numbers a book's enumerable nodes (sphinx-proof's theorems,
sphinx-exercise's exercises, figures) across the whole book unless the table
of contents is ``numbered``, and a numbered table of contents would also put
"1." before every chapter title, next to the book's own "B.1".  So after
Sphinx has assigned its book-wide numbers, each one is replaced by
``(chapter, n)``: the chapter's place in the table of contents and the
node's rank within the chapter, which renders as "Exercise 2.3".  A chapter
may go on over pages of its own (its ``sections`` in ``_toc.yml``): they
share its number, and the ranks run on through them in reading order.
References (``{prf:ref}``, ``{ref}``) read the same table, so they agree
with the headings.
"""


def _chapter_order(env):
    """Top-level documents of the table of contents, in reading order."""
    return env.toctree_includes.get(env.config.root_doc, [])


def _pages(env, docname):
    """A document and the pages under it in the table of contents, in reading order."""
    yield docname
    for child in env.toctree_includes.get(docname, []):
        yield from _pages(env, child)


def number_within_chapter(app, env):
    """Replace the book-wide numbers by (chapter, rank in the chapter)."""
    renumbered = []
    for chapter, top in enumerate(_chapter_order(env), start=1):
        ranks = {}
        for docname in _pages(env, top):
            for kind, numbers in env.toc_fignumbers.get(docname, {}).items():
                for node_id in sorted(numbers, key=numbers.get):
                    ranks[kind] = ranks.get(kind, 0) + 1
                    numbers[node_id] = (chapter, ranks[kind])
            renumbered.append(docname)
    return renumbered


def setup(app):
    # After Sphinx's own numbering (TocTreeCollector, default priority 500).
    app.connect("env-get-updated", number_within_chapter, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
