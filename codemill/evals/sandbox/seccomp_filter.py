"""A small seccomp-BPF deny list for sample processes (x86_64 only), built without libseccomp.

The filter returns EPERM for syscalls a benchmark solution never needs and that widen the attack
surface (ptrace, mount, namespaces, kernel modules, keyrings, bpf, io_uring), for SysV IPC objects and
POSIX message queues (they outlive a sample, so one sample could leave data for the next), and for
every socket that is not AF_UNIX. It is an extra layer on top of the namespaces and uid separation, not a replacement.
"""

from __future__ import annotations

import platform
import struct

AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000
RET_ALLOW = 0x7FFF0000
RET_EPERM = 0x00050000 | 1
LD_W_ABS, JEQ_K, JGE_K, RET_K = 0x20, 0x15, 0x35, 0x06
SOCKET_NR, AF_UNIX = 41, 1

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
    numbers = sorted(DENIED_X86_64.values())
    body = [(LD_W_ABS, 4), ("arch",), (LD_W_ABS, 0), ("x32",)] + [("deny_if", nr) for nr in numbers]
    body += [("socket",), (LD_W_ABS, 16), ("unix_ok",), (RET_K, RET_EPERM), (RET_K, RET_ALLOW)]
    deny_at = len(body) + 1  # index of the final EPERM return, appended below
    out = []
    for index, item in enumerate(body):
        to_deny = deny_at - index - 1
        if item[0] == "arch":
            out.append(_op(JEQ_K, AUDIT_ARCH_X86_64, 0, to_deny))
        elif item[0] == "x32":
            out.append(_op(JGE_K, X32_SYSCALL_BIT, to_deny, 0))
        elif item[0] == "deny_if":
            out.append(_op(JEQ_K, item[1], to_deny, 0))
        elif item[0] == "socket":
            out.append(_op(JEQ_K, SOCKET_NR, 0, 3))  # not socket(): skip to the final ALLOW
        elif item[0] == "unix_ok":
            out.append(_op(JEQ_K, AF_UNIX, 1, 0))  # AF_UNIX: jump over the EPERM to ALLOW
        else:
            out.append(_op(*item))
    out.append(_op(RET_K, RET_ALLOW))
    out.append(_op(RET_K, RET_EPERM))
    return b"".join(out)
