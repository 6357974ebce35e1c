"""One way to show progress: a rich bar on a terminal, plain periodic lines elsewhere (CI, logs)."""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from codemill.common.console import console


class _PlainProgress:
    """Prints `label: done/total  note` at most every `interval` seconds and once at the end."""

    def __init__(self, label: str, total: float | None, interval: float = 10.0):
        self.label, self.total, self.interval = label, total, interval
        self.done = 0.0
        self.text = ""
        self._last = time.monotonic()

    def note(self, text: str) -> None:
        self.text = text

    def advance(self, amount: float = 1) -> None:
        self.done += amount
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            self._print()

    def _print(self) -> None:
        total = f"/{self.total:g}" if self.total else ""
        note = f"  {self.text}" if self.text else ""
        print(f"{self.label}: {self.done:g}{total}{note}", file=console.file, flush=True)

    def close(self) -> None:
        self._print()


class _Silent:
    def advance(self, amount: float = 1) -> None:
        pass

    def note(self, text: str) -> None:
        pass


class _RichProgress:
    def __init__(self, progress: Progress, task_id):
        self._progress, self._task = progress, task_id

    def advance(self, amount: float = 1) -> None:
        self._progress.advance(self._task, amount)

    def note(self, text: str) -> None:
        self._progress.update(self._task, note=text)


@contextmanager
def progress(label: str, total: float | None = None, enabled: bool = True) -> Iterator:
    """Yield an object with `.advance(n)` and `.note(text)` (figures shown beside the count); a live bar
    when the console is a terminal, plain lines otherwise."""
    if not enabled:
        yield _Silent()
        return
    if not console.file.isatty():
        bar = _PlainProgress(label, total)
        try:
            yield bar
        finally:
            bar.close()
        return
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
               TextColumn("{task.fields[note]}")]
    with Progress(*columns, transient=False, console=console) as live:
        yield _RichProgress(live, live.add_task(label, total=total, note=""))
