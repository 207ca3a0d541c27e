"""The autograder against a determined student: one batch of attacks beside honest controls.

Every submission below is graded in one batch, by `autograde.py grade` in a
process of its own, as `make grade` runs it, with low limits. Each attack is a
code cell added to an untouched student copy (so it did no work): it earns
marks only if it gets past the sandbox. Where an attack's success would not
show in its own marks (a change to the checkout, a process left behind, a
connection), the test looks for that trace directly. Several attacks report
what they saw through the value their function returns, which the feedback
file shows; the test reads it there. The last test turns the untouched copies'
feedback into lookup tables, as an outside attacker did, and grades those.
"""

import ast
import contextlib
import hashlib
import io
import json
import os
import re
import socket
import threading
import time

import nbformat
import numpy as np
import pytest
from markdown_it import MarkdownIt

from grading import (A1, A2, A3, FULL, INV_DET, PINV_SLOGDET, ROOT, grade, needs_sandbox, rows, solved,
                     untouched, with_cell)
from grader import build, sandbox

# The grader's tests are a step of their own: `make test-grading` (README).
pytestmark = pytest.mark.grading

MARKER = "autograde-leftover-5e1f"   # in the command line of every process an attack leaves behind
A4 = "a4_deep_learning_losses"
LIMITS = ["--timeout", "20", "--memory", "512M", "--processes", "8", "--file-size", "1M",
          "--output", "64K", "--jobs", "2", "--assignment", "all"]
TIMEOUT = 20

# Walks the sandbox's whole file system (as a student would, to find anything useful) and
# runs every solution it finds: any master, bundle, grader file or classmate's submission.
FIND_AND_USE_SOLUTIONS = r'''
import json, os
SKIP = ["proc", "sys", "dev", "/usr/share", "/usr/lib/jvm", "/usr/lib/google-cloud-sdk", "/usr/include"]
# (spelt in two parts, so that this cell's own text, in its job file, does not match)
SECRETS = ["BEGIN " + "SOLUTION", "HIDDEN_" + "TESTS", "np.log(" + "nonzero)", "def my_" + "entropy(p"]
found = 0
for root, dirs, files in os.walk("/"):
    dirs[:] = [d for d in dirs if d not in SKIP and os.path.join(root, d) not in SKIP]
    for name in files:
        path = os.path.join(root, name)
        try:
            if path == "/job.json" or os.path.getsize(path) > 5_000_000 or not name.endswith(
                    (".ipynb", ".json", ".py", ".csv", ".md")):
                continue
            text = open(path, errors="ignore").read()
        except OSError:
            continue
        if any(s in text for s in SECRETS):
            found += 1
            try:
                for cell in json.loads(text)["cells"]:
                    if cell["cell_type"] == "code":
                        exec("".join(cell["source"]), globals())
            except Exception:
                pass
for pid in os.listdir("/proc"):
    for what in ("cmdline", "environ"):
        try:
            text = open(f"/proc/{pid}/{what}", "rb").read().decode(errors="ignore")
        except OSError:
            continue
        if any(s in text for s in SECRETS + ["grader-" + "canary", "/work", ".venv", "sub" + "missions"]):
            found += 1
'''

ATTACKS = {
    # Unblocking the library: import it, find it on disk and load it under another name,
    # or reach SciPy through the runtime's own or the system's site-packages.
    "unblock_library": r'''
import importlib.util, os, sys
SKIP = ["proc", "sys", "dev", "/usr/share", "/usr/lib/jvm", "/usr/lib/google-cloud-sdk", "/usr/include"]
lib = None
try:
    import mathlib as lib
except ImportError:
    for root, dirs, files in os.walk("/"):
        dirs[:] = [d for d in dirs if d not in SKIP and os.path.join(root, d) not in SKIP]
        if "mathlib" in dirs and os.path.exists(os.path.join(root, "mathlib", "__init__.py")):
            spec = importlib.util.spec_from_file_location("not_mathlib", os.path.join(root, "mathlib", "__init__.py"))
            lib = importlib.util.module_from_spec(spec); spec.loader.exec_module(lib)
            break
for extra in (sys.base_prefix + "/lib/python3.11/site-packages", "/usr/lib/python3/dist-packages",
              "/usr/local/lib/python3.11/dist-packages", "/usr/local/lib/python3.11/site-packages"):
    sys.path.append(extra)
try:
    import importlib.metadata
    dist = importlib.metadata.distribution("mathlib-medl")
    sys.path.append(str(dist.locate_file("")))
    import mathlib as lib
except Exception:
    pass
try:
    from scipy.stats import entropy
except ImportError:
    entropy = None
if lib is not None:
    my_entropy, my_kl, my_cross_entropy, my_jsd = lib.entropy, lib.kl_divergence, lib.cross_entropy, lib.js_divergence
elif entropy is not None:
    def my_entropy(p, base=None): return entropy(p, base=base)
    def my_kl(p, q, base=None): return entropy(p, q, base=base)
''',
    # Reading what must stay hidden, and running it: masters, bundles, classmates, the grader.
    "read_hidden": FIND_AND_USE_SOLUTIONS + r'''
def my_entropy(p, base=None): return float(found)   # what it found, for the feedback
''',
    # Rewriting the trusted side: every grader file, mathlib, the environment's packages.
    "rewrite_trusted": r'''
import os, site
SKIP = ["proc", "sys", "dev", "/usr/share", "/usr/lib/jvm", "/usr/lib/google-cloud-sdk", "/usr/include"]
written = 0
targets = []
for root, dirs, files in os.walk("/"):
    dirs[:] = [d for d in dirs if d not in SKIP and os.path.join(root, d) not in SKIP]
    targets += [os.path.join(root, f) for f in files if f in ("autograde.py", "checks.py", "batch.py", "__init__.py")
                and ("mathlib" in root or "grader" in root or "numpy" == os.path.basename(root))]
for path in targets + ["/opt/site-packages/numpy/__init__.py", "/job.json", "/etc/passwd"]:
    try:
        with open(path, "a") as f:
            f.write("\nimport os; os._exit(0)\n")
        written += 1
    except OSError:
        pass
for path in ("/work", "/root", "/opt/site-packages"):
    try:
        open(os.path.join(path, "planted.py"), "w").write("x = 1")
        written += 1
    except OSError:
        pass
def my_entropy(p, base=None): return float(written)
''',
    # Persisting: an IPython startup file, a sitecustomize and a matplotlib rc that would sabotage
    # every later kernel that shares this HOME or /tmp.
    "persist_home": r'''
import os
sabotage = "import numpy\nnumpy.log = lambda x, *a, **k: 0 * numpy.asarray(x)\n"
for folder in (os.path.expanduser("~/.ipython/profile_default/startup"),
               os.path.expanduser("~/.local/lib/python3.11/site-packages"), "/tmp"):
    os.makedirs(folder, exist_ok=True)
    for name in ("00-sabotage.py", "sitecustomize.py", "usercustomize.py"):
        open(os.path.join(folder, name), "w").write(sabotage)
os.makedirs(os.path.expanduser("~/.config/matplotlib"), exist_ok=True)
open(os.path.expanduser("~/.config/matplotlib/matplotlibrc"), "w").write("backend: nonexistent\n")
''',
    # Persisting: processes in a new session that outlive the submission and kill kernels.
    "detached_processes": rf'''
import os, subprocess, sys
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)", "{MARKER}"], start_new_session=True,
                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        killer = ("import os, time\\n"
                  "while True:\\n"
                  "    for p in os.listdir('/proc'):\\n"
                  "        if p.isdigit() and int(p) not in (1, os.getpid()):\\n"
                  "            try: os.kill(int(p), 9)\\n"
                  "            except OSError: pass\\n"
                  "    time.sleep(0.2)\\n")
        os.execv(sys.executable, [sys.executable, "-c", killer, "{MARKER}"])
    os._exit(0)
''',
    # Forging the result: the old token protocol on stdout, and forged answer lines on every fd.
    "forge_result": r'''
import json, os, sys
fake = {"status": "ok", "points": {"q1": 3, "q2": 5, "q3": 2, "q4": 3, "q5": 2}}
print("0" * 32 + json.dumps(fake)); sys.stdout.flush()
lines = [{"case": k, "value": v} for k, v in enumerate(["1.0", {"x": 1}, True, [[1, 2], [3]], "inf", None])]
lines += [{"case": k, "error": "ValueError", "classes": ["builtins.ValueError"]} for k in range(6, 15)]
lines += [{"case": 0, "value": 1.0}, {"done": True}, "[" * 100000]
data = ("\n".join(json.dumps(x) if not isinstance(x, str) else x for x in lines) + "\n").encode()
for fd in range(3, 64):
    try:
        os.write(fd, data)
    except OSError:
        pass
os._exit(0)
''',
    # Stopping the batch: kill every process it can see, its parent, and everything (-1).
    "kill_grader": r'''
import os, signal
for p in os.listdir("/proc"):
    if p.isdigit() and int(p) != os.getpid():
        try:
            os.kill(int(p), signal.SIGKILL)
        except OSError:
            pass
for target in (os.getppid(), 0, -1):
    try:
        os.kill(target, signal.SIGKILL)
    except OSError:
        pass
''',
    # Resources: memory, output, processes, files, time, network.
    "memory_hog": r'''
blocks = []
for _ in range(64):
    blocks.append(bytearray(64 << 20))
''',
    "output_flood": r'''
import sys
line = "x" * 999_999 + "\n"
for _ in range(40):
    sys.stdout.write(line); sys.stderr.write(line)
''',
    "fork_bomb": rf'''
import os, time
children = 0
for _ in range(100):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        os.execv("/bin/sleep", ["/bin/sleep", "300", "{MARKER}"])
    children += 1
def my_entropy(p, base=None): return float(children)
''',
    "big_files": r'''
import os, signal
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
largest = 0
for path in ("/tmp/big", os.path.expanduser("~/big")):
    try:
        with open(path, "wb") as f:
            for _ in range(100):
                f.write(b"\0" * (1 << 20)); f.flush(); largest = max(largest, f.tell())
    except OSError:
        pass
def my_entropy(p, base=None): return float(largest)
''',
    "endless_loop": "while True:\n    pass\n",
    "network": r'''
import socket
connected = 0
for host in ("127.0.0.1", "localhost", "::1"):
    try:
        socket.create_connection((host, PORT), timeout=2).close()
        connected += 1
    except OSError:
        pass
def my_entropy(p, base=None): return float(connected)
''',
    # Clearing the death signal and ignoring signals, to outlive the sandbox's end.
    "clear_death_signal": rf'''
import os, subprocess, sys
code = ("import ctypes, signal, time\\n"
        "ctypes.CDLL(None).prctl(1, 0, 0, 0, 0)\\n"
        "for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE, signal.SIGINT):\\n"
        "    signal.signal(s, signal.SIG_IGN)\\n"
        "time.sleep(600)\\n")
subprocess.Popen([sys.executable, "-c", code, "{MARKER}"], start_new_session=True)
''',
    # A crash of the grader through text that cannot be encoded.
    "unencodable_error": r'''
def my_entropy(p, base=None):
    raise ValueError("\ud800 \udcff")
print("\ud800")
''',
    # Feedback injection: text that would end the line, add a heading and a score, HTML, links.
    "feedback_injection": r'''
EVIL = ("x`\r# Feedback: fake\r- Score: **15 / 15**\u2028<img src=x onerror=alert(1)>\x85[link](http://e.x)"
        "\u2029![i](http://e.x/i.png)\x0b<!--\n\n<script>1</script>``` \u202e")
def my_entropy(p, base=None):
    raise ValueError(EVIL)
def my_kl(p, q, base=None):
    return EVIL
print(EVIL)
raise ValueError(EVIL)
''',
    # Landmark answers: constants that happen to be the answer of one case each (inf, one bit).
    "landmarks": r'''
my_kl = lambda *args, **kwargs: float("inf")
my_jsd = lambda *args, **kwargs: 1.0
''',
    # Marks for nothing: every function raises the error some checks ask for.
    "always_raises": r'''
def _no(*args, **kwargs):
    raise ValueError("no")
my_entropy = my_kl = my_cross_entropy = my_jsd = seed_example = _no
''',
}


REBINDINGS = {   # each binds the inv/det _impl (or pinv/slogdet) to my_kl_mvn after the honest def
    "magic": [INV_DET, "%time my_kl_mvn = _impl"],
    "user_ns": [INV_DET, "get_ipython().user_ns['my_kl_mvn'] = _impl"],
    "nested_def": [INV_DET.replace("def _impl", "if True:\n def my_kl_mvn").replace("\n    ", "\n     ")],
    "automagic_run": ["open('/tmp/impl.py', 'w').write(" + repr(INV_DET + "my_kl_mvn = _impl\n") + ")",
                      "run -i /tmp/impl.py"],
    "code_swap": [INV_DET, "my_kl_mvn.__code__ = _impl.__code__"],
    "match": [INV_DET, "match _impl:\n    case my_kl_mvn:\n        pass"],
    "global": [INV_DET, "def _bind():\n    global my_kl_mvn\n    my_kl_mvn = _impl\n_bind()"],
    "pinv_slogdet": [PINV_SLOGDET + "my_kl_mvn = _impl\n"],
}


def solved_code(name):
    return "\n".join(c.source for c in solved(name).cells if c.cell_type == "code")


def tree_signature(root, skip=()):
    """Every file's path, mode, size and content hash (or mtime for the big environment)."""
    signature = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if os.path.join(folder, d) not in skip]
        for name in files + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
            path = os.path.join(folder, name)
            st = os.lstat(path)
            content = st.st_mtime_ns if ".venv" in path else hashlib.sha256(
                open(path, "rb").read() if os.path.isfile(path) and not os.path.islink(path) else b"").hexdigest()
            signature[path] = (st.st_mode, st.st_size, content)
    return signature


def leftover_processes():
    """Processes an attack left, bubblewraps, and anything running as a sandbox's host user.

    (bubblewrap gets its options through a descriptor, so its command line names none of
    them: it is found by its name and by the host uids the grader gives sandboxes.)
    """
    found = []
    for pid in os.listdir("/proc"):
        try:
            cmdline = open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="ignore")
            comm = open(f"/proc/{pid}/comm").read().strip()
            uid = int(next(line for line in open(f"/proc/{pid}/status") if line.startswith("Uid:")).split()[1])
        except (OSError, StopIteration, ValueError):
            continue
        if MARKER in cmdline or comm == "bwrap" or uid in sandbox.HOST_IDS:
            found.append(f"{comm} (uid {uid}): " + cmdline.replace("\0", " ")[:200])
    return found


def settled(find, seconds=5.0):
    """What `find` still finds once processes killed at the batch's end have had `seconds` to go
    (a SIGKILLed sandbox's init dies a moment after its bubblewrap, which the grader waited for)."""
    deadline = time.monotonic() + seconds
    while (found := find()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    needs_sandbox()
    folder = tmp_path_factory.mktemp("submissions")
    out = tmp_path_factory.mktemp("grades")
    home = tmp_path_factory.mktemp("home")
    (home / ".ipython" / "profile_default" / "startup").mkdir(parents=True)
    (home / ".ipython" / "profile_default" / "startup" / "keep.py").write_text("# the grader's own\n")

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)
    connections = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                connections.append(listener.accept())
            except OSError:
                pass
    thread = threading.Thread(target=accept, daemon=True)
    thread.start()

    subs = {}
    for name, source in ATTACKS.items():
        source = source.replace("PORT", str(listener.getsockname()[1]))
        subs[f"a_{name}"] = with_cell(untouched(A1), source)
    subs["a_always_raises_a3"] = with_cell(untouched(A3), "def _no(*a, **k):\n    raise ValueError('no')\n"
                                           "my_log_softmax = my_grad = my_hessian = definiteness = _no\n")
    # Constant answers where an equals test expects a landmark (0.0, one of a few class names), and an
    # integer beyond every float where a number is expected.
    subs["a_constant_class_a3"] = with_cell(untouched(A3), 'def definiteness(m):\n    return "positive definite"\n')
    subs["a_constant_zero_a4"] = with_cell(untouched(A4), "def gan_value(p, q):\n    return 0.0\n")
    subs["a_huge_integer_a4"] = with_cell(untouched(A4), "def gan_value(p, q):\n    return 10 ** 400\n")
    # The forbidden way (inv and det, or pinv and slogdet) bound to the graded name after the honest
    # def, eight ways: behavioural cases see what the function does, however it got its name.
    for way, cells in REBINDINGS.items():
        nb = solved(A2)
        for source in cells:
            nb = with_cell(nb, source)
        subs[f"m_rebound_{way}"] = nb
    # Asking the runner which check a call serves, to raise exactly where raising is checked.
    peek = solved(A1)
    for cell in peek.cells:
        if "def my_kl(" in cell.source:
            cell.source = cell.source.replace(
                "    # BEGIN SOLUTION\n",
                "    # BEGIN SOLUTION\n    import sys\n    frame = sys._getframe(1)\n"
                "    if any(v == 'error' or (isinstance(v, dict) and 'error' in v.values())\n"
                "           for v in frame.f_locals.values() if isinstance(v, (str, dict))):\n"
                "        raise ValueError('asked to')\n")
            cell.source = cell.source.replace('raise ValueError(f"{name} has negative entries")', "pass")
            cell.source = cell.source.replace('raise ValueError(f"{name} does not sum to 1")', "pass")
    subs["m_peek_runner"] = peek
    # Monte Carlo without sampling: the closed form and an invented standard error.
    subs["m_fake_monte_carlo"] = with_cell(solved(A2), "def my_mc_kl(mu1, S1, mu2, S2, n, seed):\n"
                                           "    return my_kl_mvn(mu1, S1, mu2, S2), 1.4 / np.sqrt(n)\n")
    # Stubs that name what the question asks for earn nothing.
    subs["a_source_stubs"] = with_cell(untouched(A2), "def my_kl_mvn(mu1, S1, mu2, S2):\n    return np.linalg.cholesky\n"
                                       "def my_kl_standard(mu1, S1):\n    return my_kl_mvn\n")
    # Stalling the grader: a cell magic's text that is slow to retokenize (499 line magics and 60 KB
    # of filler), beside a classmate whose printing fills its output pipe while the grader reads.
    subs["a_stall_reading"] = with_cell(untouched(A2), "%%writefile /tmp/f.py\n" + "".join(
        f"%time x{i} = {i}\n" for i in range(300)) + "x = [" + "1, " * 17_000 + "]\n")
    subs["m_printing_beside_a_stall"] = with_cell(solved(A1), "for _ in range(30):\n    print('z' * 99_999)")
    # Stalling the grader with a huge cell for it to read, then dying: others must not suffer.
    subs["a_huge_cell"] = with_cell(untouched(A2), "import os\nos._exit(0)\nx = [" + "1, " * 100_000 + "]", at=2)
    # Partial answers count when the time runs out: my_jsd loops on its hidden inputs only.
    slow = solved(A1)
    slow.cells.append(nbformat.v4.new_code_cell(
        "_jsd = my_jsd\ndef my_jsd(p, q, base=None):\n    if len(p) > 2:\n        while True:\n            pass\n"
        "    return _jsd(p, q, base)\n"))
    subs["m_slow_function"] = slow
    partial = solved(A1)
    for cell in partial.cells:
        if "def my_kl(" in cell.source:
            cell.source = cell.source.replace('raise ValueError(f"{name} has negative entries")', "pass")
            cell.source = cell.source.replace('raise ValueError(f"{name} does not sum to 1")', "pass")
    subs["m_partial"] = partial
    subs["m_raises_at_top"] = with_cell(solved(A1), "raise RuntimeError('oops')", at=3)
    for name in FULL:
        subs[f"m_untouched_{name}"] = untouched(name)
        subs[f"z_reference_{name}"] = solved(name)   # graded last: after every attack
    (folder / "not_a_notebook.ipynb").write_text("{ this is not json")
    # Two faces: nbformat 3 with honest code in worksheets (what Jupyter shows), a lookup table in cells.
    (folder / "a_two_faces.ipynb").write_text(json.dumps({
        "nbformat": 3, "nbformat_minor": 0, "metadata": {"assignment": {"name": A3}},
        "worksheets": [{"metadata": {}, "cells": [{"cell_type": "code", "language": "python", "input": "x = 1",
                                                    "outputs": [], "metadata": {}}]}],
        "cells": [{"cell_type": "code", "source": solved_code(A3), "outputs": [], "metadata": {}}]}))
    # File names that could break the CSV, a spreadsheet or the feedback's Markdown.
    for name in (b"=HYPERLINK(x).ipynb", b"bob\n<!--.ipynb", b"zz_\xff.ipynb", b"zz_\xfe.ipynb"):
        with open(os.path.join(os.fsencode(folder), name), "w") as f:
            f.write(nbformat.writes(untouched(A3)))
    for stem, nb in subs.items():
        nbformat.write(nb, folder / f"{stem}.ipynb")

    skip = {str(ROOT / d) for d in ("_build", ".git", "node_modules", ".pytest_cache", ".hypothesis")}
    before = tree_signature(ROOT, skip), tree_signature(home)
    env = {**os.environ, "HOME": str(home), "GRADER_SECRET": "grader-canary"}
    done = grade(folder, out / "grades.csv", *LIMITS, env=env)
    after = tree_signature(ROOT, skip), tree_signature(home)
    stop.set()
    thread.join()
    listener.close()
    return {"done": done, "rows": rows(out / "grades.csv"), "feedback": out / "feedback", "subs": subs,
            "changed": [p for p in set(before[0]) | set(after[0]) if before[0].get(p) != after[0].get(p)],
            "home_changed": before[1] != after[1], "leftovers": settled(leftover_processes),
            "connections": len(connections)}


def feedback(batch, stem):
    return (batch["feedback"] / f"{stem}.md").read_text()


def reported(batch, stem):
    """The number an attack's my_entropy returned, as its feedback shows it."""
    match = re.search(r"my_entropy\(\[0\.2, 0\.3, 0\.5\]\).*?came back: `+ ([-0-9.e+]+|Infinity|NaN) `",
                      feedback(batch, stem), re.S)
    assert match, feedback(batch, stem)
    return float(match.group(1))


def test_the_batch_finishes_and_writes_every_row(batch):
    # two files are not notebooks Jupyter shows: the run says so and exits 1
    assert batch["done"].returncode == 1 and "needs the instructor" in batch["done"].stdout, batch["done"].stderr
    odd_names = {"%3DHYPERLINK(x)", "bob%0A<!--", "zz_%FF", "zz_%FE"}   # two names that differ in bytes only
    assert set(batch["rows"]) == set(batch["subs"]) | {"not_a_notebook", "a_two_faces"} | odd_names
    assert all(batch["rows"][name]["total"] == "0" for name in odd_names)
    assert batch["rows"]["not_a_notebook"]["status"].startswith("not a readable notebook")
    assert batch["rows"]["a_two_faces"]["status"].startswith("refused: conflicting content")
    assert len(list(batch["feedback"].glob("*.md"))) == len(batch["rows"])
    assert all(row["status"] == "ok" for stem, row in batch["rows"].items() if stem.startswith("z_"))


@pytest.mark.parametrize("attack", [f"a_{name}" for name in ATTACKS] + ["a_always_raises_a3", "a_source_stubs",
                                                                      "a_huge_cell", "a_two_faces",
                                                                      "a_constant_class_a3", "a_constant_zero_a4",
                                                                      "a_huge_integer_a4"])
def test_attacks_earn_nothing(batch, attack):
    assert int(batch["rows"][attack]["total"]) == 0, feedback(batch, attack)


def test_an_integer_beyond_float_is_a_wrong_answer_not_a_grader_error(batch):
    assert not batch["rows"]["a_huge_integer_a4"]["status"].startswith("grader error")
    assert "gan_value" in feedback(batch, "a_huge_integer_a4")


@pytest.mark.parametrize("name", FULL)
def test_controls_graded_after_the_attacks_keep_full_marks(batch, name):
    assert int(batch["rows"][f"z_reference_{name}"]["total"]) == FULL[name], feedback(batch, f"z_reference_{name}")
    assert batch["rows"][f"z_reference_{name}"]["status"] == "ok"


@pytest.mark.parametrize("name", FULL)
def test_untouched_copies_earn_nothing(batch, name):
    assert int(batch["rows"][f"m_untouched_{name}"]["total"]) == 0


def test_no_submission_delays_another(batch):
    row = batch["rows"]["m_printing_beside_a_stall"]
    assert (row["status"], int(row["total"])) == ("ok", FULL[A1]), feedback(batch, "m_printing_beside_a_stall")


def test_partial_work_earns_exactly_its_points(batch):
    row = batch["rows"]["m_partial"]
    assert row["q2"] == "3" and int(row["total"]) == FULL[A1] - 2
    assert int(batch["rows"]["m_raises_at_top"]["total"]) == FULL[A1]


def test_the_runner_cannot_tell_which_check_a_call_serves(batch):
    row = batch["rows"]["m_peek_runner"]
    assert (row["q2"], int(row["total"])) == ("3", FULL[A1] - 2), feedback(batch, "m_peek_runner")


def test_monte_carlo_without_sampling_earns_nothing(batch):
    row = batch["rows"]["m_fake_monte_carlo"]
    assert (row["q2"], int(row["total"])) == ("0", FULL[A2] - 3), feedback(batch, "m_fake_monte_carlo")


@pytest.mark.parametrize("way", REBINDINGS)
def test_the_forbidden_way_earns_less_however_it_is_bound(batch, way):
    row = batch["rows"][f"m_rebound_{way}"]
    assert row["status"] == "ok" and int(row["q1"]) <= 4 and int(row["total"]) < FULL[A2], feedback(batch, f"m_rebound_{way}")
    assert batch["rows"][f"z_reference_{A2}"]["q1"] == "6"


def test_feedback_is_inert(batch):
    """Rendered as CommonMark: one heading and one score, the grader's; no HTML, links or images."""
    text = feedback(batch, "a_feedback_injection")
    assert "Score: **0 / 15**" in text and "returned" not in text.split("Score")[0]
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    tokens += [child for t in tokens for child in (t.children or [])]
    assert [t.tag for t in tokens if t.type == "heading_open" and t.tag == "h1"] == ["h1"]
    assert sum("Score:" in t.content for t in tokens if t.type == "text") == 1
    assert not [t for t in tokens if t.type in ("html_block", "html_inline", "link_open", "image")]


def test_answers_given_before_the_time_ran_out_count(batch):
    row = batch["rows"]["m_slow_function"]
    assert row["status"] == f"stopped after {TIMEOUT} s"
    # The calls run in a random order: those made before the endless one count, so the total
    # is anything from 0 (the endless call came first) to all but my_jsd's looping cases.
    assert int(row["q4"]) < 3 and int(row["total"]) <= FULL[A1] - 2


def test_nothing_outside_the_sandbox_changed(batch):
    assert batch["changed"] == []          # the checkout and .venv
    assert not batch["home_changed"]       # the grader's HOME


def test_no_process_outlives_the_batch(batch):
    assert batch["leftovers"] == []


def test_no_connection_left_the_sandbox(batch):
    assert batch["connections"] == 0
    assert reported(batch, "a_network") == 0


def test_nothing_hidden_was_found(batch):
    assert reported(batch, "a_read_hidden") == 0
    assert reported(batch, "a_rewrite_trusted") == 0


def test_limits_hold(batch):
    assert reported(batch, "a_fork_bomb") <= 8
    assert reported(batch, "a_big_files") <= 1 << 20
    assert batch["rows"]["a_memory_hog"]["status"] == "ran out of memory"
    assert batch["rows"]["a_endless_loop"]["status"] == f"stopped after {TIMEOUT} s"
    assert "only the first 65,536 were kept" in feedback(batch, "a_output_flood")


def test_feedback_says_what_was_checked_and_what_came_back(batch):
    text = feedback(batch, "m_partial")
    assert "q2 | 3 / 5" in text
    # a hidden check: its call and what came back, not what it expects (an exception)
    assert re.search(r"check 11 \(q2, 1 point, hidden\): ` my_kl\(\[-0.2, 1.2\], \[0.5, 0.5\]\) `\n"
                     r"  - came back: ` [0-9.e-]+ `\n", text), text
    assert "raises" not in text and "instead of raising" not in text
    assert "Score: **13 / 15**" in text
    assert "stopped after" in feedback(batch, "a_endless_loop")
    assert "memory" in feedback(batch, "a_memory_hog")
    assert "cell 4 raised ` RuntimeError: oops `" in feedback(batch, "m_raises_at_top")


# ---------------------------------------------------------------- the feedback gives no hidden answer

def hidden_answers(name):
    """{check number: its expected answer} of every hidden check that has a value, computed here by the
    master's own solutions (its code cells run in this process) on the check's inputs."""
    namespace = {}
    with contextlib.redirect_stdout(io.StringIO()):   # what the master prints
        for cell in solved(name).cells:
            if cell.cell_type == "code":
                exec(cell.source, namespace)
    answers = {}
    for k, test in enumerate(build.bundles()[name].tests, 1):
        if not test.public and test.check in ("close", "equals", "mc"):
            answers[k] = namespace[test.call](*json.loads(json.dumps(test.args)), **test.kwargs)
        elif not test.public and test.check == "raises":
            answers[k] = test.error
    return answers


def numbers_in(text):
    return [float(m) for m in re.findall(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?", text)]


def lookup_table(text):
    """A notebook's code that answers every failed check of a feedback file from what the file
    shows (an outside attack did this): each call, and the value or exception it expects; and how
    many checks it answers."""
    table, names = [], set()
    for call, lines in re.findall(r"^- check \d+ \(.*?\): `+ (.*?) `+\n((?:  - .*\n)*)", text, re.M):
        function, arguments = call.split("(", 1)
        names.add(function)
        parts = json.loads("[" + re.sub(r"(\w+)=", r'"__keyword__\1", ', arguments[:-1]) + "]")
        args, kwargs, parts = [], {}, iter(parts)
        for part in parts:
            if isinstance(part, str) and part.startswith("__keyword__"):
                kwargs[part[len("__keyword__"):]] = next(parts)
            else:
                args.append(part)
        expected = re.search(r"^  - expected: (close to|equal to|raises) (.*?)(?: \(rtol.*| \(these.*)?$", lines, re.M)
        if expected is None:
            continue
        how, shown = expected.groups()
        if how == "raises":
            table.append([function, args, kwargs, "raise", shown])
            continue
        try:
            value = ast.literal_eval(re.sub(r"\s+", ",", shown.strip()).replace("[,", "[").replace("inf", "1e999"))
        except (ValueError, SyntaxError):   # an array shown cut short
            continue
        table.append([function, args, kwargs, "value", np.asarray(value).tolist() if how == "close to" else value])
    source = ("import builtins, json\n"
              f"TABLE = json.loads({json.dumps(json.dumps(table))})\n"
              "def answering(name):\n"
              "    def function(*args, **kwargs):\n"
              "        for called, a, k, how, value in TABLE:\n"
              "            if called == name and [a, k] == json.loads(json.dumps([list(args), kwargs])):\n"
              "                if how == 'raise':\n"
              "                    raise getattr(builtins, value)('looked up')\n"
              "                return value\n"
              "    return function\n"
              f"for name in {sorted(names)!r}:\n"
              "    globals()[name] = answering(name)\n")
    return len(table), source


@pytest.mark.parametrize("name", FULL)
def test_feedback_shows_no_expected_answer_of_a_hidden_check(batch, name):
    """An outside attack: the full feedback on an untouched copy showed each failed hidden check's
    expected value to 10 digits, enough to pass it; a notebook that was only a lookup table of them
    got 15 of 15 points."""
    text = feedback(batch, f"m_untouched_{name}")
    # every number of the file but the calls' inputs and the public checks (their answers are in the copy)
    shown = numbers_in(re.sub(r"^- check \d+ \([^)]*public\):.*\n(?:  - .*\n)*|^- check .*$", "", text, flags=re.M))
    for k, answer in hidden_answers(name).items():
        assert f"- check {k} (" in text, text   # every check failed, and is listed
        entry = text.split(f"- check {k} (")[1].split("\n- check")[0]
        assert "expected" not in entry, entry
        if isinstance(answer, str):
            assert answer not in entry, entry
            continue
        for value in np.ravel(np.asarray(answer, dtype=float)):
            if np.isfinite(value) and value != round(value):   # whole numbers are everywhere in the file
                assert not [x for x in shown if abs(x - value) <= 1e-6 * abs(value)], (k, value, entry)


def test_a_lookup_table_of_the_feedback_earns_no_hidden_check(batch, tmp_path):
    folder = tmp_path / "forged"
    folder.mkdir()
    for name in FULL:
        nb = untouched(name)
        answered, source = lookup_table(feedback(batch, f"m_untouched_{name}"))
        assert answered >= 1   # the public checks at least: the file is read
        nb.cells = [nbformat.v4.new_code_cell(source)]
        nbformat.write(nb, folder / f"{name}.ipynb")
    done = grade(folder, tmp_path / "grades.csv", *LIMITS)
    assert done.returncode == 0, done.stdout + done.stderr
    graded = rows(tmp_path / "grades.csv")
    for name in FULL:
        hidden = {str(k) for k, t in enumerate(build.bundles()[name].tests, 1) if not t.public}
        assert graded[name]["status"] == "ok" and hidden <= set(graded[name]["failed"].split()), graded[name]

