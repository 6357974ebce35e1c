"""Content digests of files, folders and settings, so `codemill run` can tell whether a stage is up to date.

Files are hashed with xxh3-128; a cache keyed by (size, mtime) spares re-reading files that did not
change since the last run, so checking a run folder with large model files stays cheap.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import xxhash

from codemill.common.digest import fingerprint

_CHUNK = 1 << 20
MISSING = "missing"


def digest_value(value: Any) -> str:
    """Digest of JSON-able settings; key order does not matter."""
    return fingerprint(value)


def is_bookkeeping(path: Path) -> bool:
    """Hidden and temporary files, and stages' resume manifests: they say nothing about the content."""
    return path.name.startswith(".") or path.name.endswith(".manifest.jsonl")


class ContentHasher:
    """Digests of files and folder trees, remembering each file's digest with the stat it was taken at."""

    def __init__(self, cache: dict[str, list] | None = None):
        self.cache: dict[str, list] = dict(cache or {})

    def file(self, path: Path) -> str:
        stat = path.stat()
        key = str(path.resolve())
        cached = self.cache.get(key)
        if cached and cached[0] == stat.st_size and cached[1] == stat.st_mtime_ns:
            return cached[2]
        hasher = xxhash.xxh3_128()
        with open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                hasher.update(chunk)
        digest = hasher.hexdigest()
        self.cache[key] = [stat.st_size, stat.st_mtime_ns, digest]
        return digest

    def tree(self, path: str | os.PathLike) -> str:
        """Digest of a file, or of a folder's relative paths and file contents; `missing` when absent."""
        path = Path(path)
        if path.is_file():
            return self.file(path)
        if not path.is_dir():
            return MISSING
        entries = []
        for child in sorted(path.rglob("*")):
            relative = child.relative_to(path)
            if any(is_bookkeeping(Path(part)) for part in relative.parts) or not child.is_file():
                continue
            entries.append((relative.as_posix(), self.file(child)))
        return digest_value(entries)

    def forget_missing(self) -> None:
        """Drop cache entries for files that no longer exist, so the cache does not grow forever."""
        self.cache = {key: value for key, value in self.cache.items() if os.path.exists(key)}
