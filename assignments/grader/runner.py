"""Runs inside the sandbox: a submission's cells, then its functions on the hidden inputs.

    python -I -B -c "<this file>" JOB SITE FD MAX_NUMBERS

JOB is a JSON file ``{"cells": [source, ...], "calls": [{"call", "args", "kwargs"},
...]}``; SITE is the folder of the packages students may use; FD the file
descriptor for the answers; MAX_NUMBERS the most numbers one answer may hold
(``compare.MAX_NUMBERS``, the grader's one definition: this file runs on its
own). The cells run one after another in an IPython shell, as in a notebook:
a cell that raises is reported and the next one runs. Then each call is made on
a fresh copy of its inputs. Every result goes out as one JSON line
on FD, as soon as it is known::

    {"cell": i, "error": "NameError: name 'x' is not defined"}   (failed cells only)
    {"case": k, "value": ...} or {"case": k, "error": ..., "classes": [...]}
    {"done": true}

Nothing here is trusted: the student's code runs in this same process and can
change anything in it, this file included. The grader treats these lines as raw
data to validate, never as a verdict, and computes every expected answer itself.
"""

import json
import os
import site
import sys

MAX_TEXT = 2_000       # characters of a literal answer or an error message


def emit(stream, record):
    stream.write(json.dumps(record) + "\n")
    stream.flush()


def describe(error):
    return {"error": f"{type(error).__name__}: {error}"[:MAX_TEXT],
            "classes": [f"{c.__module__}.{c.__qualname__}" for c in type(error).__mro__]}


def as_answer(value, max_numbers):
    """A returned value as plain JSON: a short literal, a (nested) list of floats, or its repr.

    The runner does not know which check a call serves (the grader keeps that to
    itself, and shuffles the calls): it reports what came back, the same way for all.
    """
    import numpy as np

    if value is None or isinstance(value, (bool, int)) and not isinstance(value, np.generic):
        return value
    if isinstance(value, str):
        return value[:MAX_TEXT]
    try:
        array = np.asarray(value, dtype=float)
    except Exception:  # noqa: BLE001 -- not numbers: say what it was
        return repr(value)[:MAX_TEXT]
    if array.size > max_numbers:
        raise ValueError(f"the answer has {array.size} numbers, more than {max_numbers}")
    return array.tolist()


def main(job_path, site_dir, fd, max_numbers):
    site.addsitedir(site_dir)
    answers = os.fdopen(fd, "w")
    with open(job_path) as f:
        job = json.load(f)

    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    class Shell(InteractiveShell):
        def enable_gui(self, gui=None):  # %matplotlib inline, as in a kernel: nothing to start
            pass

    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "nocolor"
    shell = Shell.instance(config=config)

    for i, source in enumerate(job["cells"]):
        result = shell.run_cell(source, store_history=True)
        error = result.error_before_exec or result.error_in_exec
        if error is not None:
            emit(answers, {"cell": i, **describe(error)})

    for k, call in enumerate(job["calls"]):
        try:
            if call["call"] not in shell.user_ns:
                raise NameError(f"name '{call['call']}' is not defined")
            function = shell.user_ns[call["call"]]
            fresh = json.loads(json.dumps([call["args"], call["kwargs"]]))
            value = function(*fresh[0], **fresh[1])
            emit(answers, {"case": k, "value": as_answer(value, max_numbers)})
        except BaseException as error:  # noqa: BLE001 -- the student's exceptions are data
            emit(answers, {"case": k, **describe(error)})
    emit(answers, {"done": True})


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
