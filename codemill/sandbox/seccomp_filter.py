"""A small seccomp-BPF deny list for sample processes (x86_64 only), built without libseccomp.

The filter returns EPERM for syscalls a benchmark solution never needs and that widen the attack
surface (ptrace, mount, namespaces, kernel modules, keyrings, bpf, io_uring), for SysV IPC objects and
POSIX message queues (they outlive a sample, so one sample could leave data for the next), for a
`clone` that asks for new namespaces, and for every socket that is not AF_UNIX; `clone3`, whose flags it
cannot read, returns ENOSYS so that the C library falls back to `clone`. It is an extra layer on top of
the namespaces and uid separation, not a replacement.
"""

from __future__ import annotations

import platform
import struct

AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000
RET_ALLOW = 0x7FFF0000
RET_EPERM = 0x00050000 | 1
RET_ENOSYS = 0x00050000 | 38
LD_W_ABS, JEQ_K, JGE_K, JSET_K, RET_K = 0x20, 0x15, 0x35, 0x45, 0x06
ARCH_AT, NR_AT, ARG0_AT = 4, 0, 16  # offsets in struct seccomp_data (arg0: its low 32 bits)
SOCKET_NR, AF_UNIX = 41, 1
CLONE_NR, CLONE3_NR = 56, 435
CLONE_NEW_NAMESPACES = 0x7E020000  # CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET

DENIED_X86_64 = {
    "shmget": 29, "semget": 64, "msgget": 68, "mq_open": 240,
    "ptrace": 101, "pivot_root": 155, "chroot": 161, "acct": 163, "mount": 165, "umount2": 166,
    "swapon": 167, "swapoff": 168, "reboot": 169, "sethostname": 170, "setdomainname": 171,
    "init_module": 175, "delete_module": 176, "kexec_load": 246, "add_key": 248, "request_key": 249,
    "keyctl": 250, "unshare": 272, "perf_event_open": 298, "name_to_handle_at": 303,
    "open_by_handle_at": 304, "setns": 308, "process_vm_readv": 310, "process_vm_writev": 311,
    "finit_module": 313, "kexec_file_load": 320, "bpf": 321, "userfaultfd": 323,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "open_tree": 428,
    "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
}


def _op(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def build_filter() -> bytes | None:
    """The filter as raw `struct sock_filter` bytes, or None on an architecture it does not cover."""
    if platform.machine() != "x86_64":
        return None
    # (code, k, jump if true, jump if false): a jump is 0 (next instruction) or a label below
    program = [(LD_W_ABS, ARCH_AT, 0, 0), (JEQ_K, AUDIT_ARCH_X86_64, 0, "deny"),
               (LD_W_ABS, NR_AT, 0, 0), (JGE_K, X32_SYSCALL_BIT, "deny", 0)]
    program += [(JEQ_K, number, "deny", 0) for number in sorted(DENIED_X86_64.values())]
    program += [(JEQ_K, CLONE3_NR, 0, "clone"), (RET_K, RET_ENOSYS, 0, 0),
                ("clone",), (JEQ_K, CLONE_NR, 0, "socket"), (LD_W_ABS, ARG0_AT, 0, 0),
                (JSET_K, CLONE_NEW_NAMESPACES, "deny", "allow"),
                ("socket",), (JEQ_K, SOCKET_NR, 0, "allow"), (LD_W_ABS, ARG0_AT, 0, 0),
                (JEQ_K, AF_UNIX, "allow", "deny"),
                ("allow",), (RET_K, RET_ALLOW, 0, 0), ("deny",), (RET_K, RET_EPERM, 0, 0)]
    labels, code = {}, []
    for item in program:
        if len(item) == 1:
            labels[item[0]] = len(code)
        else:
            code.append(item)

    def offset(jump: int | str, at: int) -> int:
        return jump if isinstance(jump, int) else labels[jump] - at - 1

    return b"".join(_op(op, k, offset(jt, at), offset(jf, at)) for at, (op, k, jt, jf) in enumerate(code))
