"""datatrove's local executor, with its worker processes' console output sent to the stage's log.

With `workers > 1` datatrove runs tasks in forkserver children whose stderr is the terminal the forkserver
started on, whatever the parent redirected since; the first of them prints every banner and stats table
there. Each child points its own stdout/stderr at the log the parent was writing to (`library_logs`)."""

from __future__ import annotations

import os
import sys

from datatrove.executor.local import LocalPipelineExecutor


class LocalExecutor(LocalPipelineExecutor):
    """`console_log`: where the worker processes write (the stage log); None leaves them on the terminal."""

    def __init__(self, *args, console_log: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.console_log = console_log

    def _launch_run_for_rank(self, rank: int, ranks_q, completed=None, completed_lock=None):
        if self.workers > 1 and self.console_log:
            _write_to(self.console_log)
        return super()._launch_run_for_rank(rank, ranks_q, completed, completed_lock)


def _write_to(path: str) -> None:
    """Point this process's fds 1 and 2 (and the loguru sinks on them) at `path`."""
    log = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
