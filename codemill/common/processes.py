"""Child processes die with their parent, and SIGTERM stops a command as cleanly as Ctrl-C.

A `kill -9` of a command gives it no chance to stop its workers, so every process we fork asks the
kernel to kill it when its parent goes (`PR_SET_PDEATHSIG`); this covers multiprocessing pools, the
datatrove executor's manager and forkserver, and the sandbox. Children leave SIGINT to the parent, which
stops them itself. SIGTERM (sent by `timeout`, systemd, Slurm) raises `Terminated`, a KeyboardInterrupt,
so every "interrupted: rerun to resume" path handles both signals the same way.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Iterator

_PR_SET_PDEATHSIG = 1
_guarded = False
_forked_by_main_thread = True


class Terminated(KeyboardInterrupt):
    """Raised in the main thread when the process receives SIGTERM."""


def _set_parent_death_signal() -> bool:
    """Ask the kernel to SIGKILL this process when the thread that forked it ends; False where unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int) -> None:
    """Fallback for children forked from a helper thread: exit once the parent process is gone."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def die_with_parent(parent: int | None = None) -> None:
    """Run in a child: die with the parent process, and let the parent handle Ctrl-C and SIGTERM."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    parent = parent or os.getppid()
    if _forked_by_main_thread and _set_parent_death_signal():
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(1)
        return
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="codemill-parent-watch").start()


def _before_fork() -> None:
    global _forked_by_main_thread
    _forked_by_main_thread = threading.current_thread() is threading.main_thread()


def _after_fork_in_child() -> None:
    die_with_parent(os.getppid())


_deferring = 0  # > 0 while starting workers: a signal then would leave a half-started child behind
_pending: int | None = None


def _on_signal(signum, frame) -> None:
    global _pending
    if _deferring:
        _pending = signum
        return
    raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM until the block ends (used while a worker process is being started)."""
    global _deferring, _pending
    _deferring += 1
    try:
        yield
    finally:
        _deferring -= 1
    if not _deferring and _pending is not None:
        signum, _pending = _pending, None
        _on_signal(signum, None)


def _preload_in_forkservers() -> None:
    """A forkserver is a fresh interpreter: make it import this module so that its forks are guarded too."""
    for name in ("multiprocessing", "multiprocess"):
        module = sys.modules.get(name)
        if module is None:
            try:
                module = __import__(name)
            except ImportError:
                continue
        try:
            context = module.get_context("forkserver")
        except ValueError:
            continue
        context.set_forkserver_preload(["__main__", "codemill.common.forkserver_guard"])


def guard_forks() -> None:
    """Every later fork of this process dies with it (once per process)."""
    global _guarded
    if not _guarded:
        _guarded = True
        os.register_at_fork(before=_before_fork, after_in_child=_after_fork_in_child)


def guard_processes() -> None:
    """What every command installs first: guarded forks and forkservers; SIGTERM raises Terminated."""
    guard_forks()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_signal)
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, _on_signal)
    _preload_in_forkservers()


class _Pool(ProcessPoolExecutor):
    """Submitting may start a worker: Ctrl-C and SIGTERM wait until it is registered, so it can be stopped."""

    def submit(self, *args, **kwargs):
        with signals_deferred():
            return super().submit(*args, **kwargs)


@contextlib.contextmanager
def process_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A spawn-based process pool whose workers die with us and are killed, not awaited, on any error."""
    parent = os.getpid()
    pool = _Pool(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                 initializer=die_with_parent, initargs=(parent,))
    try:
        yield pool
    except BaseException:
        stop_pool(pool)
        raise
    pool.shutdown(wait=True)


def stop_children() -> None:
    """Kill the multiprocessing children still running (a manager, a pool) so that exit does not wait on them."""
    for name in ("multiprocessing", "multiprocess"):
        module = sys.modules.get(name)
        for child in module.active_children() if module else []:
            with contextlib.suppress(Exception):
                child.kill()


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and kill the running workers at once (they resume on the next run)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(Exception):
            process.kill()
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(timeout=5)


