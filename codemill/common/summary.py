"""What one stage did, in one shape for every stage: failures with reasons, key figures, what it wrote."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from codemill.common.console import console


@dataclass
class Summary:
    """`failed`: (input, reason) pairs, empty on success; `counts`: the stage's key figures; `outputs`: what it wrote."""

    failed: list[tuple[str, str]] = field(default_factory=list)
    counts: dict[str, int | float] = field(default_factory=dict)
    outputs: list[Path] = field(default_factory=list)


def set_aside(path: Path) -> None:
    """Move a stale output to `<path>.previous` (replacing an older one) instead of deleting it outright."""
    path = Path(path)
    if path.exists():
        previous = path.with_name(path.name + ".previous")
        shutil.rmtree(previous, ignore_errors=True)
        path.rename(previous)
        console.print(f"  earlier {path} moved to {previous}", markup=False, emoji=False, highlight=False, soft_wrap=True)
