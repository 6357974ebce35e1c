"""Where commands talk to the user: messages on stderr, and one way to stop with a clear error."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.markup import escape

console = Console(stderr=True, highlight=False)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print `error: message` on stderr and return the Exit to raise (`raise fail(...)`)."""
    console.print(f"[bold red]error:[/] {escape(message)}", markup=True, emoji=False, soft_wrap=True)
    return typer.Exit(code)
