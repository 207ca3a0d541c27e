"""Each chapter links a glossary term at its first use (glossary.md promises it).

For every term a chapter links somewhere with {term}, the first time the chapter's prose uses
that term (its name or a link text that points to it, in the singular or the plural) must be a
link. The learning objectives and key takeaways boxes are not prose in this sense: they sum up
the chapter before and after it is read.
"""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
ROLE = re.compile(r"\{term\}`([^`]*)`")


def glossary_terms():
    block = (ROOT / "glossary.md").read_text().split("```{glossary}")[1].split("```")[0]
    return [line for line in block.splitlines() if line and not line[0].isspace()]


def target_and_text(role):
    """The glossary term a {term} role points to, and the text it shows."""
    explicit = re.fullmatch(r"(.*?)\s*<(.+)>", role)
    return (explicit[2], explicit[1]) if explicit else (role, role)


def prose(notebook):
    """The chapter's markdown in order, without the objectives and takeaways boxes,
    headings, targets, math and inline code."""
    parts = []
    for cell in json.loads(notebook.read_text())["cells"]:
        text = "".join(cell["source"])
        if cell["cell_type"] != "markdown" or text.lstrip().startswith("```{admonition}"):
            continue
        text = re.sub(r"^(#.*|\(.*\)=)$", " ", text, flags=re.M)  # headings, targets
        text = re.sub(r"\$\$.*?\$\$|```\{math\}.*?```|\$[^$]*\$", " ", text, flags=re.S)
        # inline code goes, roles stay
        text = re.sub(r"(\{[\w:-]+\}`[^`]*`)|``.*?``|`[^`\n]*`", lambda m: m[1] or " ", text)
        parts.append(text)
    return "\n".join(parts)


def normal(text):
    return re.sub(r"[\s\-]+", " ", text.lower())


def forms(term, link_texts):
    """How a term shows in the prose: its name, any abbreviation in parentheses, and
    the texts of the links to it, without a trailing plural s."""
    found = {term, *link_texts}
    name = re.fullmatch(r"(.*?)\s*\((.+)\)", term)
    if name:
        found |= {name[1], name[2]}
    return {normal(f).removesuffix("s") for f in found}


@pytest.mark.parametrize("notebook", CHAPTERS, ids=lambda p: p.stem)
def test_a_linked_term_is_linked_at_its_first_use(notebook):
    terms = {normal(t): t for t in glossary_terms()}
    text = prose(notebook)
    links = [(m.start(), *target_and_text(m[1])) for m in ROLE.finditer(text)]
    # Links are masked, so that "entropy" in a link to cross entropy is not a use; the
    # masked text keeps the positions of the original.
    masked = ROLE.sub(lambda m: "@" * len(m[0]), text)
    masked = re.sub(r"[\s\-]", " ", masked).lower()
    every_form = {f for t in terms.values() for f in forms(t, [])}
    late = []
    for target in {normal(t) for _, t, _ in links}:
        assert target in terms, f"{notebook.name}: {{term}} points to {target!r}, not in the glossary"
        texts = [shown for _, t, shown in links if normal(t) == target]
        first_link = min(start for start, t, _ in links if normal(t) == target)
        for form in forms(terms[target], texts):
            # a use of a longer term ("cross entropy") is not a use of a shorter one ("entropy")
            longer = [f for f in every_form if form in f and f != form]
            hidden = masked
            for other in longer:
                hidden = re.sub(rf"\b{re.escape(other)}(e?s)?\b", lambda m: "@" * len(m[0]), hidden)
            use = re.search(rf"\b{re.escape(form)}(e?s)?\b", hidden)
            if use and use.start() < first_link:
                late.append(f"{terms[target]!r} used as {use[0]!r} before its first link: "
                            f"…{text[max(0, use.start() - 60):use.end() + 20]}…")
    assert not late, f"{notebook.name}:\n" + "\n".join(late)
