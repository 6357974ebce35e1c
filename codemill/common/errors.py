"""The CLI's last line of defence: any error that reaches the top becomes one line, never a traceback.

Every command runs inside `ErrorHandlingGroup.invoke`: our own errors print their message; file-system
errors name the path and what to do (disk full, permission, a file where a folder is needed); a file
that is not UTF-8 names the file; Ctrl-C and SIGTERM say how to resume. `codemill -v ...` (or CODEMILL_TRACEBACK=1)
prints the traceback too.
"""

from __future__ import annotations

import errno
import io
import os
import sys
import traceback
from types import TracebackType

import click
import typer
from rich.markup import escape
from typer.core import TyperGroup

from codemill.common.console import console
from codemill.common.processes import Terminated, stop_children

verbose = os.environ.get("CODEMILL_TRACEBACK", "") not in ("", "0")

_ERRNO_HINTS = {
    errno.ENOSPC: "no space left on the disk holding {path}; free some space, then rerun the same command to resume",
    errno.EDQUOT: "disk quota exceeded while writing {path}; free some space, then rerun the same command to resume",
    errno.EACCES: "{path}: permission denied; choose a path you can read/write, or fix its permissions",
    errno.EPERM: "{path}: operation not permitted; choose a path you can read/write, or fix its permissions",
    errno.EROFS: "{path}: the file system is read-only; choose an output folder on a writable disk",
    errno.ENOENT: "{path}: no such file or folder; check the path",
    errno.ENOTDIR: "{path}: a part of this path is a file, not a folder; choose another path",
    errno.EISDIR: "{path}: is a folder where a file is expected; give the file itself",
    errno.EEXIST: "{path}: already exists and is in the way; remove it or choose another path",
    errno.ENAMETOOLONG: "{path}: the name is too long; choose a shorter path",
    errno.EMFILE: "too many open files (while opening {path}); raise `ulimit -n` or use fewer workers",
}


def _frames(tb: TracebackType | None) -> list:
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    return list(reversed(frames))  # innermost first


def path_in_traceback(tb: TracebackType | None) -> str | None:
    """The file being read where the error happened: an open file in the innermost frame that has one,
    else the innermost path-like variable."""
    frames = _frames(tb)
    for frame in frames:
        for value in frame.f_locals.values():
            if isinstance(value, io.IOBase) and isinstance(getattr(value, "name", None), str):
                return value.name
    for frame in frames:
        for value in frame.f_locals.values():
            if isinstance(value, os.PathLike):
                return os.fspath(value)
    return None


def explain(error: BaseException) -> str:
    """One line for the user: what went wrong, with which path, and what to do."""
    if isinstance(error, (ConnectionError, TimeoutError)) or "connection" in type(error).__name__.lower():
        return (f"network unreachable ({type(error).__name__}: {error}); offline, give local files instead "
                "(eval --data-file, a recipe's data_file/humaneval_path/mbpp_path) or a local model folder")
    if isinstance(error, OSError) and error.errno in _ERRNO_HINTS:
        path = error.filename or path_in_traceback(error.__traceback__) or "a file"
        if error.filename2:
            path = f"{path} -> {error.filename2}"
        return _ERRNO_HINTS[error.errno].format(path=path)
    if isinstance(error, OSError):
        return f"{error.filename}: {error.strerror or error}" if error.filename else f"{type(error).__name__}: {error}"
    if isinstance(error, UnicodeDecodeError):
        path = path_in_traceback(error.__traceback__) or "an input file"
        bad = error.object[error.start : error.start + 1].hex() if error.object else "?"
        return (f"{path}: not UTF-8 text (it holds the byte 0x{bad}); "
                "give a text file saved as UTF-8")
    if isinstance(error, MemoryError):
        return "out of memory; use fewer workers or smaller batches"
    if type(error).__module__.split(".")[0] == "codemill":
        return str(error)
    where = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    place = f" at {os.path.basename(where.filename)}:{where.lineno}" if where else ""
    return (f"unexpected {type(error).__name__}{place}: {error}; rerun with `codemill -v ...` for the traceback "
            "and report it")


def _print_error(text: str) -> None:
    console.print(f"[bold red]error:[/] {escape(text)}", markup=True, emoji=False,
                  highlight=False, soft_wrap=True)


def handle(error: BaseException) -> typer.Exit:
    """Print what the user needs to know about `error`; return the Exit to raise (its code says what kind)."""
    if isinstance(error, KeyboardInterrupt):
        stop_children()  # interpreter exit would otherwise join them
        signal_name = "SIGTERM" if isinstance(error, Terminated) else "Ctrl-C"
        console.print(f"interrupted ({signal_name}); what was finished is kept: rerun the same command to resume",
                      markup=False, highlight=False, soft_wrap=True)
        return typer.Exit(143 if isinstance(error, Terminated) else 130)
    if verbose:
        traceback.print_exception(error, file=sys.stderr)
    _print_error(explain(error))
    ours = type(error).__module__.split(".")[0] == "codemill" or isinstance(error, UnicodeDecodeError)
    return typer.Exit(2 if ours else 1)


class ErrorHandlingGroup(TyperGroup):
    """The root command group: any error of a subcommand becomes one line and an exit code."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except (Exception, KeyboardInterrupt) as error:
            raise handle(error) from None
