"""The folder lock: one writer per folder, stale owners taken over by name, nested folders refused."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from codemill.common.lock import LOCK_NAME, FolderBusy, OutputPathError, folder_lock, process_start_time
from tests.faults.procs import REPO, codemill

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux-only")

HOLDER = textwrap.dedent("""
    import os, sys, time
    from codemill.common.lock import folder_lock
    with folder_lock(sys.argv[1]):
        if len(sys.argv) > 2 and os.fork() == 0:  # a leftover child that keeps every inherited fd open
            os.setsid()
            time.sleep(60)
            os._exit(0)
        print("locked", flush=True)
        time.sleep(60)
""")


def _hold(folder, leave_child: bool = False) -> subprocess.Popen:
    args = [sys.executable, "-c", HOLDER, str(folder)] + (["child"] if leave_child else [])
    process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert process.stdout.readline().strip() == "locked"
    return process


def test_a_second_command_on_a_busy_folder_is_refused_naming_the_owner(tmp_path):
    holder = _hold(tmp_path / "out")
    try:
        with pytest.raises(FolderBusy, match=rf"pid {holder.pid} .*wait for it to finish"):
            with folder_lock(tmp_path / "out"):
                pass
        done = codemill(["extract", "pdf", str(REPO / "samples/pdfs"), "-o", str(tmp_path / "out")], tmp_path)
        assert done.returncode == 2 and "Traceback" not in done.stderr
        assert f"pid {holder.pid}" in done.stderr and not list((tmp_path / "out").glob("*.md"))
    finally:
        holder.kill()
        holder.wait()


def test_the_lock_of_a_killed_owner_is_taken_over_even_with_a_leftover_child(tmp_path, capsys):
    holder = _hold(tmp_path / "out", leave_child=True)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    marker = f"{tmp_path / 'out'}\0child".encode()
    leftover = [int(pid) for pid in os.listdir("/proc") if pid.isdigit() and marker in _cmdline(int(pid))]
    assert leftover  # the child lives on, holding the lock file open
    try:
        with folder_lock(tmp_path / "out"):
            message = capsys.readouterr().err
            assert f"taking over the lock of pid {holder.pid}" in message and "no longer running" in message
    finally:
        for pid in leftover:
            os.kill(pid, signal.SIGKILL)


def _cmdline(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read()
    except OSError:
        return b""


def test_a_folder_inside_a_locked_folder_is_refused_and_so_is_the_reverse(tmp_path):
    holder = _hold(tmp_path / "run")
    try:
        with pytest.raises(FolderBusy, match="enclosing folder"):
            with folder_lock(tmp_path / "run" / "extract" / "book"):
                pass
    finally:
        holder.kill()
        holder.wait()
    inner = _hold(tmp_path / "run" / "eval" / "base")
    try:
        with pytest.raises(FolderBusy, match="folder inside it"):
            with folder_lock(tmp_path / "run"):
                pass
    finally:
        inner.kill()
        inner.wait()


def test_the_lock_is_reentrant_in_one_process_and_free_afterwards(tmp_path):
    with folder_lock(tmp_path / "run"):
        with folder_lock(tmp_path / "run" / "dataset"):
            with folder_lock(tmp_path / "run"):
                assert (tmp_path / "run" / LOCK_NAME).read_text()
    assert (tmp_path / "run" / LOCK_NAME).read_text() == ""  # a clean exit leaves no owner behind
    with folder_lock(tmp_path / "run"):
        pass


def test_a_reused_pid_is_not_taken_for_the_owner(tmp_path, capsys):
    folder = tmp_path / "out"
    folder.mkdir()
    start = process_start_time(os.getppid())
    (folder / LOCK_NAME).write_text(f'{{"pid": {os.getppid()}, "start_time": {start + 1}, "command": "codemill run x"}}')
    with folder_lock(folder):
        assert f"taking over the lock of pid {os.getppid()} (codemill run x)" in capsys.readouterr().err


@pytest.mark.parametrize("make", ["file", "under_file"])
def test_an_output_path_that_is_or_lies_under_a_file_is_one_clear_error(tmp_path, make):
    (tmp_path / "notes.txt").write_text("x")
    target = tmp_path / "notes.txt" if make == "file" else tmp_path / "notes.txt" / "out"
    with pytest.raises(OutputPathError, match="notes.txt"):
        with folder_lock(target):
            pass
