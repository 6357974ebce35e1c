"""The run folder's `manifest.json`: per stage, what it was run on (digests), how it went and how long it took."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from codemill import __version__
from codemill.common.atomic import atomic_write_json
from codemill.recipe.layout import RunLayout


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _read_json(path: Path) -> dict[str, Any]:
    """A JSON object from `path`, or {} when it is absent or unreadable (then every stage simply reruns)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


class RunState:
    """Loads and saves `<run_dir>/manifest.json`; every change is written at once, atomically."""

    def __init__(self, run_dir: Path, recipe_path: Path, overrides: tuple[str, ...] | list[str] = ()):
        self.run_dir = run_dir
        self.layout = RunLayout(run_dir)
        self.path = self.layout.manifest
        loaded = _read_json(self.path)
        stages = loaded.get("stages")
        self.stages: dict[str, dict[str, Any]] = stages if isinstance(stages, dict) else {}
        self.recipe_path = recipe_path
        self.overrides = list(overrides)  # the command's --set KEY=VALUE, recorded beside the recipe path
        self.hash_cache: dict[str, list] = _read_json(self.layout.hash_cache)

    def record(self, key: str) -> dict[str, Any] | None:
        entry = self.stages.get(key)
        return entry if isinstance(entry, dict) else None

    def update(self, key: str, **fields: Any) -> None:
        self.stages.setdefault(key, {}).update(fields)
        self.save()

    def save(self) -> None:
        document = {
            "codemill_version": __version__,
            "recipe": str(self.recipe_path),
            "overrides": self.overrides,
            "updated": now_iso(),
            "stages": self.stages,
        }
        atomic_write_json(self.path, document)

    def save_hash_cache(self, cache: dict[str, list]) -> None:
        atomic_write_json(self.layout.hash_cache, cache, indent=None)
