"""Where a submission's code runs: a bubblewrap sandbox with limits.

What the student's code sees in the sandbox (``Bubblewrap.options``):

- a new user, PID, network, IPC, UTS and cgroup namespace, as user 65534, with
  every capability dropped, no network at all, a new session (no terminal to
  type into), and no way to create further user namespaces;
- an unprivileged user on the host too: run as root, the grader starts each
  bubblewrap as a host uid and gid of its own (``HOST_IDS``, no supplementary
  groups), so the sandbox's user is not the host's root (root-only files stay
  closed to it) and shares no per-user kernel quota with another sandbox; run
  as an ordinary user, the sandbox's user is that user;
- a new, empty session keyring (not the grader's, nor its keys), and a system
  call filter (``seccomp``) that refuses the keyring calls, ptrace and the other
  calls a notebook never needs (mounts, namespaces, modules, BPF, io_uring, ...)
  with EPERM, and kills a process that calls through a foreign architecture's
  entry point;
- read-only: the system's ``/usr`` (with its Python packages masked), the
  Python runtime (its own site-packages masked), the packages students may use
  (``STUDENT_PACKAGES`` and what they need, one read-only bind each, so
  ``mathlib``, SciPy and every other package of the grader's environment are
  absent), a two-line ``/etc/passwd``, and a copy of its own job;
- a /proc of its own, where the entries that show the host (its keys, timers,
  kernel memory, devices: ``MASKED_PROC_FILES``, ``MASKED_PROC_FOLDERS``) are
  refused or empty;
- writable: a fresh, size-limited tmpfs for ``/tmp`` and for ``HOME`` (so
  IPython's and Jupyter's folders are new every time), and a small one for
  ``/dev/shm``, and nothing else (the rest of bubblewrap's ``/dev``, whose
  tmpfs has no size limit, is read-only: its devices still work);
- not at all: the checkout, the masters, the bundles, the grader's code, the
  submissions folder, ``_build``, the grader's ``HOME``, other processes.

What it does not stop: the Python runtime is at its host path inside too (its
libraries are found there), so ``sys.executable`` shows where it is installed;
run as an ordinary user, ``/proc/self/mountinfo`` names the host paths of the
student packages bound in (hence where the checkout is), never their
neighbours' contents; the kernel's own attack surface that the filter leaves
open (every other call); reading the machine's CPU, memory and kernel version;
using its CPU and memory up to the limits; and timing side channels.

How: the options (and the passwd, group and job files copied in) reach bubblewrap
through descriptors, so no host path is on a command line. Run as root, the
child that becomes bubblewrap first joins the cgroup, sets the limits and, in a
mount namespace of its own, shows the runtime's and the packages' folders as
read-only overlays on a tmpfs over ``VIEW`` (``_private_view``), where the
unprivileged bubblewrap can reach them (a Python under ``/root`` cannot be
reached otherwise) and mountinfo names no host path; then it changes to the
sandbox's host uid and gid, and joins a new session keyring.

Limits (``Limits``): address space per process, CPU time per process, file
size, processes (the kernel's, counted in the sandbox's user namespace, see
``PROCESS_LIMIT``), wall-clock time and captured output. Run as root, where the
cgroup (v1) memory and cpu controllers are writable, the memory of the whole
sandbox (its files in tmpfs included) and its CPU share are capped by a cgroup
made for each submission too. Without that cgroup, memory is bounded per process
and per file system: each process's address space, and the three tmpfs sizes;
the memory that neither counts (``memfd_create``, System V shared memory) is
refused by the system call filter. When the time is up the grader kills
bubblewrap, whose init (PID 1 of the sandbox, out of the student's reach) takes
every process of the submission with it; so does the grader's own death
(--die-with-parent).
"""

import ctypes
import errno
import importlib.metadata
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement

from . import seccomp
from .compare import MAX_NUMBERS

STUDENT_PACKAGES = ("ipython", "numpy", "matplotlib")  # and everything they require
SANDBOX_UID = 65534        # the student's uid and gid inside the sandbox
# Run as root, the grader gives each sandbox a host uid (and gid) of its own from this range,
# which no system uses (systemd's "unused" range, above its container ranges), so that
# neither the sandbox's user nor its files are root's, and sandboxes share no per-user quota.
HOST_IDS = range(1_900_000_000, 1_900_000_000 + (1 << 16))
SCRATCH_BYTES = 64 << 20   # size of each tmpfs, /tmp and HOME
SHM_BYTES = 1 << 20        # size of /dev/shm's tmpfs (the rest of /dev is read-only)
ANSWERS_BYTES = 4 << 20    # answers read back from one submission, at most
OWN_PROCESSES = 2          # bubblewrap's init and the runner, beyond the student's limit
OPEN_FILES = 256           # descriptors per process
KEYCTL_JOIN_SESSION_KEYRING = 1  # linux/keyctl.h; with no name: a new, empty, anonymous keyring
CLONE_NEWNS = 0x00020000                     # linux/sched.h
# linux/mount.h
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_PRIVATE = 0x1, 0x2, 0x4, 0x1000, 0x4000, 0x40000
# Run as root: where bubblewrap finds the runtime and the packages, in the private view that
# the child makes before it becomes unprivileged (over the host's /tmp, in its mount namespace
# only: bubblewrap mounts its own /tmp there anyway, and the sandbox gets a /tmp of its own).
VIEW = Path("/tmp")
# /proc entries that show the host (its kernel's memory, timers, keys, devices) hidden in the
# sandbox, as Docker and runc hide them: a file has /dev/null over it (refused: /proc is nodev),
# a folder an empty, read-only tmpfs.
MASKED_PROC_FILES = ("keys", "key-users", "timer_list", "timer_stats", "sched_debug", "slabinfo",
                     "vmallocinfo", "pagetypeinfo", "kcore", "latency_stats", "kpagecount", "kpageflags",
                     "kpagecgroup")
MASKED_PROC_FOLDERS = ("acpi", "asound", "scsi", "driver")
# Paths inside the sandbox (its own tmpfs and binds), not on the grading machine.
HOME = "/home/student"
SITE = "/opt/site-packages"
JOB = "/job.json"
RUNNER = (Path(__file__).parent / "runner.py").read_text()
# Run first in the sandbox, before the runner: the process limit. The kernel counts a user
# namespace's processes against the limit of the process that forks, and its creator's
# processes against the limit its creator had when it made the namespace; bubblewrap makes it
# with no limit, so only the sandbox's own processes count (not an ordinary user's others).
PROCESS_LIMIT = "import resource; resource.setrlimit(resource.RLIMIT_NPROC, ({0}, {0}))\n"
ENVIRONMENT = {  # the whole environment of the student's code
    "PATH": "/usr/bin:/bin", "HOME": HOME, "LANG": "C.UTF-8", "USER": "student",
    "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
    "MPLBACKEND": "agg", "MPLCONFIGDIR": "/tmp/matplotlib", "IPYTHONDIR": f"{HOME}/.ipython",
}


@dataclass(frozen=True)
class Limits:
    """What one submission may use. Sizes in bytes, times in seconds."""
    timeout: float = 120          # wall clock, from start to last answer; also CPU time per process
    memory: int = 1 << 30         # address space per process; and all of it, where cgroups are used
    processes: int = 16           # processes and threads the student's code may have at once
    file_size: int = 16 << 20     # largest file it may write
    output: int = 1 << 20         # printed output kept (the rest is read and dropped)


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot run here; the message says what is missing."""


def student_packages(names=STUDENT_PACKAGES):
    """[(path, name)] of every top-level file and folder of `names` and their requirements.

    Read from the metadata of the environment the grader runs in, so the
    students' packages are exactly the versions of the lock file.
    """
    seen, todo = {}, list(names)
    while todo:
        dist = importlib.metadata.distribution(todo.pop())
        key = dist.metadata["Name"].lower()
        if key in seen:
            continue
        seen[key] = dist
        for text in dist.requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    entries = set()
    for dist in seen.values():
        for file in dist.files or []:
            top = file.parts[0]
            if top not in ("..", "__pycache__"):
                entries.add((Path(dist.locate_file(top)), top))
    return sorted(entries)


def _python():
    """The Python runtime: its prefix, its interpreter and the site-packages to mask."""
    prefix = Path(sys.base_prefix)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    interpreter = prefix / "bin" / version
    if not interpreter.exists():
        interpreter = Path(sys._base_executable)
    return prefix, interpreter, prefix / "lib" / version / "site-packages"


def _set_limits(limits, processes):
    """The child's rlimits (its own and, through it, the sandbox's)."""
    cpu = int(limits.timeout) + 1
    for which, value in ((resource.RLIMIT_AS, limits.memory), (resource.RLIMIT_CPU, cpu),
                         (resource.RLIMIT_FSIZE, limits.file_size), (resource.RLIMIT_CORE, 0),
                         (resource.RLIMIT_NPROC, processes), (resource.RLIMIT_NOFILE, OPEN_FILES)):
        resource.setrlimit(which, (value, value))


_libc = ctypes.CDLL(None, use_errno=True)


def _checked(result, what):
    if result < 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def _join_new_session_keyring(machine):
    """Leave the grader's session keyring (and its keys) for a new, empty one."""
    number = seccomp.REFUSED["keyctl"][seccomp.ARCHITECTURES[machine].column]
    result = _libc.syscall(number, KEYCTL_JOIN_SESSION_KEYRING, None)
    if ctypes.get_errno() != errno.ENOSYS:  # a kernel without keyrings has none to leave
        _checked(result, "cannot join a new session keyring")


def _private_view(folders):
    """In a mount namespace of the child's own (the host's mounts stay as they are): a tmpfs
    over VIEW, with `folders` at VIEW/0, VIEW/1, ..., where an unprivileged bubblewrap can
    reach them wherever they are (a Python under /root, say). Each is a read-only overlay of
    the folder bound at VIEW/.0, VIEW/.1, ... (over an empty folder: overlayfs needs two layers
    when none is writable), so that the sandbox's mountinfo shows the overlay's own paths and
    these neutral layers, not where the folder is on the host."""
    _checked(_libc.unshare(CLONE_NEWNS), "cannot make a mount namespace")
    _checked(_libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "cannot make the mounts private")
    sources = [os.open(folder, os.O_PATH) for folder in folders]  # before VIEW is covered: one may be under it
    _checked(_libc.mount(b"tmpfs", bytes(VIEW), b"tmpfs", MS_NOSUID | MS_NODEV, b"mode=0755,size=64k"),
             "cannot mount a tmpfs")
    empty = VIEW / ".empty"
    empty.mkdir()
    for i, (folder, source) in enumerate(zip(folders, sources)):
        lower, view = VIEW / f".{i}", VIEW / str(i)
        lower.mkdir()
        view.mkdir()
        _checked(_libc.mount(f"/proc/self/fd/{source}".encode(), bytes(lower), None, MS_BIND | MS_REC, None),
                 f"cannot bind {folder}")
        os.close(source)
        _checked(_libc.mount(b"overlay", bytes(view), b"overlay", MS_RDONLY, f"lowerdir={lower}:{empty}".encode()),
                 f"cannot make an overlay of {folder}")


def _enter_sandbox(limits, cgroup, machine, host_id=None, folders=()):
    """In the child, before bubblewrap starts: the cgroup where there is one, the rlimits;
    as root, the view of `folders` and the sandbox's own host uid and gid; a new session keyring."""
    def apply():
        if cgroup is not None:
            cgroup.enter()
        _set_limits(limits, resource.getrlimit(resource.RLIMIT_NPROC)[1])  # see PROCESS_LIMIT
        if host_id is not None:
            _private_view(folders)
            os.setgroups([])
            os.setresgid(host_id, host_id, host_id)
            os.setresuid(host_id, host_id, host_id)
        _join_new_session_keyring(machine)
    return apply


def _free_host_id(start):
    """The first id of HOST_IDS from index `start` on (cyclically) that no process has."""
    in_use = set()
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                in_use.add(entry.stat().st_uid)
            except FileNotFoundError:
                pass
    for offset in range(len(HOST_IDS)):
        candidate = HOST_IDS[(start + offset) % len(HOST_IDS)]
        if candidate not in in_use:
            return candidate
    raise OSError(errno.EAGAIN, "every host uid for sandboxes is in use")


class Cgroup:
    """One cgroup (v1) in each of the memory and cpu hierarchies, for one submission."""

    CONTROLLERS = ("memory", "cpu")
    ROOT = Path("/sys/fs/cgroup")

    @classmethod
    def available(cls):
        return os.geteuid() == 0 and all(cls._base(c) is not None for c in cls.CONTROLLERS)

    @classmethod
    def _base(cls, controller):
        """Our own cgroup's folder in a v1 hierarchy, if it is mounted and writable."""
        try:
            lines = Path("/proc/self/cgroup").read_text().splitlines()
        except OSError:
            return None
        for line in lines:
            _, names, path = line.split(":", 2)
            if controller in names.split(","):
                base = cls.ROOT / controller / path.lstrip("/")
                return base if os.access(base, os.W_OK) else None
        return None

    def __init__(self, name, limits):
        self.paths = {c: self._base(c) / name for c in self.CONTROLLERS}
        for path in self.paths.values():
            path.mkdir()
        self._write("memory", "memory.limit_in_bytes", limits.memory)
        if (self.paths["memory"] / "memory.memsw.limit_in_bytes").exists():
            self._write("memory", "memory.memsw.limit_in_bytes", limits.memory)
        self._write("cpu", "cpu.cfs_period_us", 100_000)
        self._write("cpu", "cpu.cfs_quota_us", 100_000)  # one core

    def _write(self, controller, name, value):
        (self.paths[controller] / name).write_text(str(value))

    def enter(self):
        """Move the calling process (the child about to become bubblewrap) in."""
        for path in self.paths.values():
            (path / "cgroup.procs").write_text(str(os.getpid()))

    def ran_out_of_memory(self):
        try:
            text = (self.paths["memory"] / "memory.oom_control").read_text()
            killed = dict(line.split() for line in text.splitlines()).get("oom_kill", "0")
            return int(killed) > 0 or int((self.paths["memory"] / "memory.failcnt").read_text()) > 0
        except (OSError, ValueError):
            return False

    def remove(self):
        """Kill whatever is left (nothing, normally) and remove the groups."""
        for path in self.paths.values():
            _remove_group(path)

    @classmethod
    def sweep(cls):
        """Remove the groups of earlier batches whose grader died before it could."""
        for controller in cls.CONTROLLERS:
            for path in cls._base(controller).glob("autograde-*-*"):
                owner = path.name.split("-")[1]
                if owner.isdigit() and not Path(f"/proc/{owner}").exists():
                    _remove_group(path)


def _remove_group(path, seconds=5.0):
    deadline = time.monotonic() + seconds
    while True:
        try:
            for pid in (path / "cgroup.procs").read_text().split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            if time.monotonic() > deadline:
                return
            time.sleep(0.02)


class _Descriptors(list):
    """The files one bubblewrap reads once: opened by the grader and passed by number, so that
    the sandbox's unprivileged user need not be able to reach them, nor learn where they are."""

    def file(self, path):
        """`path` open for reading (for --ro-bind-data, which copies it into the sandbox)."""
        return self._keep(os.open(path, os.O_RDONLY))

    def data(self, data):
        """`data` in an anonymous file, to be read from its start."""
        fd = os.memfd_create("sandbox-data")
        self._keep(fd)
        os.write(fd, data)
        os.lseek(fd, 0, os.SEEK_SET)
        return str(fd)

    def _keep(self, fd):
        self.append(fd)
        return str(fd)

    def close(self):
        for fd in self:
            os.close(fd)


class Bubblewrap:
    """Runs the runner on one job in a fresh sandbox."""

    sandboxed = True

    def __init__(self, limits, workdir, packages=None):
        self.limits = limits
        self.workdir = Path(workdir)
        self.packages = student_packages() if packages is None else packages
        self.bwrap = shutil.which("bwrap")
        self.machine = platform.machine()
        self.as_root = os.geteuid() == 0
        prefix, _, _ = _python()
        self.folders = sorted({prefix, *(path.parent for path, _ in self.packages)})  # all it binds from
        self.next_id = os.getpid() * 64  # where this grader looks for a free host uid first (as root)
        self.use_cgroups = Cgroup.available()
        if self.use_cgroups:
            Cgroup.sweep()

    def check(self):
        """Refuse, saying what is missing, where the sandbox cannot run."""
        if platform.system() != "Linux":
            raise SandboxUnavailable(f"the sandbox needs Linux (bubblewrap and namespaces); this is {platform.system()}")
        if self.bwrap is None:
            raise SandboxUnavailable("bubblewrap (the bwrap command) is not installed: on Debian or Ubuntu, "
                                     "apt-get install bubblewrap")
        try:
            seccomp.program(self.machine)
        except ValueError as error:
            raise SandboxUnavailable(str(error)) from None
        probe = self.workdir / "probe.json"
        probe.write_text('{"cells": ["import numpy"], "calls": []}')
        read, write = os.pipe()
        try:
            try:
                process = self._popen(probe, write, None, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            except (OSError, subprocess.SubprocessError) as error:  # SubprocessError: from _enter_sandbox
                raise SandboxUnavailable(f"the grader could not start bubblewrap ({error}): run as root, it must be "
                                         f"allowed to make mount namespaces (with tmpfs and overlayfs mounts) and "
                                         f"change its user, and bubblewrap must not be under {VIEW}") from None
            finally:
                os.close(write)
            _, stderr = process.communicate(timeout=60)
            answer = os.read(read, 4096)
        finally:
            os.close(read)
        if process.returncode != 0 or b'"done"' not in answer:
            raise SandboxUnavailable("bubblewrap could not start a sandbox as an unprivileged user here (are "
                                     "unprivileged user namespaces enabled?): "
                                     + (stderr.decode(errors="replace").strip()[-500:]
                                        or f"exit status {process.returncode}"))

    def options(self, job, fds):
        """bubblewrap's options: what the sandbox is, and what it sees. The runtime, the
        packages, the job and the sandbox's own files come as descriptors, added to `fds`."""
        prefix, _, own_site = _python()
        argv = ["--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent", "--new-session",
                "--cap-drop", "ALL", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
                "--hostname", "sandbox", "--seccomp", fds.data(seccomp.program(self.machine)),
                "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
                "--symlink", "usr/bin", "/bin", "--symlink", "usr/sbin", "/sbin"]
        for masked in sorted(Path("/usr/lib").glob("python3*")) + sorted(Path("/usr/local/lib").glob("python3*")):
            argv += ["--tmpfs", str(masked)]
        argv += ["--dir", "/etc",
                 "--ro-bind-data", fds.data(f"student:x:{SANDBOX_UID}:{SANDBOX_UID}::{HOME}:/bin/false\n".encode()),
                 "/etc/passwd", "--ro-bind-data", fds.data(f"student:x:{SANDBOX_UID}:\n".encode()), "/etc/group"]
        for system_file in ("/etc/ld.so.cache", "/etc/fonts"):  # the libraries' index, matplotlib's fonts
            if Path(system_file).exists():
                argv += ["--ro-bind", system_file, system_file]
        if not str(prefix).startswith("/usr/"):
            argv += ["--ro-bind", self._source(prefix), str(prefix)]
        if own_site.exists():
            argv += ["--tmpfs", str(own_site)]
        argv += ["--tmpfs", SITE]
        for path, name in self.packages:
            argv += ["--ro-bind", self._source(path), f"{SITE}/{name}"]
        argv += ["--remount-ro", SITE, "--ro-bind-data", fds.file(job), JOB,
                 "--size", str(SCRATCH_BYTES), "--tmpfs", "/tmp",
                 "--size", str(SCRATCH_BYTES), "--tmpfs", "/home", "--dir", HOME, "--proc", "/proc"]
        for name in MASKED_PROC_FILES:
            if Path("/proc", name).exists():
                argv += ["--ro-bind", "/dev/null", f"/proc/{name}"]
        for name in MASKED_PROC_FOLDERS:
            if Path("/proc", name).is_dir():
                argv += ["--tmpfs", f"/proc/{name}", "--remount-ro", f"/proc/{name}"]
        # /dev: bubblewrap's (null, zero, full, random, urandom, tty, pts), read-only but for a
        # small /dev/shm of its own (multiprocessing's locks and queues), so that its tmpfs, which
        # has no size of its own, holds no files of the student's.
        return argv + ["--dev", "/dev", "--size", str(SHM_BYTES), "--tmpfs", "/dev/shm", "--remount-ro", "/dev",
                       "--remount-ro", "/", "--chdir", HOME]

    def _source(self, path):
        """Where bubblewrap finds `path`, a file or folder of self.folders: as root, in the
        child's private view of them (see _private_view); otherwise where it is."""
        if not self.as_root:
            return str(path)
        i, folder = next((i, f) for i, f in enumerate(self.folders) if f == path or f in path.parents)
        return str(VIEW / str(i) / path.relative_to(folder))

    def _host_id(self):
        """The sandbox's own host uid and gid where the grader runs as root; None otherwise
        (the sandbox then runs as the grader's own, unprivileged, user)."""
        if not self.as_root:
            return None
        host_id = _free_host_id(self.next_id)
        self.next_id = HOST_IDS.index(host_id) + 1
        return host_id

    def _popen(self, job, answers_fd, cgroup, **kwargs):
        """Start bubblewrap. Its options go through a file descriptor (--args), so that no
        process, inside the sandbox or out, shows the host's paths on its command line;
        bubblewrap's own init is the sandbox's PID 1 and dies with it."""
        fds = _Descriptors()
        _, interpreter, _ = _python()
        try:
            options = fds.data(b"".join(a.encode() + b"\0" for a in self.options(job, fds)))
            code = PROCESS_LIMIT.format(self.limits.processes + OWN_PROCESSES) + RUNNER
            return subprocess.Popen([self.bwrap, "--args", options, "--", str(interpreter), "-I", "-B", "-c", code,
                                     JOB, SITE, str(answers_fd), str(MAX_NUMBERS)],
                                    stdin=subprocess.DEVNULL, env=ENVIRONMENT,
                                    pass_fds=(answers_fd, *fds),
                                    preexec_fn=_enter_sandbox(self.limits, cgroup, self.machine, self._host_id(),
                                                              self.folders),
                                    **kwargs)
        finally:
            fds.close()

    def start(self, job, answers_fd, name):
        """Start one submission; returns (process, cgroup or None). Its cgroup is named after `name` and the
        grader's process, so that two graders at once never share one, and ``Cgroup.sweep`` finds it if this
        grader dies before it can remove it."""
        cgroup = Cgroup(f"autograde-{os.getpid()}-{name}", self.limits) if self.use_cgroups else None
        try:
            process = self._popen(job, answers_fd, cgroup, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        except BaseException:
            if cgroup is not None:
                cgroup.remove()
            raise
        return process, cgroup


class Unsandboxed:
    """For notebooks the instructor trusts: the same runner and limits, with no isolation at all."""

    sandboxed = False

    def __init__(self, limits, workdir, packages=None):
        self.limits = limits
        self.workdir = Path(workdir)
        self.site = self.workdir / "site-packages"
        self.site.mkdir()
        for path, name in (student_packages() if packages is None else packages):
            (self.site / name).symlink_to(path)

    def check(self):
        pass

    def start(self, job, answers_fd, name):
        _, interpreter, _ = _python()
        home = self.workdir / name
        home.mkdir()
        env = {**ENVIRONMENT, "HOME": str(home), "MPLCONFIGDIR": str(home / ".matplotlib"),
               "IPYTHONDIR": str(home / ".ipython")}
        process = subprocess.Popen([str(interpreter), "-I", "-B", "-c", RUNNER, str(job), str(self.site),
                                    str(answers_fd), str(MAX_NUMBERS)], cwd=home, env=env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, pass_fds=(answers_fd,),
                                   start_new_session=True,
                                   preexec_fn=lambda: _set_limits(self.limits, self.limits.processes + OWN_PROCESSES))
        return process, None
