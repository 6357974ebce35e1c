"""Give the `unshare` backend the file-system view bubblewrap gives: a private root, then exec the worker.

Run as (namespace) root inside fresh mount and pid namespaces: `python -I rootfs.py SPEC_JSON -- CMD...`.
It mounts a tmpfs as the new root holding read-only binds of the system folders and the interpreter's
prefix, a fresh /proc, a minimal /dev, size-capped private tmpfs folders (/tmp, /dev/shm, /var/tmp) and
/dev/null over the shadow files; pivots into it, detaches the host root, and execs CMD. Without real
root (a user namespace) it also drops every capability first. Standard library only; any failure exits
with status 1 and one line on stderr, so the backend is reported unavailable instead of running open.
"""

from __future__ import annotations

import ctypes
import json
import os
import platform
import sys

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
CAP_LAST = 63
PR_CAPBSET_DROP = 24

libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def _c(text: str | None) -> bytes | None:
    return text.encode() if text is not None else None


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(libc.mount(_c(source), _c(target), _c(fstype), ctypes.c_ulong(flags), _c(data)), f"mount {target}")


def _mounts_under(path: str) -> list[tuple[str, int]]:
    """Every mount at or below `path`, parents first, with the nosuid/nodev/noexec flags it already has."""
    kept = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC}
    mounts = {}
    with open("/proc/self/mountinfo", encoding="utf-8") as handle:
        for line in handle:
            fields = line.split()
            point = fields[4].encode().decode("unicode_escape")
            if point == path or point.startswith(path.rstrip("/") + "/"):
                mounts[point] = sum(kept.get(option, 0) for option in fields[5].split(","))
    return sorted(mounts.items(), key=lambda item: len(item[0]))


def _read_only(path: str) -> None:
    """Make the bind at `path` and every mount below it read-only, nosuid and nodev (keeping noexec)."""
    for point, flags in _mounts_under(path):
        mount(None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | flags)


def _bind(root: str, source: str, target: str, read_only: bool = True) -> None:
    inside = root + target
    if os.path.isdir(source):
        os.makedirs(inside, 0o755, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(inside), 0o755, exist_ok=True)
        open(inside, "a").close()
    mount(source, inside, None, MS_BIND | MS_REC)
    if read_only:
        _read_only(inside)


def _tmpfs(target: str, size_mb: int, mode: str, flags: int = MS_NOSUID | MS_NODEV) -> None:
    os.makedirs(target, 0o755, exist_ok=True)
    mount("tmpfs", target, "tmpfs", flags, f"size={size_mb}m,mode={mode}")


def _drop_capabilities() -> None:
    """Empty the bounding, effective, permitted and inheritable sets, so exec regains nothing."""
    for cap in range(CAP_LAST + 1):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() != 22:  # EINVAL: no such cap
            _check(-1, f"drop capability {cap}")
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()
    _check(libc.capset(header, data), "capset")


def build(spec: dict) -> None:
    """Assemble the new root on a tmpfs mounted over spec["mountpoint"] and pivot into it."""
    root = spec["mountpoint"]
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    _tmpfs(root, 16, "0755")
    for source, target in spec["binds"]:
        _bind(root, source, target)
    for link, target in spec["symlinks"].items():
        os.symlink(target, root + link)
    os.makedirs(root + "/proc", 0o555)
    mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _tmpfs(root + "/dev", 1, "0755", MS_NOSUID | MS_NOEXEC)
    for name in DEVICES:
        if os.path.exists(f"/dev/{name}"):
            _bind(root, f"/dev/{name}", f"/dev/{name}", read_only=False)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{root}/dev/{name}")
    for folder in spec["private_dirs"]:
        _tmpfs(root + folder, spec["scratch_mb"], "1777", MS_NOSUID | MS_NODEV)
    mount(None, root + "/dev", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC)
    for secret in spec["masked"]:
        if os.path.exists(root + secret):
            mount("/dev/null", root + secret, None, MS_BIND)
            _read_only(root + secret)
    os.makedirs(root + "/.old-root")
    _check(libc.syscall(PIVOT_ROOT[platform.machine()], root.encode(), (root + "/.old-root").encode()), "pivot_root")
    os.chdir("/")
    _check(libc.umount2(b"/.old-root", MNT_DETACH), "detach the host root")
    os.rmdir("/.old-root")
    mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def main(argv: list[str]) -> None:
    spec = json.loads(argv[1])
    command = argv[argv.index("--") + 1:]
    try:
        if platform.machine() not in PIVOT_ROOT:
            raise OSError(f"no pivot_root syscall number for {platform.machine()}")
        build(spec)
        if not spec["real_root"]:
            _drop_capabilities()
        os.chdir(spec["chdir"])
        os.execv(command[0], command)
    except OSError as error:
        print(f"private root: {error}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv)
