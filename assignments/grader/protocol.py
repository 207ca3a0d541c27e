"""Step 5 of the pipeline: what travels between the grader and a sandbox: the job out, raw answers back.

The job (``job.json``, read by ``runner.py``) is ``{"cells": [source, ...], "calls": [{"call",
"args", "kwargs"}, ...]}``: the notebook's code cells and the calls to make, shuffled, with
nothing that says which check a call serves. The answers come back as JSON lines on a pipe
(``runner.py`` documents them), read with a cap (``sandbox.ANSWERS_BYTES``) and parsed here
as untrusted data. ``read_pipe`` is the one way the grader reads a child's pipe against a clock
(a sandbox's answers; the result of the child that reads a submitted notebook).
"""

import json
import os
import select
import time
from typing import NamedTuple

MAX_SHOWN = 400  # characters of a cell's error message kept


class Answers(NamedTuple):
    """What came back from one run, all of it untrusted data."""
    answers: list    # per call: its raw answer, {"value": ...} or {"error": ..., "classes": [...]}, or None
    cells: list      # (code cell index, error message) of each cell that raised
    done: bool       # the runner got to its end


def read_pipe(fd, deadline, cap=None):
    """(the bytes read from `fd` until every writer has closed it or ``time.monotonic()`` passes `deadline`,
    the first `cap` of them kept; whether it was closed). Past the cap it goes on reading, and drops what it
    reads, so that the writer never waits on a full pipe."""
    data, poll = bytearray(), select.poll()
    poll.register(fd, select.POLLIN)
    while (left := deadline - time.monotonic()) > 0:
        if not poll.poll(left * 1000):
            continue
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return bytes(data), True
        data += chunk if cap is None else chunk[:max(0, cap - len(data))]
    return bytes(data), False


def parse_answers(data, count):
    """The Answers in the runner's JSON lines, for `count` calls; anything malformed is ignored, and so is
    a second record of the same call or cell (the student's code can write to the pipe too: at most one
    note per cell reaches the feedback), and anything after the end."""
    answers, cells, done = [None] * count, {}, False
    for line in bytes(data).split(b"\n"):
        if done:
            break
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
            cells.setdefault(record["cell"], str(record.get("error", ""))[:MAX_SHOWN])
        elif record.get("done") is True:
            done = True
    return Answers(answers, sorted(cells.items()), done)


