"""A per-job manifest: which units of work are finished, so an interrupted job resumes where it stopped.

A unit is named by a string key (a file, a shard, a page range, a sample) and is marked done only
after its output has been written atomically. The manifest is an append-only JSON-lines file whose
first line holds the job's fingerprint (a hash of its settings): when the settings change, earlier
units no longer count. A crash can at worst leave a torn last line, which is ignored, so a unit is
redone rather than lost.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


class JobManifest:
    """Records finished work units of one job in `<folder>/<name>.manifest.jsonl`."""

    def __init__(self, folder: str | os.PathLike, name: str = "job", fingerprint: str = ""):
        self.path = Path(folder) / f"{name}.manifest.jsonl"
        self.fingerprint = fingerprint
        self._done: dict[str, dict[str, Any]] = {}
        self._fresh = True  # the file must be (re)started with our fingerprint line
        self._torn = False  # the file ends in a partial line that the next append must close
        self._load()

    def _load(self) -> None:
        if not self.path.exists():
            return
        text = self.path.read_text(encoding="utf-8")
        self._torn = bool(text) and not text.endswith("\n")
        lines = text.splitlines()
        try:
            header = json.loads(lines[0]) if lines else {}
        except json.JSONDecodeError:
            return
        if header.get("fingerprint") != self.fingerprint:
            return  # the job's settings changed: nothing recorded before counts
        self._fresh = False
        for line in lines[1:]:
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn last line from a crash: that unit is simply redone
            self._done[entry["key"]] = entry.get("info", {})

    def is_done(self, key: str) -> bool:
        return key in self._done

    @property
    def done(self) -> dict[str, dict[str, Any]]:
        return dict(self._done)

    def mark_done(self, key: str, info: dict[str, Any] | None = None) -> None:
        """Append one finished unit durably (flush + fsync) before the caller moves on."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"key": key, "info": info or {}}, ensure_ascii=False, default=str) + "\n"
        if self._fresh:
            line = json.dumps({"fingerprint": self.fingerprint}) + "\n" + line
        elif self._torn:
            line = "\n" + line
        with open(self.path, "w" if self._fresh else "a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
        self._fresh = self._torn = False
        self._done[key] = info or {}

    def reset(self) -> None:
        """Forget every finished unit (used by --force)."""
        self.path.unlink(missing_ok=True)
        self._done.clear()
        self._fresh = True
