"""Number theorems, exercises and figures within their chapter.

Sphinx numbers a book's enumerable nodes (sphinx-proof's theorems,
sphinx-exercise's exercises, figures) across the whole book unless the table
of contents is ``numbered``, and a numbered table of contents would also put
"1." before every chapter title, next to the book's own "B.1".  So after
Sphinx has assigned its book-wide numbers, each one is replaced by
``(chapter, n)``: the chapter's place in the table of contents and the
node's rank within its page, which renders as "Exercise 2.3".  References
(``{prf:ref}``, ``{ref}``) read the same table, so they agree with the
headings.
"""


def _chapter_order(env):
    """Top-level documents of the table of contents, in reading order."""
    return env.toctree_includes.get(env.config.root_doc, [])


def number_within_chapter(app, env):
    """Replace the book-wide numbers by (chapter, rank in the chapter)."""
    chapters = {name: k for k, name in enumerate(_chapter_order(env), start=1)}
    renumbered = []
    for docname, by_type in env.toc_fignumbers.items():
        chapter = chapters.get(docname)
        if chapter is None:
            continue
        for numbers in by_type.values():
            in_page_order = sorted(numbers, key=numbers.get)
            for rank, node_id in enumerate(in_page_order, start=1):
                numbers[node_id] = (chapter, rank)
        renumbered.append(docname)
    return renumbered


def setup(app):
    # After Sphinx's own numbering (TocTreeCollector, default priority 500).
    app.connect("env-get-updated", number_within_chapter, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
