"""Digests: the sha256 of a file (what recipes pin and outputs record) and the one settings fingerprint
every stage, cache and benchmark loader uses to tell whether earlier work still applies."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def canonical_json(value: Any) -> str:
    """JSON with sorted keys; pydantic models as their JSON-mode dump, sets sorted, anything else as str."""
    return json.dumps(value, sort_keys=True, default=_plain)


def fingerprint(value: Any, length: int = 64) -> str:
    """sha256 hex of the value's canonical JSON, cut to `length` characters: equal settings, equal print."""
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()[:length]


def _plain(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=canonical_json)
    return str(value)
