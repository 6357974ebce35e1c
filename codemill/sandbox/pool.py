"""A persistent pool of sandboxed fork-server workers that execute programs in parallel.

Each worker is a long-lived interpreter inside the isolation layer; for every program it forks a
child, so a sample costs a fork instead of a new interpreter and a new namespace.
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import shutil
import subprocess
import threading
from dataclasses import dataclass
from typing import Iterable, Iterator

from codemill.sandbox.isolation import Isolation, detect, worker_command
from codemill.recipe.eval import SandboxConfig

_DEFAULTS = SandboxConfig()  # the recipe's `eval.sandbox` defaults


@dataclass(frozen=True)
class Limits:
    """Per-sample resource limits; `wall_s` is usually set per task by the timeout calibration."""

    wall_s: float = 10.0
    memory_mb: int = _DEFAULTS.memory_mb
    max_processes: int = _DEFAULTS.max_processes
    file_mb: int = 16
    output_bytes: int = _DEFAULTS.output_bytes
    scratch_mb: int = 256

    def for_request(self, wall_s: float | None) -> dict:
        wall = float(wall_s if wall_s is not None else self.wall_s)
        return {"wall_s": wall, "cpu_s": wall, "memory_mb": self.memory_mb, "max_processes": self.max_processes,
                "file_mb": self.file_mb, "output_bytes": self.output_bytes}


@dataclass(frozen=True)
class Job:
    key: str
    program: str
    wall_s: float | None = None


@dataclass(frozen=True)
class Outcome:
    key: str
    status: str  # pass | fail | timeout | error
    error: str
    runtime_s: float
    output: str


class _Worker:
    """One sandboxed fork-server process and the pipe pair to talk to it."""

    def __init__(self, isolation: Isolation, index: int, limits: Limits):
        self.isolation, self.index, self.limits = isolation, index, limits
        self.process: subprocess.Popen | None = None
        self.scratch: str | None = None
        self.restarts = 0
        self.start()

    def start(self) -> None:
        command, self.scratch = worker_command(self.isolation, self.index, self.limits.scratch_mb)
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}, text=True, bufsize=1,
                                        start_new_session=True)
        hello = self.process.stdout.readline()
        if not hello.startswith("{"):
            self.stop()
            raise RuntimeError(f"sandbox worker {self.index} did not start (command: {' '.join(command[:3])} ...)")

    def run(self, job: Job, request_id: int) -> Outcome:
        request = {"id": request_id, "program": job.program, "nonce": secrets.token_hex(16),
                   "limits": self.limits.for_request(job.wall_s), "seccomp": self.isolation.seccomp_hex}
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
            answer = self.process.stdout.readline()
            data = json.loads(answer)
        except (OSError, ValueError) as error:
            self.restart()
            return Outcome(job.key, "error", f"sandbox worker failed: {error!r}", 0.0, "")
        return Outcome(job.key, data["status"], data["error"], data["runtime_s"], data["output"])

    def restart(self) -> None:
        self.restarts += 1
        self.stop()
        self.start()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                self.process.stdin.close()
                self.process.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)


class SandboxPool:
    """`with SandboxPool(workers) as pool: for outcome in pool.map(jobs): ...` (results as they finish)."""

    def __init__(self, workers: int | None = None, limits: Limits = Limits(), isolation: Isolation | None = None):
        self.size = max(1, workers or os.cpu_count() or 1)
        self.limits = limits
        self.isolation = isolation or detect()
        self._workers: list[_Worker] = []

    def __enter__(self) -> "SandboxPool":
        self._workers = [_Worker(self.isolation, index, self.limits) for index in range(self.size)]
        return self

    def __exit__(self, *_exc) -> None:
        for worker in self._workers:
            worker.stop()

    @property
    def restarts(self) -> int:
        """How many times a worker had to be restarted (it died, e.g. killed by a sample)."""
        return sum(worker.restarts for worker in self._workers)

    def map(self, jobs: Iterable[Job]) -> Iterator[Outcome]:
        todo: queue.Queue = queue.Queue()
        count = 0
        for count, job in enumerate(jobs, start=1):
            todo.put((count, job))
        done: queue.Queue = queue.Queue()
        threads = [threading.Thread(target=self._drain, args=(worker, todo, done), daemon=True)
                   for worker in self._workers]
        for thread in threads:
            thread.start()
        for _ in range(count):
            yield done.get()
        for thread in threads:
            thread.join()

    @staticmethod
    def _drain(worker: _Worker, todo: queue.Queue, done: queue.Queue) -> None:
        while True:
            try:
                request_id, job = todo.get_nowait()
            except queue.Empty:
                return
            try:
                done.put(worker.run(job, request_id))
            except Exception as error:  # never lose a job: report it as an error of that sample
                done.put(Outcome(job.key, "error", f"sandbox fault: {error!r}", 0.0, ""))
