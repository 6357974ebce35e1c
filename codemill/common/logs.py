"""Library chatter goes to a stage's log file; the terminal keeps codemill's own lines.

datatrove (loguru), transformers, trl, accelerate, datasets and bitsandbytes write banners, per-step
stats, warnings and bars to stdout/stderr. While a stage runs, `library_logs(path)` points all of it
(print, logging, warnings, loguru, tqdm) at `path`; codemill's console and progress bars keep writing to
the terminal. `-v` (`verbose=True`) leaves everything on the terminal.
"""

from __future__ import annotations

import logging
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from codemill.common.console import console

verbose = False  # set by `codemill -v`: library output stays on the terminal
_current: Path | None = None  # the log library_logs writes to now


def current_log() -> Path | None:
    """The log library output goes to now (None on the terminal): worker processes started later follow it."""
    return _current


LIBRARIES = ("transformers", "datasets", "accelerate", "trl", "peft", "huggingface_hub", "bitsandbytes", "torch")


def _libraries_propagate() -> None:
    """Some libraries keep a console handler of their own; drop it so their records reach the root logger."""
    for name in LIBRARIES:
        library = logging.getLogger(name)
        for handler in library.handlers[:]:
            if type(handler) is logging.StreamHandler:
                library.removeHandler(handler)
        library.propagate = True


def _reset_loguru(stream, level: str) -> None:
    """datatrove re-adds a loguru sink on whatever sys.stderr was; point it at `stream` from `level` up."""
    loguru = sys.modules.get("loguru")
    if loguru is not None:
        loguru.logger.remove()
        loguru.logger.add(stream, level=level)


@contextmanager
def library_logs(path: Path | None) -> Iterator[None]:
    """Send library output to `path` (appended) for the duration; codemill's console stays on the terminal.

    When the block fails after a library wrote something, the log's path is printed before the error."""
    if verbose or path is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    saved_out, saved_err, saved_file = sys.stdout, sys.stderr, console._file  # None: follows sys.stderr
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    global _current
    with open(path, "a", encoding="utf-8", buffering=1) as log, warnings.catch_warnings():
        written_before, saved_current = log.tell(), _current
        _current = path
        console.file = saved_err  # pinned: the swap below must not take codemill's own lines with it
        handler = logging.StreamHandler(log)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.handlers, root.level = [handler], logging.INFO
        logging.captureWarnings(True)
        warnings.simplefilter("default")
        _libraries_propagate()
        _reset_loguru(log, "INFO")
        sys.stdout = sys.stderr = log
        try:
            yield
        except Exception:
            if log.tell() > written_before:  # the libraries said something: it may explain the failure
                console.print(f"library output of this step: {path}", markup=False, highlight=False, soft_wrap=True)
            raise
        finally:
            _current = saved_current
            sys.stdout, sys.stderr = saved_out, saved_err
            _libraries_propagate()
            _reset_loguru(saved_err, "WARNING")
            logging.captureWarnings(False)
            root.handlers, root.level = saved_handlers, saved_level
            console._file = saved_file
