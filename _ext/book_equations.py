r"""Number the appendix's equations as the printed book does: (B.1) ... (B.11).

A labelled display equation whose LaTeX holds ``\tag{B.9}`` is shown with the
number "(B.9)" (the tag itself is removed, so KaTeX does not print a second
number) and every ``{eq}`` reference to its label, from any page, reads "(B.9)".
Labelled equations without a tag keep Sphinx's sequential numbers.

Needs ``math_numfig = False`` so that Sphinx uses the numbers stored here rather
than counting equations per page.

In JupyterLab, jupyterlab-myst would number every display equation as well; a
chapter therefore opens with a front-matter cell, ``numbering: {equation: false}``,
for JupyterLab's MyST only. MyST-NB does not read front matter from a cell (it
would see two transitions), so that cell is dropped from the notebook here
before the page is parsed.
"""

import json
import re

from docutils import nodes
from sphinx import addnodes

TAG = re.compile(r"\\tag\{([^{}]+)\}")
FRONT_MATTER = re.compile(r"\A---\n(?:.*\n)*?---\s*\Z")


def drop_front_matter_cell(app, docname, source):
    """Remove a leading markdown cell that holds only YAML front matter from a notebook."""
    if not str(app.env.doc2path(docname)).endswith(".ipynb"):
        return
    notebook = json.loads(source[0])
    cells = notebook.get("cells", [])
    if cells and cells[0]["cell_type"] == "markdown" and FRONT_MATTER.match("".join(cells[0]["source"])):
        del cells[0]
        source[0] = json.dumps(notebook)


def number_tagged_equations(app, doctree):
    domain = app.env.get_domain("math")
    docname = app.env.docname
    for node in doctree.findall(nodes.math_block):
        label = node.get("label")
        latex = node.astext()
        match = TAG.search(latex)
        if not label or not match:
            continue
        number = match.group(1)
        node.children = [nodes.Text(TAG.sub("", latex))]
        node["number"] = number
        domain.equations[label] = (docname, number)
        # An index entry "B.9" at the equation: Sphinx's search matches a query against
        # index entries whole, so searching "B.9" leads to the equation (its word search
        # would split the query into "b" and "9").
        target = f"equation-{label}"
        node.parent.insert(node.parent.index(node), addnodes.index(entries=[("single", number, target, "main", None)]))


def setup(app):
    app.connect("source-read", drop_front_matter_cell)
    app.connect("doctree-read", number_tagged_equations)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
