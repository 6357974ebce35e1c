"""Every teacher reply, kept on disk by the digest of (messages, teacher, settings, seed).

Replies are appended one JSON line at a time and fsync'ed before they are used, each writer to its
own file, so a kill -9 loses at most the requests still in flight and concurrent tasks never share a
file. A line torn by a kill is skipped when the cache is read back.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from pathlib import Path

from codemill.common.digest import fingerprint


def request_digest(messages: list[dict], teacher: dict, settings: dict, seed: int) -> str:
    return fingerprint({"messages": messages, "teacher": teacher, "settings": settings, "seed": seed})


class ReplyCache:
    """`get(digest)` -> the stored reply dict or None; `put(digest, reply)` stores it durably."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self._replies: dict[str, dict] = {}
        self._lock = threading.Lock()
        self._handle = None
        for path in sorted(self.folder.glob("*.jsonl")) if self.folder.is_dir() else []:
            self._load(path)

    def _load(self, path: Path) -> None:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                try:
                    entry = json.loads(line)
                    self._replies[entry["digest"]] = entry["reply"]
                except (ValueError, KeyError, TypeError):
                    continue  # a line torn by a kill

    def __contains__(self, digest: str) -> bool:
        return digest in self._replies

    def __len__(self) -> int:
        return len(self._replies)

    def get(self, digest: str) -> dict | None:
        return self._replies.get(digest)

    def put(self, digest: str, reply: dict) -> None:
        line = json.dumps({"digest": digest, "reply": reply}, ensure_ascii=False) + "\n"
        with self._lock:
            if self._handle is None:
                self.folder.mkdir(parents=True, exist_ok=True)
                self._handle = open(self.folder / f"{uuid.uuid4().hex}.jsonl", "a", encoding="utf-8")
            self._handle.write(line)
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._replies[digest] = reply

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                self._handle.close()
                self._handle = None
