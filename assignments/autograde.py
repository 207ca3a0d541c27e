"""Course assignments: student copies, and a sandboxed autograder that grades data, not trust.

    python assignments/autograde.py build OUT                   student copies and bundles
    python assignments/autograde.py grade FOLDER CSV [options]  grade every notebook in FOLDER
    python assignments/autograde.py merge CSV PART.csv ... [--roster R --submissions FOLDER ...]
                                                                join the parts of a sharded run

Exit status: 0 when everything is graded, 1 when something needs the instructor (a file
not graded or matched to no student, a row the grader could not grade), 2 when the
instructor's input cannot be used (one sentence says which file, line and field).

How grading works, and why a submission cannot talk it into marks:

1. Before any student code runs, the expected answers are in the grader's
   bundles: built (``build``) from each master, whose solutions run in the same
   sandbox on every test's inputs (or, where a test says so, from ``mathlib``),
   and refused unless the master earns full marks on its own tests.
2. Each submission runs in its own bubblewrap sandbox (``grader/sandbox.py``):
   a new user and PID namespace as an unprivileged user (on the host too, even
   when the grader runs as root), no network, no view of the checkout,
   ``mathlib``, the masters, the grader, the other submissions, the real home
   folder or the grader's keyring, a system call filter, fresh tmpfs for /tmp
   and HOME, and limits on memory, CPU time, processes, file size, output and
   wall time.
   Inside, an IPython shell runs the notebook's code cells in order, then calls
   the student's functions on the hidden inputs and sends back raw answers.
3. The grader validates those answers (types, shapes, sizes) and scores them
   itself. A ``raises`` case, or a case whose answer a constant could give
   (``inf``, a whole number, a bool, a string), earns its points only when the same function also
   returns correct values elsewhere. How code is written counts only through
   what it does: hidden cases on which the forbidden way measurably fails.
4. Submissions run side by side (one per core by default); each row of the
   CSV is written as its submission finishes, with a Markdown feedback file
   per submission in ``feedback/`` next to the CSV. Running again resumes.

Where the sandbox cannot run (no bubblewrap, no unprivileged user namespaces,
not Linux, an architecture other than x86-64 and aarch64), grading stops with a
message saying what is missing; ``--no-sandbox`` grades
notebooks the instructor trusts without one.
"""

import argparse
import re
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from grader import build  # noqa: E402
from grader.model import Refused  # noqa: E402
from grader.submissions import ALL  # noqa: E402
from grader.sandbox import Limits, SandboxUnavailable  # noqa: E402

DEFAULTS = Limits()
UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def size(text):
    """Bytes from '512M', '2G', '64K' or a plain number."""
    match = re.fullmatch(r"\s*(\d+)\s*([KMG]?)i?B?\s*", text, re.I)
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (say 512M, 2G or a number of bytes)")
    return int(match.group(1)) * UNITS[match.group(2).upper()]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="student copies and bundles")
    b.add_argument("out")
    b.add_argument("--no-sandbox", action="store_true", help="run the masters without a sandbox")
    g = sub.add_parser("grade", help="grade every .ipynb in a folder into one CSV, with feedback files")
    g.add_argument("folder")
    g.add_argument("csv")
    g.add_argument("--timeout", type=float, default=DEFAULTS.timeout, help="seconds per submission")
    g.add_argument("--jobs", type=int, default=None, help="submissions at once (default: one per core)")
    g.add_argument("--memory", type=size, default=DEFAULTS.memory, help="memory per submission (e.g. 1G)")
    g.add_argument("--processes", type=int, default=DEFAULTS.processes, help="processes per submission")
    g.add_argument("--file-size", type=size, default=DEFAULTS.file_size, help="largest file it may write")
    g.add_argument("--output", type=size, default=DEFAULTS.output, help="printed output kept per submission")
    g.add_argument("--assignment", default=None,
                   help="the assignment to grade, or 'all' for each notebook's own (default: the one the "
                        "notebooks of the folder name; where they name several, the run stops and asks); a "
                        "notebook of another assignment gets no points")
    g.add_argument("--brief", action="store_true", help="feedback that is only the score per question")
    g.add_argument("--regrade", action="store_true", help="grade everything again instead of resuming")
    g.add_argument("--no-sandbox", action="store_true",
                   help="run without a sandbox: ONLY for notebooks you trust (your own, a TA's)")
    g.add_argument("--shard", type=shard, default=None, help="k/n: grade only part k of n of the folder")
    term_options(g)
    m = sub.add_parser("merge", help="join the CSVs (and feedback) of a sharded run into what one run writes")
    m.add_argument("csv")
    m.add_argument("parts", nargs="+")
    m.add_argument("--submissions", default=None, help="the folder graded (needed with --roster)")
    m.add_argument("--no-sandbox", action="store_true", help="build stale bundles without a sandbox")
    term_options(m)
    args = parser.parse_args(argv)
    # Stopped by a signal, the grader still removes its scratch folder and sandboxes on the way out.
    for stop in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop, lambda number, frame: sys.exit(128 + number))
    try:
        if args.command == "build":
            build.build(args.out, sandboxed=not args.no_sandbox)
        elif args.command == "merge":
            return merge(args)
        else:
            return grade(args)
    except Refused as error:
        print(f"autograde: {error}.", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"autograde: {error.strerror or error}: {error.filename or ''}.", file=sys.stderr)
        return 2
    except SandboxUnavailable as error:
        print(f"autograde: cannot grade safely here: {error}.\n"
              "Student code must not run outside the sandbox. To grade notebooks you trust without it, "
              "pass --no-sandbox (make grade ... SANDBOX=off).", file=sys.stderr)
        return 2
    return 0


def shard(text):
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)):
        raise argparse.ArgumentTypeError(f"not a part: {text!r} (say 1/4 for the first of four)")
    return int(match.group(1)), int(match.group(2))


def term_options(parser):
    """The options of a term (a roster, deadlines, Canvas's column), the same for grading and merging."""
    parser.add_argument("--roster", default=None, help="the class list (CSV): grades per student, LMS files")
    parser.add_argument("--due", default=None, help="the due date, e.g. 2025-03-01T23:59 (UTC unless it says)")
    parser.add_argument("--penalty", default=None,
                        help="share of the points taken per started day late, from 0 to 1 (needs --due)")
    parser.add_argument("--late-limit", default=None, help="days late after which nothing counts (needs --due)")
    parser.add_argument("--canvas-assignment", default=None, help="Canvas's id of the assignment, for its column")


# The term's options as make and autograde.py name them, for the refusals.
OPTION = {"roster": "ROSTER (--roster)", "due": "DUE (--due)", "penalty": "PENALTY (--penalty)",
          "late_limit": "LATE_LIMIT (--late-limit)", "canvas_assignment": "CANVAS_ASSIGNMENT (--canvas-assignment)"}


def _number(args, name, high, meaning):
    """The option `name` as a number from 0 to `high`; Refused, naming the option and the range, otherwise."""
    text = getattr(args, name)
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 <= value <= high:
        said = f"from 0 to {high:g}" if high != float("inf") else "of 0 or more"
        raise Refused(f"{OPTION[name]} is {text!r}, not a number {said}: {meaning}")
    return value


def _dated(args):
    """The term's options given, of those that belong to one assignment's per-student grades."""
    return [name for name in ("due", "penalty", "late_limit", "canvas_assignment") if getattr(args, name) is not None]


def _term_input(args):
    """(roster or None, policy): read and checked before anything is graded, so that bad input costs no run."""
    from grader import roster
    from grader.policy import Policy, when

    given = _dated(args)
    if given and not args.roster:
        raise Refused(f"{', '.join(OPTION[n] for n in given)} need{'s' * (len(given) == 1)} a class list: they "
                      f"apply to the per-student grades, which only a run with {OPTION['roster']} writes")
    late = [name for name in ("penalty", "late_limit") if getattr(args, name) is not None]
    if late and args.due is None:
        raise Refused(f"{' and '.join(OPTION[n] for n in late)} need{'s' * (len(late) == 1)} {OPTION['due']}, the "
                      "due date from which days late are counted")
    penalty = _number(args, "penalty", 1, "the share of the points taken per started day late (0.1 takes 10 % a "
                      "day)") if args.penalty is not None else 0.0
    limit = _number(args, "late_limit", float("inf"), "the days late after which a submission earns nothing"
                    ) if args.late_limit is not None else float("inf")
    policy = Policy(when(args.due, what="the due date") if args.due else None, penalty, limit)
    return (roster.read(args.roster) if args.roster else None), policy


def _term(args, roster, folder, bundles, policy):
    """The term's files (term/ and the feedback's grades); the lines that need the instructor."""
    from grader import term
    canvas_ids = {a: args.canvas_assignment for a in bundles} if args.canvas_assignment else None
    return term.run(roster, folder, args.csv, bundles, policy, canvas_ids)[1]


def _report(summary, look):
    print(summary)
    if look:
        print(f"needs the instructor ({len(look)}):\n" + "\n".join(f"  {line}" for line in look))
        return 1
    return 0


def _statuses(counts):
    return ", ".join(f"{n} {s}" for s, n in sorted(counts.items(), key=lambda x: (-x[1], x[0]))) or "none"


def grade(args):
    """Grade the folder, then (with a roster) the term's files; 1 when something needs the instructor."""
    from grader.batch import Batch

    from grader.gradebook import inside

    roster, policy = _term_input(args)
    dated = _dated(args)
    if args.assignment == ALL and dated:
        raise Refused(f"{', '.join(OPTION[n] for n in dated)} belong{'s' * (len(dated) == 1)} to one assignment, "
                      f"and ASSIGNMENT={ALL} (--assignment {ALL}) grades each notebook against its own: grade each "
                      "assignment's folder with its ASSIGNMENT")
    inside(args.csv, args.folder)
    if roster is not None:   # the score sheets too are read before anything is graded
        from grader import term
        bundles = build.bundles(sandboxed=not args.no_sandbox, errors=[])
        term.check_sheets(roster, args.csv, bundles, set(bundles))
    limits = Limits(timeout=args.timeout, memory=args.memory, processes=args.processes,
                    file_size=args.file_size, output=args.output)
    batch = Batch(args.folder, args.csv, limits, jobs=args.jobs, sandboxed=not args.no_sandbox,
                  brief=args.brief, regrade=args.regrade, assignment=args.assignment, shard=args.shard,
                  roster=roster)
    batch.run()
    look = batch.needs_instructor()
    if roster is not None and args.shard:
        print(f"part {args.shard[0]} of {args.shard[1]}: the term's files (term/ and the grades in the feedback) "
              "come from the merge of every part (autograde.py merge, make merge-grades)")
    elif roster is not None:
        look += _term(args, roster, args.folder, batch.bundles, policy)
    else:
        for name, b in sorted(batch.chosen.items()):
            if b.written:
                print(f"note: the written answers of {name} ({', '.join(b.written)}) are collected for review "
                      "only in a run with a class list (ROSTER=; see Running a term, Written answers)")
    summary = batch.summary
    return _report(f"summary: {summary['written']} graded now, {summary['resumed']} already graded, "
                   f"{len(summary['skipped'])} files not notebooks; by status: {_statuses(summary['statuses'])}", look)


def merge(args):
    """Join a sharded run's parts into what one run writes, the term's files included (with a roster)."""
    from collections import Counter

    from grader import build, gradebook, intake, term
    from grader.batch import needs_instructor

    roster, policy = _term_input(args)
    if roster is not None and args.submissions is None:
        raise Refused("with a roster, the merge needs the folder that was graded, to match its files to students "
                      "(--submissions, SUBMISSIONS= in make)")
    found, skipped = intake.walk(args.submissions) if args.submissions else ([], [])
    # Everything that can be refused is checked before anything is written: the parts, then the score sheets.
    columns, rows = gradebook.read_parts(args.parts, args.csv, [f.name for f in found], args.submissions)
    broken = []
    bundles = build.bundles(sandboxed=not args.no_sandbox, errors=broken)
    if roster is not None:
        term.check_sheets(roster, args.csv, bundles, {r.get("assignment") for r in rows})
    rows = gradebook.merge(args.parts, args.csv, bundles, columns, rows)
    statuses = Counter(r["status"] for r in rows)
    look = needs_instructor(broken, [(s.name, s.reason) for s in skipped], statuses)
    if roster is not None:
        look += _term(args, roster, args.submissions, bundles, policy)
    return _report(f"summary: {len(rows)} rows from {len(args.parts)} parts; by status: {_statuses(statuses)}", look)


if __name__ == "__main__":
    sys.exit(main())
