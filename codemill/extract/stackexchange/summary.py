"""What an extraction did: rows read, rows and threads skipped by reason (with the first few ids), output."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FIRST_IDS = 5


class SkipLog:
    """Counts skipped items per reason and remembers the first few ids of each."""

    def __init__(self, data: dict[str, dict] | None = None):
        self.reasons: dict[str, dict[str, Any]] = {k: {"count": v["count"], "first_ids": list(v["first_ids"])}
                                                   for k, v in (data or {}).items()}

    def add(self, reason: str, item_id: Any) -> None:
        entry = self.reasons.setdefault(reason, {"count": 0, "first_ids": []})
        entry["count"] += 1
        if len(entry["first_ids"]) < FIRST_IDS:
            entry["first_ids"].append(item_id)

    def merge(self, other: dict[str, dict]) -> None:
        for reason, entry in other.items():
            mine = self.reasons.setdefault(reason, {"count": 0, "first_ids": []})
            mine["count"] += entry["count"]
            mine["first_ids"] = (mine["first_ids"] + entry["first_ids"])[:FIRST_IDS]

    def to_dict(self) -> dict[str, dict]:
        return {reason: self.reasons[reason] for reason in sorted(self.reasons)}


@dataclass
class StackExchangeSummary:
    """The result of `extract_stackexchange`; `failed` lists `(path, reason)` pairs, empty on success."""

    source: str
    out_dir: str
    site: str | None = None
    rows_read: dict[str, int] = field(default_factory=dict)
    questions_kept: int = 0
    answers_kept: int = 0
    threads_written: int = 0
    answers_written: int = 0
    shards: list[str] = field(default_factory=list)
    shards_resumed: int = 0
    skipped: dict[str, dict] = field(default_factory=dict)
    filters: dict[str, Any] = field(default_factory=dict)
    failed: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source, "out_dir": self.out_dir, "site": self.site, "rows_read": self.rows_read,
            "questions_kept": self.questions_kept, "answers_kept": self.answers_kept,
            "threads_written": self.threads_written, "answers_written": self.answers_written,
            "shards": self.shards, "shards_resumed": self.shards_resumed, "skipped": self.skipped,
            "filters": self.filters, "failed": [list(item) for item in self.failed], "seconds": round(self.seconds, 3),
        }
