r"""Number the appendix's equations as the printed book does: (B.1) ... (B.11).

A labelled display equation whose LaTeX holds ``\tag{B.9}`` is shown with the
number "(B.9)" (the tag itself is removed, so MathJax does not print a second
number) and every ``{eq}`` reference to its label, from any page, reads "(B.9)".
Labelled equations without a tag keep Sphinx's sequential numbers.

Needs ``math_numfig = False`` so that Sphinx uses the numbers stored here rather
than counting equations per page.
"""

import re

from docutils import nodes

TAG = re.compile(r"\\tag\{([^{}]+)\}")


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


def setup(app):
    app.connect("doctree-read", number_tagged_equations)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
