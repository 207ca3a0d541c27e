"""One readable Markdown file per submission: score, questions, and (full feedback) what each failed check saw.

What a failed check shows depends on whether the student can already see it. A public check (in
the student's copy, with its expected answer, in the self-check) shows its call, what it
expects and what came back. A hidden check shows its call (its inputs: the student's code sees
them anyway, and could return them as its answer) and what came back, never what it expects nor
anything the grader learnt by comparing the answer with it (a difference, "instead of raising",
"right as far as it goes"): an outside attack turned the expected values of a full feedback
file into a notebook that was only a lookup table, and got full marks.

Text from a sandbox or a file name is untrusted: it appears only inside inline code
(``code``), after every control, format and separator character has been replaced
(``inert``), so that it can start no line, heading, HTML or link. The file has one
heading and one score, the grader's.

With a roster, the term adds a last section, "Your grade" (``with_grade``): the points of
the tests and of the written answers, with the instructor's comments, the penalty for
lateness and the final grade; it is replaced, not added again, on every later run.

Brief feedback is the score per question and nothing else: no cell numbers, exit
codes, signals, sizes or timings, which a student's code could modulate to read the
hidden tests out of it. Full feedback shows the hidden inputs, with which a student could
compute the answers elsewhere (with ``mathlib``, say) and hard-code them: hand it out only
once no more submissions are taken.
"""

import json
import re
import unicodedata

MAX_SHOWN = 400  # characters of any value or message shown
GRADE = "## Your grade"   # the term's section, last in the file
# Control, format (bidi overrides, zero-width), line and paragraph separators, surrogates,
# private use and unassigned characters: none is shown as it is.
UNSAFE = {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}


def unsafe(ch):
    return unicodedata.category(ch) in UNSAFE


def inert(text):
    return "".join("\ufffd" if unsafe(ch) else ch for ch in text)


def code(text):
    """Inline code that nothing in the (untrusted) text can break out of."""
    text = inert(text)
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    return f"{fence} {text} {fence}"


def _shown(value):
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + " ..."


def call_text(test):
    """A test's call as written: its arguments and keyword arguments, as JSON values."""
    args = [json.dumps(a) for a in test.args] + [f"{k}={json.dumps(v)}" for k, v in test.kwargs.items()]
    return f"{test.call}({', '.join(args)})"


def write(path, row, bundle, results, notes, brief=False):
    """The feedback file of one submission.

    row: its CSV row; results: score.Result per test (or None when nothing ran);
    notes: lines about the run (cells that raised, output cut, limits reached), in the
    grader's words with untrusted text only through `code`; brief: the score per question only.
    """
    from . import checks, score

    lines = [f"# Feedback: {code(row['submission'])}", ""]
    if bundle is not None:
        lines += [f"**{bundle.title}**", ""]
    lines += [f"- Score: **{row['total']} / {row['max_total']}**"]
    lines += ["- Full feedback (which checks failed, and why) comes after the deadline.", ""] if brief else [
        f"- Status: {row['status']}", ""]
    if notes and not brief:
        lines += ["## How the notebook ran", ""] + [f"- {note}" for note in notes] + [""]
    if bundle is None or results is None:
        path.write_text("\n".join(lines) + "\n")
        return
    earned = score.points(results)
    lines += ["## Questions", "", "| question | points |", "| --- | --- |"]
    for q in bundle.questions:
        possible = sum(r.test.points for r in results if r.test.question == q)
        lines.append(f"| {q} | {earned[q]} / {possible} |")
    lines.append("")
    failed = [(i, r) for i, r in enumerate(results) if not r.passed]
    if failed and not brief:
        lines += ["## Checks that did not pass", "",
                  "A public check (one your notebook's self-check runs) says what it expects; a hidden "
                  "check says what it called and what came back, not what it expects.", ""]
        for i, r in failed:
            what = (f"check {i + 1} ({r.test.question}, {r.test.points} point{'s' * (r.test.points != 1)}, "
                    f"{'public' if r.test.public else 'hidden'})")
            lines.append(f"- {what}: {code(_shown(call_text(r.test)))}")
            if r.test.public:
                lines += [f"  - expected: {checks.shows(r.test, r.expected)}", f"  - came back: {_failure(r)}"]
            else:
                lines.append(f"  - came back: {_came_back(r)}")
    path.write_text("\n".join(lines) + "\n")


def with_grade(path, lines):
    """The feedback file at `path` with its last section, the term's "Your grade", made of `lines`
    (Markdown list items, in the grader's words; untrusted text only through ``code``)."""
    head = path.read_text().split(f"\n{GRADE}\n", 1)[0].rstrip("\n")
    path.write_text(f"{head}\n\n{GRADE}\n\n" + "\n".join(lines) + "\n")


def _came_back(result):
    """What came back on a hidden check, from the answer alone: its value or its exception, and of
    the grader's notes only the one about the answer's form, none that tells what the check
    expects ("instead of raising") or that the answer is it ("right as far as it goes")."""
    from .score import INVALID

    answer = result.answer
    if answer is None:
        said = "no answer came back"
    elif "value" not in answer:
        said = f"raised {code(_shown(str(answer.get('error', ''))))}"
    elif answer["value"] is None:   # no check expects None
        said = "returned None (does the function return its result?)"
    else:
        said = code(_shown(answer["value"]))
    if result.note == INVALID:
        said += f"; {INVALID}: {code(_shown(result.detail))}"
    return said


def _failure(result):
    """What came back: the value and message themselves, as inline code, and the grader's note."""
    answer = result.answer or {}
    parts = []
    if "value" in answer and answer["value"] is not None:
        parts.append(code(_shown(answer["value"])))
    if result.note:
        parts.append(result.note)
    if result.detail:
        parts.append(code(_shown(result.detail)))
    return "; ".join(parts) or "nothing"
