"""Put the space of "Solution to Exercise 3.1" before the link, not inside it.

sphinx-exercise titles a solution as the text "Solution to" followed by a link whose text
starts with a space (" Exercise 3.1"), so the link's underline begins with a blank. After
its titles are resolved (post-transform priority 21), the space moves out of the link.
"""

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx_exercise.nodes import solution_node


class SpaceBeforeExerciseLink(SphinxPostTransform):
    default_priority = 22

    def run(self):
        for solution in self.document.findall(solution_node):
            title = solution.children[0]
            for link in title.findall(nodes.reference):
                text = link.children[0] if link.children else None
                if isinstance(text, nodes.Text) and text.startswith(" "):
                    link.replace(text, nodes.Text(text.lstrip()))
                    title.insert(title.index(link), nodes.Text(" "))


def setup(app):
    app.add_post_transform(SpaceBeforeExerciseLink)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
