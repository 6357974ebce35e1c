"""One writer per output folder: every command that writes a folder holds `<folder>/.codemill.lock`.

The lock is a POSIX record lock (`fcntl.lockf`): the kernel drops it when its owner dies, and unlike
`flock` a forked child never inherits it, so a leftover worker cannot keep a folder locked. (The owner
must never open and close the lock file again: that would drop its lock, so it reads through its fd.) The file
records the owner (pid, its start time from /proc, the command line) so that a refusal says who
holds the folder and a takeover names the owner that is gone. A folder inside a locked folder (an
`extract -o runs/x/extract/y` during `codemill run` of runs/x) is refused too, and so is the reverse.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import struct
import sys
import time
from pathlib import Path
from typing import Iterator

from codemill.common.console import console

LOCK_NAME = ".codemill.lock"
_SCAN_DEPTH = 3  # how deep below a folder to look for a busy lock (run folder -> eval/base/<benchmark>)
_held: dict[Path, int] = {}  # folders locked by this process -> the lock file descriptor


class FolderBusy(Exception):
    """Another live codemill command writes this folder (or one inside or around it)."""


class OutputPathError(Exception):
    """The output path cannot be a folder (it is a file, lies under a file, or cannot be created)."""


def process_start_time(pid: int) -> int | None:
    """The start time of `pid` in clock ticks since boot (field 22 of /proc/PID/stat); None if not running."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[19])


def _alive(owner: dict) -> bool:
    """The recorded owner still runs: same pid AND same start time (a reused pid is another process)."""
    pid, started = owner.get("pid"), owner.get("start_time")
    if not isinstance(pid, int):
        return False
    now = process_start_time(pid)
    if now is None:
        return pid_exists(pid) and started is None
    return started is None or now == started


def pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def describe(owner: dict) -> str:
    """`pid 123 (codemill run x.yaml, since 12:00:01)` from a lock file's record."""
    command = owner.get("command") or "a codemill command"
    since = owner.get("started")
    return f"pid {owner.get('pid', '?')} ({command}{f', since {since}' if since else ''})"


def check_output_folder(folder: Path, option: str = "-o") -> None:
    """Raise OutputPathError when `folder` is a file, lies under a file, or cannot be created."""
    if folder.exists() and not folder.is_dir():
        raise OutputPathError(f"{option} {folder}: is a file, not a folder; give a folder path (it is created if needed)")
    for parent in folder.parents:
        if parent.exists():
            if not parent.is_dir():
                raise OutputPathError(f"{option} {folder}: {parent} is a file, so no folder can be made under it; "
                                      "choose another output folder")
            break
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputPathError(f"{option} {folder}: cannot create the folder ({error.strerror or error}); "
                              "choose a folder you can write to") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputPathError(f"{option} {folder}: the folder is not writable; choose one you can write to")


def _read_owner(fd: int) -> dict:
    """The owner record, read through `fd`: opening and closing the file again would drop our lock."""
    try:
        data = json.loads(os.pread(fd, 4096, 0).decode("utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _holder_pid(fd: int) -> int | None:
    """The pid the kernel says holds a write lock on the file (F_GETLK), or None when it is free."""
    request = struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 0, 0)
    try:
        answer = fcntl.fcntl(fd, fcntl.F_GETLK, request)
    except OSError:
        return None
    kind, _, _, _, pid = struct.unpack("hhqqi", answer)
    return pid if kind != fcntl.F_UNLCK else None


def _busy(folder: Path, owner: dict, holder: int | None, where: str) -> FolderBusy:
    who = describe(owner) if owner and _alive(owner) else f"pid {holder}" if holder else "another process"
    return FolderBusy(f"{folder}: {where} is being written by another codemill command, {who}; "
                      "wait for it to finish (or stop it), then rerun")


def _probe(lock_file: Path) -> tuple[dict, int | None] | None:
    """(owner, holder pid) when `lock_file` is locked by another process, None when free or absent."""
    if lock_file.parent.resolve() in _held:
        return None
    try:
        fd = os.open(lock_file, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        holder = _holder_pid(fd)
        return (_read_owner(fd), holder) if holder is not None and holder != os.getpid() else None
    finally:
        os.close(fd)


def _check_around(folder: Path) -> None:
    """Refuse when a folder around this one, or one inside it, is locked by a live command."""
    for parent in folder.parents:
        found = _probe(parent / LOCK_NAME)
        if found:
            raise _busy(folder, *found, where=f"the enclosing folder {parent}")
    base_depth = len(folder.parts)
    for root, dirs, files in os.walk(folder):
        if len(Path(root).parts) - base_depth >= _SCAN_DEPTH:
            dirs.clear()
        if LOCK_NAME in files and Path(root) != folder:
            found = _probe(Path(root) / LOCK_NAME)
            if found:
                raise _busy(folder, *found, where=f"the folder inside it {root}")


def _owner_record() -> dict:
    return {"pid": os.getpid(), "start_time": process_start_time(os.getpid()),
            "command": " ".join(["codemill", *sys.argv[1:]])[:300],
            "started": time.strftime("%Y-%m-%d %H:%M:%S")}


@contextlib.contextmanager
def folder_lock(folder: str | os.PathLike, option: str = "-o") -> Iterator[Path]:
    """Hold `folder`'s lock while the block runs (re-entrant within one process); yields the folder."""
    folder = Path(folder)
    check_output_folder(folder, option)
    key = folder.resolve()
    if key in _held:
        yield folder
        return
    lock_file = folder / LOCK_NAME
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EACCES, errno.EAGAIN):
                raise
            raise _busy(folder, _read_owner(fd), _holder_pid(fd), where="this folder") from None
        previous = _read_owner(fd)
        if previous.get("pid") not in (None, os.getpid()):
            console.print(f"{folder}: taking over the lock of {describe(previous)}, which is no longer running",
                          markup=False, highlight=False, soft_wrap=True)
        _held[key] = fd
        try:
            _check_around(folder)
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(_owner_record()).encode() + b"\n", 0)
            yield folder
        finally:
            del _held[key]
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing releases the lock
