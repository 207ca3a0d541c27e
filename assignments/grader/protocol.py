"""What travels between the grader and a sandbox: the job out, raw answers back.

The job (``job.json``, read by ``runner.py``) is ``{"cells": [source, ...], "calls": [{"call",
"args", "kwargs"}, ...]}``: the notebook's code cells and the calls to make, shuffled, with
nothing that says which check a call serves. The answers come back as JSON lines on a pipe
(``runner.py`` documents them), read with a cap (``sandbox.ANSWERS_BYTES``) and parsed here
as untrusted data.
"""

import json

MAX_SHOWN = 400  # characters of a cell's error message kept


def parse_answers(data, count):
    """Raw answers from the runner's JSON lines; anything malformed is ignored."""
    answers, cells, done = [None] * count, [], False
    for line in bytes(data).split(b"\n"):
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if not isinstance(record, dict):
            continue
        k = record.get("case")
        if type(k) is int and 0 <= k < count and answers[k] is None:
            answers[k] = record
        elif type(record.get("cell")) is int:
            cells.append((record["cell"], str(record.get("error", ""))[:MAX_SHOWN]))
        elif record.get("done") is True:
            done = True
    return answers, cells, done


