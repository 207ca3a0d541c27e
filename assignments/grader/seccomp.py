"""The sandbox's system call filter: a classic BPF program for bubblewrap's ``--seccomp FD``.

The kernel runs the program on every system call the sandbox makes, with a
``struct seccomp_data`` (``nr`` at byte 0, ``arch`` at 4, ``args[0]`` at 16) as
its input. The program:

1. kills the process if the call comes in through another architecture's
   entry point (32-bit x86 on x86-64, say), whose numbers mean other calls;
   on x86-64 also the x32 entry point (numbers with bit 30 set);
2. refuses every call of ``REFUSED`` with EPERM, and ``personality`` unless it
   asks for the default (``PER_LINUX``) or only queries the current one;
3. refuses ``socket`` and ``socketpair`` with EAFNOSUPPORT unless the address family
   is one of ``SOCKET_FAMILIES`` (local sockets and IP, which the sandbox's own network
   namespace confines). The other families are not confined by a network namespace
   (``AF_VSOCK`` reaches the host of a virtual machine) or are attack surface
   (``AF_ALG``, ``AF_PACKET``, ``AF_NETLINK``...);
4. allows everything else.

A notebook never needs a refused call: they reach the kernel's keyrings, other
processes' memory, modules, mounts and namespaces, are the kernel's largest
attack surface (BPF, io_uring, perf, userfaultfd), or hold memory that neither
a tmpfs's size nor the address space limit counts (``memfd_create``, System V
shared memory), which only a cgroup would otherwise bound. Only x86-64 and aarch64 are
known; ``program`` refuses any other architecture.
"""

import errno
import struct
from dataclasses import dataclass

# Classic BPF opcodes (linux/bpf_common.h): a 32-bit load, a jump if equal / greater or
# equal to a constant, a return of a constant.
LOAD_WORD = 0x20        # BPF_LD | BPF_W | BPF_ABS
JUMP_IF_EQUAL = 0x15    # BPF_JMP | BPF_JEQ | BPF_K
JUMP_IF_AT_LEAST = 0x35  # BPF_JMP | BPF_JGE | BPF_K
RETURN = 0x06           # BPF_RET | BPF_K
# Byte offsets in struct seccomp_data (args[0]'s low half: both architectures are little-endian).
NR, ARCH, ARG0 = 0, 4, 16
# What the program returns (linux/seccomp.h).
ALLOW = 0x7FFF0000
KILL_PROCESS = 0x80000000
REFUSE = 0x00050000 | errno.EPERM   # SECCOMP_RET_ERRNO with EPERM
X32_BIT = 0x40000000    # x86-64's x32 entry point: call numbers with this bit set
PER_LINUX, PERSONALITY_QUERY = 0, 0xFFFFFFFF


@dataclass(frozen=True)
class Architecture:
    audit: int        # AUDIT_ARCH_* (linux/audit.h): seccomp_data.arch on this entry point
    column: int       # its column in REFUSED
    x32: bool = False


ARCHITECTURES = {  # platform.machine() -> the architecture
    "x86_64": Architecture(audit=0xC000003E, column=0, x32=True),
    "aarch64": Architecture(audit=0xC00000B7, column=1),
}
PERSONALITY = (135, 92)  # personality(2): (x86-64, aarch64)
SOCKET_CALLS = {"socket": (41, 198), "socketpair": (53, 199)}  # the family is their first argument
SOCKET_FAMILIES = {"AF_UNIX": 1, "AF_INET": 2, "AF_INET6": 10}  # linux/socket.h
REFUSE_FAMILY = 0x00050000 | errno.EAFNOSUPPORT

# The refused calls: name -> (x86-64, aarch64) number (asm/unistd_64.h, asm-generic/unistd.h);
# None where the architecture has no such call.
REFUSED = {
    # the kernel's keyrings: the grader's keys, and keys left behind for later batches
    "add_key": (248, 217), "request_key": (249, 218), "keyctl": (250, 219),
    # other processes' memory
    "ptrace": (101, 117), "process_vm_readv": (310, 270), "process_vm_writev": (311, 271),
    "kcmp": (312, 272),
    # mounts, file handles and namespaces
    "mount": (165, 40), "umount2": (166, 39), "pivot_root": (155, 41), "chroot": (161, 51),
    "open_tree": (428, 428), "move_mount": (429, 429), "fsopen": (430, 430), "fsconfig": (431, 431),
    "fsmount": (432, 432), "fspick": (433, 433), "mount_setattr": (442, 442),
    "open_by_handle_at": (304, 265), "unshare": (272, 97), "setns": (308, 268),
    # the kernel itself: modules, kexec, swap, reboot, accounting, quotas, its log, I/O ports
    "init_module": (175, 105), "finit_module": (313, 273), "delete_module": (176, 106),
    "kexec_load": (246, 104), "kexec_file_load": (320, 294), "swapon": (167, 224), "swapoff": (168, 225),
    "reboot": (169, 142), "acct": (163, 89), "quotactl": (179, 60), "quotactl_fd": (443, 443),
    "syslog": (103, 116), "lookup_dcookie": (212, 18), "vhangup": (153, 58), "uselib": (134, None),
    "iopl": (172, None), "ioperm": (173, None),
    # large attack surfaces a notebook has no use for
    "bpf": (321, 280), "perf_event_open": (298, 241), "userfaultfd": (323, 282),
    "io_uring_setup": (425, 425), "io_uring_enter": (426, 426), "io_uring_register": (427, 427),
    # memory outside every file system's size and the address space's limit: anonymous files and
    # System V shared memory (both held in shmem; without a cgroup, nothing else would bound them)
    "memfd_create": (319, 279), "memfd_secret": (447, 447), "shmget": (29, 194),
}


def _instruction(code, k, jump_if_true=0, jump_if_false=0):
    """One struct sock_filter: u16 code, u8 jt, u8 jf, u32 k, in the machine's byte order."""
    return struct.pack("=HBBI", code, jump_if_true, jump_if_false, k)


def _refuse_if(number):
    """Two instructions: refuse the call if its number is `number`, else go on."""
    return [_instruction(JUMP_IF_EQUAL, number, 0, 1), _instruction(RETURN, REFUSE)]


def program(machine):
    """The filter for `machine` (a ``platform.machine()`` name), as bytes for ``--seccomp``."""
    if machine not in ARCHITECTURES:
        raise ValueError(f"the sandbox's system call filter knows {' and '.join(ARCHITECTURES)} only, "
                         f"not {machine}")
    arch = ARCHITECTURES[machine]
    code = [_instruction(LOAD_WORD, ARCH), _instruction(JUMP_IF_EQUAL, arch.audit, 1, 0),
            _instruction(RETURN, KILL_PROCESS), _instruction(LOAD_WORD, NR)]
    if arch.x32:
        code += [_instruction(JUMP_IF_AT_LEAST, X32_BIT, 0, 1), _instruction(RETURN, KILL_PROCESS)]
    for numbers in REFUSED.values():
        if numbers[arch.column] is not None:
            code += _refuse_if(numbers[arch.column])
    # socket, socketpair: allowed for the families of SOCKET_FAMILIES; any other is refused.
    families = list(SOCKET_FAMILIES.values())
    for numbers in SOCKET_CALLS.values():
        code += [_instruction(JUMP_IF_EQUAL, numbers[arch.column], 0, len(families) + 3),
                 _instruction(LOAD_WORD, ARG0)]
        code += [_instruction(JUMP_IF_EQUAL, family, len(families) - k, 0) for k, family in enumerate(families)]
        code += [_instruction(RETURN, REFUSE_FAMILY), _instruction(RETURN, ALLOW)]
    # personality: allowed for PER_LINUX and the query; anything else is refused.
    code += [_instruction(JUMP_IF_EQUAL, PERSONALITY[arch.column], 0, 4), _instruction(LOAD_WORD, ARG0),
             _instruction(JUMP_IF_EQUAL, PER_LINUX, 2, 0), _instruction(JUMP_IF_EQUAL, PERSONALITY_QUERY, 1, 0),
             _instruction(RETURN, REFUSE), _instruction(RETURN, ALLOW)]
    return b"".join(code)
