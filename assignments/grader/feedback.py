"""One readable Markdown file per submission: score, questions, and what each failed check saw."""

import json
import re

MAX_SHOWN = 400  # characters of any value or message shown


def _shown(value):
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + " ..."


def code(text):
    """Inline code that no backtick in the (untrusted) text can break out of."""
    text = text.replace("\n", " ")
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    return f"{fence} {text} {fence}"


def _call(case):
    args = [json.dumps(a) for a in case["args"]] + [f"{k}={json.dumps(v)}" for k, v in case["kwargs"].items()]
    return f"{case['call']}({', '.join(args)})"


def write(path, row, bundle, results, notes, brief=False):
    """The feedback file of one submission.

    row: its CSV row; results: checks.Result per case (or None when nothing ran);
    notes: lines about the run (cells that raised, output cut, limits reached);
    brief: say which checks failed without showing their inputs and expected values.
    """
    from . import checks

    lines = [f"# Feedback: {code(row['submission'])}", ""]
    if bundle is not None:
        lines += [f"**{bundle.title}**", ""]
    lines += [f"- Score: **{row['total']} / {row['max_total']}**", f"- Status: {row['status']}", ""]
    if notes:
        lines += ["## How the notebook ran", ""] + [f"- {note}" for note in notes] + [""]
    if bundle is None or results is None:
        path.write_text("\n".join(lines) + "\n")
        return
    earned = checks.points(results)
    lines += ["## Questions", "", "| question | points |", "| --- | --- |"]
    for q in bundle.questions:
        possible = sum(r.case["points"] for r in results if r.case["question"] == q)
        lines.append(f"| {q} | {earned[q]} / {possible} |")
    lines.append("")
    failed = [(i, r) for i, r in enumerate(results) if not r.passed]
    if failed:
        lines += ["## Checks that did not pass", ""]
    for i, r in failed:
        kind = checks.KINDS[r.case["check"]]
        what = (f"check {i + 1} ({r.case['question']}, {r.case['points']} point{'s' * (r.case['points'] != 1)})")
        if brief:
            lines.append(f"- {what}: `{r.case['call']}` on a hidden input: {_failure(r, brief=True)}")
            continue
        subject = _call(r.case) if kind.calls else r.case["call"]
        lines += [f"- {what}: {code(_shown(subject))}",
                  f"  - expected: {kind.shows(r.case, r.expected)}",
                  f"  - came back: {_failure(r, brief=False)}"]
    path.write_text("\n".join(lines) + "\n")


def _failure(result, brief):
    """What came back, in words (brief) or with the value and message themselves (full)."""
    answer = result.answer or {}
    if brief:
        return result.note or "a wrong value"
    parts = []
    if "value" in answer and result.case["check"] != "source" and answer["value"] is not None:
        parts.append(code(_shown(answer["value"])))
    if result.note:
        parts.append(result.note)
    if result.detail:
        parts.append(code(_shown(result.detail)))
    return " ".join(parts) or "nothing"
