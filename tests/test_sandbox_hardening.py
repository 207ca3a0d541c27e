"""The sandbox against a second attack: the kernel's keyrings, the host in /proc, root on the host.

One sandbox runs `PROBE`, a submission's cell that tries, with ctypes, everything
below and prints what it saw as one JSON line. Before it starts, this process (the
grader here) puts a secret in a session keyring of its own; while it runs, the test
reads the host uid of each of its processes from the host's /proc. The system call
filter is also checked on its own, by running its BPF program here on made-up calls.
"""

import ctypes
import errno
import json
import os
import platform
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from grading import A1, AUTOGRADE, FULL, ROOT, grade, needs_sandbox, rows, solved
from grader import seccomp
from grader.sandbox import SCRATCH_BYTES, SHM_BYTES, Bubblewrap, Cgroup, Limits, _python, student_packages

# The grader's tests are a step of their own: `make test-grading` (README).
pytestmark = pytest.mark.grading

LIMITS = Limits(timeout=60, memory=512 << 20, processes=8, file_size=1 << 20, output=1 << 16)
SECRET_NAME, SECRET = b"grader-secret", b"the grader's own key"
KEYCTL_GET_KEYRING_ID, KEYCTL_JOIN_SESSION_KEYRING, KEYCTL_READ = 0, 1, 11
KEYCTL_INVALIDATE, KEY_SPEC_SESSION_KEYRING = 21, -3
ADDR_NO_RANDOMIZE = 0x0040000   # a personality other than the default
PTRACE_PEEKDATA = 2
# What the sandbox must not see of the host in /proc (as Docker and runc hide it, and
# what root alone may read): files read empty or are refused, folders list nothing.
PROC_FILES = ("keys", "key-users", "timer_list", "timer_stats", "sched_debug", "slabinfo", "vmallocinfo",
              "pagetypeinfo", "kcore", "latency_stats")
PROC_FOLDERS = ("acpi", "asound", "scsi")
# System calls a notebook never needs, each refused with EPERM, and its arguments where zeros
# would not show a missing filter (without one, these calls would succeed or fail otherwise).
REFUSED = ("add_key", "request_key", "keyctl", "ptrace", "process_vm_readv", "process_vm_writev", "kexec_load",
           "kexec_file_load", "init_module", "finit_module", "delete_module", "bpf", "perf_event_open",
           "userfaultfd", "mount", "umount2", "pivot_root", "swapon", "swapoff", "reboot", "unshare", "setns",
           "io_uring_setup", "io_uring_enter", "io_uring_register", "acct", "quotactl", "open_by_handle_at",
           "memfd_create", "memfd_secret", "shmget")
ARGUMENTS = {"ptrace": [PTRACE_PEEKDATA, 1], "process_vm_readv": ["pid"], "process_vm_writev": ["pid"],
             "keyctl": [KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING], "personality": [ADDR_NO_RANDOMIZE]}
# Socket families (linux/socket.h): local and IP sockets, which the sandbox's network namespace
# confines, are allowed; vsock (which reaches a virtual machine's host past any network
# namespace), the kernel's crypto API, raw packets and netlink are refused.
ALLOWED_FAMILIES = {"AF_UNIX": 1, "AF_INET": 2, "AF_INET6": 10}
REFUSED_FAMILIES = {"AF_VSOCK": 40, "AF_ALG": 38, "AF_PACKET": 17, "AF_NETLINK": 16}
HEADERS = {"x86_64": ("/usr/include/x86_64-linux-gnu/asm/unistd_64.h", "/usr/include/asm/unistd_64.h"),
           "aarch64": ("/usr/include/asm-generic/unistd.h",)}

PROBE = r'''
import ctypes, json, os, socket
libc = ctypes.CDLL(None, use_errno=True)
NUMBERS, ARGUMENTS, FILES, FOLDERS, SECRET_NAME = {numbers}, {arguments}, {files}, {folders}, {secret_name}
FAMILIES = {families}
KEYCTL_SEARCH, KEYCTL_READ, KEYCTL_UPDATE, KEYRING = 10, 11, 2, -3

def call(number, *args):
    """The error number of a system call (its arguments, zeros unless given), or what it returned."""
    ctypes.set_errno(0)
    result = libc.syscall(number, *(ctypes.c_long(a) for a in (*args, 0, 0, 0, 0, 0, 0)[:6]))
    return ctypes.get_errno() if result == -1 else f"returned {{result}}"

def read(path, size=4096):
    try:
        return open(path, "rb").read(size).decode(errors="replace")
    except OSError as error:
        return f"refused: {{error.strerror}}"

report = {{"calls": {{"personality query": call(NUMBERS["personality"], 0xFFFFFFFF)}}, "files": {{}},
          "folders": {{}}, "keys": {{}}, "sockets": {{}}}}
for name, number in NUMBERS.items():
    report["calls"][name] = call(number, *(os.getpid() if a == "pid" else a for a in ARGUMENTS.get(name, [])))
for name, family in FAMILIES.items():
    try:
        socket.socket(family, socket.SOCK_DGRAM if name in ("AF_NETLINK", "AF_PACKET") else socket.SOCK_STREAM).close()
        report["sockets"][name] = "opened"
    except OSError as error:
        report["sockets"][name] = error.errno
    if name == "AF_UNIX":
        try:
            [end.close() for end in socket.socketpair(family)]
            report["sockets"]["socketpair AF_UNIX"] = "opened"
        except OSError as error:
            report["sockets"]["socketpair AF_UNIX"] = error.errno
report["status"] = read("/proc/self/status")
for name in FILES:
    report["files"][name] = read(f"/proc/{{name}}")
for name in FOLDERS:
    try:
        report["folders"][name] = os.listdir(f"/proc/{{name}}")
    except OSError as error:
        report["folders"][name] = f"refused: {{error.strerror}}"
report["mountinfo"] = read("/proc/self/mountinfo", 1 << 20)
# The grader's secret: find it, read it, clear it, and leave a key of one's own behind.
key = libc.syscall(NUMBERS["keyctl"], KEYCTL_SEARCH, KEYRING, b"user", SECRET_NAME, 0)
if key > 0:
    buffer = ctypes.create_string_buffer(256)
    size = libc.syscall(NUMBERS["keyctl"], KEYCTL_READ, key, buffer, 256)
    report["keys"]["read"] = buffer.raw[:max(size, 0)].decode(errors="replace")
    report["keys"]["cleared"] = libc.syscall(NUMBERS["keyctl"], KEYCTL_UPDATE, key, b"", 0)
report["keys"]["search"] = key
report["keys"]["planted"] = libc.syscall(NUMBERS["add_key"], b"user", b"planted", b"x" * 100, 100, KEYRING)
report["keys"]["requested"] = libc.syscall(NUMBERS["request_key"], b"user", SECRET_NAME, None, 0)
print("REPORT" + json.dumps(report), flush=True)
import time; time.sleep(3)   # while the grader looks at this sandbox's processes from the host
'''

libc = ctypes.CDLL(None, use_errno=True)


def keyctl(*args):
    number = seccomp.REFUSED["keyctl"][seccomp.ARCHITECTURES[platform.machine()].column]
    return libc.syscall(number, *args)


def read_key(key):
    buffer = ctypes.create_string_buffer(4096)
    size = keyctl(KEYCTL_READ, ctypes.c_long(key), buffer, 4096)
    assert size >= 0, os.strerror(ctypes.get_errno())
    return buffer.raw[:size]


def status_fields(pid):
    """The Uid and Gid lines of a process, as the host sees them: {"Uid": [real, effective, saved, fs], ...}."""
    text = Path(f"/proc/{pid}/status").read_text()
    return {key: line.split()[1:] for line in text.splitlines() for key in ("Uid", "Gid") if line.startswith(key + ":")}


def process_tree(root):
    """The pids of `root` and of all its descendants, from the host's /proc."""
    parents = {}
    for entry in Path("/proc").iterdir():
        try:
            parents[int(entry.name)] = int(re.search(r"^PPid:\s+(\d+)", (entry / "status").read_text(), re.M)[1])
        except (ValueError, OSError, TypeError):
            continue
    tree = {root}
    while True:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        if not more:
            return tree
        tree |= more


def run_watched(box, job):
    """Run `job` in a sandbox; returns the Uid and Gid lines of its processes, read from the
    host once it has printed its report, and everything it printed."""
    box.check()
    read, write = os.pipe()
    process, cgroup = box.start(job, write, "hardening")
    os.close(write)
    try:
        output = b""
        deadline = time.monotonic() + LIMITS.timeout
        while b"REPORT" not in output and time.monotonic() < deadline and process.poll() is None:
            output += process.stdout.read1(1 << 16)
        ids = {pid: status_fields(pid) for pid in process_tree(process.pid)}
        output += process.stdout.read()
        process.wait()
    finally:
        os.close(read)
        if cgroup is not None:
            cgroup.remove()
    return ids, output


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    """Run PROBE in a sandbox, with a secret in the grader's session keyring."""
    needs_sandbox()
    machine = platform.machine()
    column = seccomp.ARCHITECTURES[machine].column
    numbers = {name: seccomp.REFUSED[name][column] for name in REFUSED if seccomp.REFUSED[name][column] is not None}
    numbers["personality"] = seccomp.PERSONALITY[column]
    workdir = tmp_path_factory.mktemp("sandbox")
    job = workdir / "job.json"
    source = PROBE.format(numbers=numbers, arguments=ARGUMENTS, files=PROC_FILES, folders=PROC_FOLDERS,
                          secret_name=SECRET_NAME, families=ALLOWED_FAMILIES | REFUSED_FAMILIES)
    job.write_text(json.dumps({"cells": [source], "calls": []}))

    # A session keyring of this process's own (the machine's is left alone), holding the secret.
    assert keyctl(KEYCTL_JOIN_SESSION_KEYRING, None) > 0
    add_key = seccomp.REFUSED["add_key"][column]
    secret = libc.syscall(add_key, b"user", SECRET_NAME, SECRET, len(SECRET), KEY_SPEC_SESSION_KEYRING)
    assert secret > 0, os.strerror(ctypes.get_errno())
    try:
        ids, output = run_watched(Bubblewrap(LIMITS, workdir), job)
        keyring, after = read_key(KEY_SPEC_SESSION_KEYRING), read_key(secret)
    finally:
        keyctl(KEYCTL_INVALIDATE, secret)
    line = next((text for text in output.decode(errors="replace").splitlines() if text.startswith("REPORT")), None)
    assert line is not None, output.decode(errors="replace")
    return {"report": json.loads(line[len("REPORT"):]), "ids": ids, "numbers": numbers, "secret": secret,
            "secret_after": after, "keyring": struct.unpack(f"={len(keyring) // 4}i", keyring)}


def test_the_sandbox_runs_as_an_unprivileged_host_user(probe):
    assert len(probe["ids"]) >= 3, probe["ids"]   # bubblewrap, its init, the runner
    for pid, ids in probe["ids"].items():
        assert "0" not in ids["Uid"] and "0" not in ids["Gid"], (pid, ids)


def test_the_system_call_filter_is_in_place(probe):
    assert re.search(r"^Seccomp:\s+2$", probe["report"]["status"], re.M), probe["report"]["status"]


@pytest.mark.parametrize("name", REFUSED + ("personality",))
def test_refused_system_calls_fail_with_eperm(probe, name):
    if name not in probe["numbers"]:
        pytest.skip(f"{platform.machine()} has no {name}")
    assert probe["report"]["calls"][name] == errno.EPERM


@pytest.mark.parametrize("name", REFUSED_FAMILIES)
def test_sockets_outside_the_network_namespace_are_refused(probe, name):
    assert probe["report"]["sockets"][name] == errno.EAFNOSUPPORT


@pytest.mark.parametrize("name", [*ALLOWED_FAMILIES, "socketpair AF_UNIX"])
def test_local_and_ip_sockets_still_open(probe, name):
    assert probe["report"]["sockets"][name] == "opened"


def test_the_default_personality_is_still_allowed(probe):
    assert probe["report"]["calls"]["personality query"] == "returned 0"


def test_the_grader_s_keyring_is_out_of_reach(probe):
    keys = probe["report"]["keys"]
    assert "read" not in keys and "cleared" not in keys, keys
    assert keys["search"] == keys["planted"] == keys["requested"] == -1, keys
    assert probe["secret_after"] == SECRET
    assert probe["keyring"] == (probe["secret"],)   # nothing planted beside it


@pytest.mark.parametrize("name", PROC_FILES)
def test_host_files_in_proc_read_empty_or_are_refused(probe, name):
    if not Path("/proc", name).exists():
        pytest.skip(f"this kernel has no /proc/{name}")
    seen = probe["report"]["files"][name]
    assert seen == "" or seen.startswith("refused"), seen[:300]


@pytest.mark.parametrize("name", PROC_FOLDERS)
def test_host_folders_in_proc_are_empty(probe, name):
    if not Path("/proc", name).is_dir():
        pytest.skip(f"this kernel has no /proc/{name}")
    seen = probe["report"]["folders"][name]
    assert seen == [] or str(seen).startswith("refused"), seen


def test_mountinfo_names_no_host_path_of_the_runtime_the_packages_or_the_checkout(probe):
    if os.geteuid() != 0:
        pytest.skip("run as an ordinary user, the grader binds the packages from where they are, and mountinfo "
                    "names them")
    text = probe["report"]["mountinfo"]
    assert str(ROOT) not in text
    prefix, _, _ = _python()
    roots = {line.split()[3] for line in text.splitlines()}   # each mount's folder in its file system
    assert not roots & ({str(prefix)} | {str(path) for path, _ in student_packages()})


FORK = r'''
import os, time
children = 0
for _ in range({tries}):
    try:
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        children += 1
    except OSError:
        break
print("CHILDREN", children, flush=True)
'''


def test_the_process_limit_counts_the_sandbox_s_own_processes_only(tmp_path, monkeypatch):
    """As for an ordinary user, whose other processes are many: the sandbox runs as a host user
    that has more processes outside it than the limit, and its own are limited all the same."""
    needs_sandbox()
    if os.geteuid() != 0:
        pytest.skip("starting processes as another user needs root")
    box = Bubblewrap(LIMITS, tmp_path)
    host_id = box._host_id()
    monkeypatch.setattr(box, "_host_id", lambda: host_id)
    others = [subprocess.Popen(["sleep", "60"], user=host_id, group=host_id, extra_groups=[])
              for _ in range(2 * LIMITS.processes)]
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"cells": [FORK.format(tries=4 * LIMITS.processes)], "calls": []}))
    read, write = os.pipe()
    try:
        process, cgroup = box.start(job, write, "processes")
        os.close(write)
        output = process.communicate(timeout=LIMITS.timeout)[0].decode(errors="replace")
        if cgroup is not None:
            cgroup.remove()
    finally:
        os.close(read)
        for other in others:
            other.kill()
            other.wait()
    assert f"CHILDREN {LIMITS.processes}\n" in output, output[-2000:]


def test_two_graders_at_once_never_share_a_cgroup_and_a_dead_one_s_is_swept(tmp_path):
    """Two builds of one assignment at once each check its student copy in a sandbox of the same
    name; each grader's cgroups carry its process id (a shared name had failed the second with
    "File exists"), so that Cgroup.sweep also removes those a grader that died left behind."""
    needs_sandbox()
    if not Cgroup.available():
        pytest.skip("no writable cgroup (v1) hierarchies here")
    box = Bubblewrap(LIMITS, tmp_path)
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"cells": ["import time; time.sleep(5)"], "calls": []}))
    (tmp_path / "other").mkdir()
    read, write = os.pipe()
    process, cgroup = box.start(job, write, "copy-a1")
    try:
        other = subprocess.run([sys.executable, "-c", (
            "import os, sys, pathlib; sys.path[:0] = [%r, %r]\n"
            "from grader.sandbox import Bubblewrap, Cgroup\n"
            "from test_sandbox_hardening import LIMITS\n"
            "box = Bubblewrap(LIMITS, pathlib.Path(%r))\n"
            "r, w = os.pipe(); process, cgroup = box.start(pathlib.Path(%r), w, 'copy-a1')\n"
            "process.kill(); process.wait(); print(*(p.name for p in cgroup.paths.values()))\n"
            "os._exit(0)  # dies without removing its cgroup"
        ) % (str(ROOT / "assignments"), str(ROOT / "tests"), str(tmp_path / "other"), str(job))],
            capture_output=True, text=True, timeout=60)
        assert other.returncode == 0, other.stderr[-2000:]
        left = [Cgroup._base(c) / name for c, name in zip(Cgroup.CONTROLLERS, other.stdout.split())]
        assert all(path.is_dir() for path in left) and left != list(cgroup.paths.values())
        Cgroup.sweep()
        assert not any(path.exists() for path in left)
        assert all(path.is_dir() for path in cgroup.paths.values())   # a live grader's stays
    finally:
        process.kill()
        process.wait()
        os.close(write)
        os.close(read)
        cgroup.remove()


def test_an_honest_notebook_still_gets_full_marks(tmp_path):
    needs_sandbox()
    folder = tmp_path / "submissions"
    folder.mkdir()
    nbformat.write(solved(A1), folder / "honest.ipynb")
    done = grade(folder, tmp_path / "grades.csv", "--timeout", "60", "--jobs", "1")
    assert done.returncode == 0, done.stderr
    row = rows(tmp_path / "grades.csv")["honest"]
    assert (row["status"], int(row["total"])) == ("ok", FULL[A1]), row


HOLD = r'''
import ctypes, json, os
MiB, TRIES = 1 << 20, {tries}
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p

def held(step, undo):
    """MiB that `step` holds, one more each call until it fails or has TRIES; then `undo`."""
    done, error = 0, ""
    try:
        for i in range(TRIES):
            step(i)
            done += 1
    except OSError as problem:
        error = problem.strerror or str(problem)
    undo()
    return [done, error]

def file_in(folder):
    def step(i):
        with open(f"{{folder}}/held{{i}}", "wb") as f:
            f.write(b"\1" * MiB)
    def undo():
        for name in os.listdir(folder):
            if name.startswith("held"):
                os.remove(f"{{folder}}/{{name}}")
    return step, undo

memfds = []
def memfd(i):
    memfds.append(os.memfd_create(f"held{{i}}"))
    os.write(memfds[-1], b"\1" * MiB)

segments = []
def sysv(i):
    segment = libc.shmget(0, MiB, 0o600)
    if segment < 0:
        raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
    segments.append(segment)
    address = libc.shmat(segment, None, 0)
    ctypes.memset(address, 1, MiB)
    libc.shmdt(ctypes.c_void_p(address))

report = {{"dev": held(*file_in("/dev")), "dev/shm": held(*file_in("/dev/shm")), "tmp": held(*file_in("/tmp")),
          "memfd": held(memfd, lambda: [os.close(fd) for fd in memfds]),
          "sysv": held(sysv, lambda: [libc.shmctl(s, 0, None) for s in segments])}}   # IPC_RMID
with open("/dev/null", "wb") as f:
    report["null"] = f.write(b"x")
with open("/dev/urandom", "rb") as f:
    report["urandom"] = len(f.read(16))
print("REPORT" + json.dumps(report), flush=True)
'''


@pytest.mark.parametrize("cgroup", [True, False], ids=["with the cgroup", "without the cgroup"])
def test_memory_outside_the_address_space_limit_is_bounded(tmp_path, cgroup):
    """An outside attack, where the cgroup was unavailable: 1.6 GB of files in /dev (a tmpfs
    the student's user owned, of no size of its own) and 1.5 GB of memfd_create buffers, which
    no address space limit counts. Tried here a MiB at a time, up to 96 MiB per way."""
    needs_sandbox()
    if cgroup and not Cgroup.available():
        pytest.skip("the cgroup (v1) memory and cpu controllers are not writable here")
    box = Bubblewrap(LIMITS, tmp_path)
    box.use_cgroups = cgroup
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"cells": [HOLD.format(tries=96)], "calls": []}))
    _, output = run_watched(box, job)
    line = next((text for text in output.decode(errors="replace").splitlines() if text.startswith("REPORT")), None)
    assert line is not None, output.decode(errors="replace")[-3000:]
    report = json.loads(line[len("REPORT"):])
    assert report["dev"] == [0, "Read-only file system"], report
    assert report["dev/shm"][0] <= SHM_BYTES >> 20 and report["dev/shm"][1] == "No space left on device", report
    assert report["memfd"] == report["sysv"] == [0, "Operation not permitted"], report
    # /tmp, as the control: written up to its size
    assert (SCRATCH_BYTES >> 20) - 1 <= report["tmp"][0] <= SCRATCH_BYTES >> 20, report
    assert report["null"] == 1 and report["urandom"] == 16, report


def run_filter(program, nr, arch, arg0=0):
    """What the kernel would do with a call: the BPF program run here on a struct seccomp_data."""
    data = struct.pack("=iIQ6Q", nr, arch, 0, arg0, 0, 0, 0, 0, 0)
    code = [struct.unpack_from("=HBBI", program, at) for at in range(0, len(program), 8)]
    pc = accumulator = 0
    while True:
        op, jump_if_true, jump_if_false, k = code[pc]
        if op == seccomp.LOAD_WORD:
            accumulator, pc = struct.unpack_from("=I", data, k)[0], pc + 1
        elif op in (seccomp.JUMP_IF_EQUAL, seccomp.JUMP_IF_AT_LEAST):
            taken = accumulator == k if op == seccomp.JUMP_IF_EQUAL else accumulator >= k
            pc += 1 + (jump_if_true if taken else jump_if_false)
        else:
            assert op == seccomp.RETURN, op
            return k


@pytest.mark.parametrize("machine", sorted(seccomp.ARCHITECTURES))
def test_the_filter_refuses_exactly_its_calls(machine):
    arch = seccomp.ARCHITECTURES[machine]
    program = seccomp.program(machine)
    for name, numbers in seccomp.REFUSED.items():
        if numbers[arch.column] is not None:
            assert run_filter(program, numbers[arch.column], arch.audit) == seccomp.REFUSE, name
    personality = seccomp.PERSONALITY[arch.column]
    assert run_filter(program, personality, arch.audit, ADDR_NO_RANDOMIZE) == seccomp.REFUSE
    assert run_filter(program, personality, arch.audit, 0) == seccomp.ALLOW
    assert run_filter(program, personality, arch.audit, 0xFFFFFFFF) == seccomp.ALLOW
    sockets = {numbers[arch.column] for numbers in seccomp.SOCKET_CALLS.values()}
    refuse_family = 0x00050000 | errno.EAFNOSUPPORT
    for nr in sockets:
        for family in range(64):
            expected = seccomp.ALLOW if family in ALLOWED_FAMILIES.values() else refuse_family
            assert run_filter(program, nr, arch.audit, family) == expected, (nr, family)
    refused = {numbers[arch.column] for numbers in seccomp.REFUSED.values()}
    for nr in set(range(450)) - refused - {personality} - sockets:
        assert run_filter(program, nr, arch.audit) == seccomp.ALLOW, nr


@pytest.mark.parametrize("machine", sorted(seccomp.ARCHITECTURES))
def test_the_filter_kills_a_call_through_another_architecture(machine):
    program, own = seccomp.program(machine), seccomp.ARCHITECTURES[machine].audit
    i386, arm = 0x40000003, 0x40000028   # AUDIT_ARCH_I386, AUDIT_ARCH_ARM: other numbers, other calls
    for other in {i386, arm} | {a.audit for a in seccomp.ARCHITECTURES.values()} - {own}:
        assert run_filter(program, 0, other) == seccomp.KILL_PROCESS
    if machine == "x86_64":   # the x32 entry point
        assert run_filter(program, seccomp.X32_BIT, own) == seccomp.KILL_PROCESS


def test_the_filter_refuses_an_unknown_architecture():
    with pytest.raises(ValueError, match="knows x86_64 and aarch64 only, not riscv64"):
        seccomp.program("riscv64")


@pytest.mark.parametrize("machine", sorted(seccomp.ARCHITECTURES))
def test_system_call_numbers_match_the_kernel_headers(machine):
    header = next((Path(h) for h in HEADERS[machine] if Path(h).exists()), None)
    if header is None:
        pytest.skip(f"no kernel headers for {machine} (Debian: linux-libc-dev)")
    defined = {m[1]: int(m[2]) for m in re.finditer(r"^#define __NR_(\w+)\s+(\d+)\s*$", header.read_text(), re.M)}
    column = seccomp.ARCHITECTURES[machine].column
    for name, numbers in {**seccomp.REFUSED, "personality": seccomp.PERSONALITY}.items():
        assert numbers[column] == defined.get(name), name


def refusal(tmp_path, *, env=None, prefix=()):
    """`autograde grade` where the sandbox cannot run: its exit status and error output."""
    (tmp_path / "submissions").mkdir()
    command = [*prefix, str(AUTOGRADE), "grade", str(tmp_path / "submissions"), str(tmp_path / "grades.csv")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    return done.returncode, done.stderr


def test_without_user_namespaces_grading_refuses_in_one_sentence(tmp_path):
    # Outside /tmp: run as root, the grader covers /tmp before it starts bubblewrap (see sandbox.VIEW).
    (ROOT / "_build").mkdir(exist_ok=True)
    fake = Path(tempfile.mkdtemp(prefix="fake-bwrap-", dir=ROOT / "_build"))
    fake.chmod(0o755)   # for the unprivileged user that starts bubblewrap
    # What bubblewrap says where unprivileged user namespaces are disabled.
    (fake / "bwrap").write_text("#!/bin/sh\necho 'bwrap: No permissions to create new namespace, likely because "
                                "the kernel does not allow non-privileged user namespaces.' >&2\nexit 1\n")
    (fake / "bwrap").chmod(0o755)
    try:
        code, stderr = refusal(tmp_path, env={**os.environ, "PATH": f"{fake}:{os.environ['PATH']}"},
                               prefix=(sys.executable,))
    finally:
        shutil.rmtree(fake)
    assert code == 2 and "Traceback" not in stderr, stderr
    assert "unprivileged user namespaces enabled?" in stderr and "non-privileged user namespaces" in stderr, stderr


def test_on_an_unknown_architecture_grading_refuses_in_one_sentence(tmp_path):
    needs_sandbox()
    unknown = ("import platform, runpy, sys; platform.machine = lambda: 'riscv64'; sys.argv = sys.argv[1:]; "
               "runpy.run_path(sys.argv[0], run_name='__main__')")
    code, stderr = refusal(tmp_path, prefix=(sys.executable, "-c", unknown))
    assert code == 2 and "Traceback" not in stderr, stderr
    assert "filter knows x86_64 and aarch64 only, not riscv64" in stderr, stderr


def test_as_root_without_mount_namespaces_grading_refuses_in_one_sentence(tmp_path):
    """A root without CAP_SYS_ADMIN (as in some containers) cannot prepare the sandbox's view."""
    needs_sandbox()
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root, and setpriv to drop a capability")
    code, stderr = refusal(tmp_path, prefix=("setpriv", "--bounding-set=-sys_admin", "--inh-caps=-sys_admin",
                                             sys.executable))
    assert code == 2 and "Traceback" not in stderr, stderr
    assert "must be allowed to make mount namespaces" in stderr, stderr
