"""Launch codemill as a user would, tagged, and find every process of ours that is still alive.

Each launch gets a unique value in CODEMILL_FAULT_TAG; every child inherits the environment (fork,
spawn, forkserver, exec), so scanning /proc for the tag finds the whole tree even after its root died.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def launch(args: list[str], cwd: Path, tag: str | None = None) -> tuple[subprocess.Popen, str]:
    tag = tag or uuid.uuid4().hex
    env = dict(os.environ, CODEMILL_FAULT_TAG=tag, PYTHONPATH=str(REPO))
    # output to a file, not a pipe: a leftover child holding the pipe open must not hang the test
    log = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen([sys.executable, "-m", "codemill.cli", *args], cwd=cwd, env=env,
                               stdout=subprocess.DEVNULL, stderr=log, text=True)
    process.log = log
    return process, tag


def codemill(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "codemill.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def ours(tag: str) -> list[int]:
    """Pids of live (not zombie) processes carrying `tag` in their environment."""
    found = []
    needle = f"CODEMILL_FAULT_TAG={tag}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle not in (entry / "environ").read_bytes():
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state not in ("Z", "X"):
            found.append(int(entry.name))
    return found


def wait_until(condition, timeout: float = 60, every: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return False


def left_behind(tag: str, grace: float = 10) -> list[int]:
    """The processes of `tag` still alive after `grace` seconds (killed afterwards, so tests never leak)."""
    wait_until(lambda: not ours(tag), timeout=grace, every=0.1)
    alive = ours(tag)
    for pid in alive:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return alive


def wait_or_kill(process: subprocess.Popen, timeout: float) -> None:
    """Wait for `process` up to `timeout` seconds, then kill it."""
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def stop(process: subprocess.Popen, sig: int) -> tuple[int, str]:
    """Send `sig` to the command, wait for it; (exit code, stderr)."""
    process.send_signal(sig)
    wait_or_kill(process, 60)
    process.log.seek(0)
    err = process.log.read()
    process.log.close()
    return process.returncode, err
