"""One way to show progress: a rich bar on a terminal, plain periodic lines elsewhere (CI, logs)."""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from codemill.common.console import console


class _PlainProgress:
    """Prints `label: done/total  eta  note` now and then (after 10 s, the gaps doubling up to a minute) and
    once at the end, so a notebook cell or CI log gets a handful of lines per stage, not hundreds."""

    def __init__(self, label: str, total: float | None, first: float = 10.0, longest: float = 60.0):
        self.label, self.total, self.longest = label, total, longest
        self.done = 0.0
        self.text = ""
        self._started = time.monotonic()
        self._next, self._gap = self._started + first, first

    def note(self, text: str) -> None:
        self.text = text

    def advance(self, amount: float = 1) -> None:
        self.done += amount
        now = time.monotonic()
        if now >= self._next:
            self._gap = min(2 * self._gap, self.longest)
            self._next = now + self._gap
            self._print(now)

    def _print(self, now: float, final: bool = False) -> None:
        total = f"/{_figure(self.total)}" if self.total else ""
        eta = ""
        if self.total and 0 < self.done < self.total and not final:
            eta = f"  eta {_duration((now - self._started) * (self.total - self.done) / self.done)}"
        note = f"  {self.text}" if self.text else ""
        print(f"{self.label}: {_figure(self.done)}{total}{eta}{note}", file=console.file, flush=True)

    def close(self) -> None:
        self._print(time.monotonic(), final=True)


def _figure(value: float) -> str:
    """Counts as integers, amounts (MiB) with two decimals below 10 and one above."""
    if float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:,.1f}"


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes // 60}h{minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m{secs:02d}s"


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
