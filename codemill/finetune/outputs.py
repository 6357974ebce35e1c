"""Write the run folder's `finetune/` outputs so a crash never leaves a half-written folder behind."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import yaml

from codemill.common.atomic import atomic_write_text


@contextlib.contextmanager
def staged_dir(target: Path) -> Iterator[Path]:
    """Yield an empty sibling folder; on success it replaces `target` in one rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        yield staging
        replace_dir(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def replace_dir(staging: Path, target: Path) -> None:
    """Put the finished `staging` folder in the place of `target` (its sibling)."""
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)


def write_recipe(recipe, path: Path) -> None:
    """The recipe as it was validated (defaults filled in), reloadable with `load_recipe`."""
    data = recipe.model_dump(mode="json", exclude_none=True)
    atomic_write_text(path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
