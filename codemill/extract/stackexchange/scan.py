"""The scan: one pass over Users.xml and Posts.xml, filtering rows and spilling the kept ones to SQLite.

Row-level filters (score, tags, closed, deleted, empty) run here so that the store only holds what can
end up in a thread; malformed rows are counted by reason with their first ids.
"""

from __future__ import annotations

import json
import re

from codemill.recipe.stackexchange import StackExchangeOptions
from codemill.extract.stackexchange.licenses import post_license
from codemill.extract.stackexchange.spill import SpillWriter
from codemill.extract.stackexchange.summary import SkipLog

_ANGLE_TAGS = re.compile(r"<([^<>]+)>")
COMMUNITY_USER = -1  # the site's system account; dumps since 2024 carry fabricated Q&A posts under it


def parse_tags(raw: str | None) -> list[str]:
    """Tags as stored by either dump format: `<a><b>` (older) or `|a|b|` (newer)."""
    if not raw:
        return []
    if raw.startswith("<"):
        return _ANGLE_TAGS.findall(raw)
    return [tag for tag in raw.split("|") if tag]


def _int(value: str | None) -> int | None:
    return int(value) if value not in (None, "") else None


class Scanner:
    """Row handlers for Users.xml and Posts.xml that fill a SpillWriter and a SkipLog."""

    def __init__(self, spill: SpillWriter, options: StackExchangeOptions, skips: SkipLog):
        self.spill, self.options, self.skips = spill, options, skips
        self.include = set(options.include_tags)
        self.exclude = set(options.exclude_tags)
        self.counts = {"users": 0, "posts": 0, "questions_kept": 0, "answers_kept": 0}

    def on_user(self, row: dict) -> None:
        self.counts["users"] += 1
        try:
            self.spill.add("users", (int(row["Id"]), row.get("DisplayName")))
        except (KeyError, ValueError):
            self.skips.add("malformed_user_row", row.get("Id"))

    def on_bad_row(self, name: str, line: int, row_id: str | None) -> None:
        """An unreadable row skipped under `skip_bad_rows`: counted, with its file and line."""
        self.skips.add("unreadable_row", f"{name} line {line}" + (f" (Id {row_id})" if row_id else ""))

    def on_post(self, row: dict) -> None:
        self.counts["posts"] += 1
        try:
            post_id, kind = int(row["Id"]), int(row["PostTypeId"])
            score = int(row.get("Score") or 0)
            owner = _int(row.get("OwnerUserId"))
            parent = _int(row.get("ParentId"))
            accepted = _int(row.get("AcceptedAnswerId"))
        except (KeyError, ValueError):
            self.skips.add("malformed_row", row.get("Id"))
            return
        if kind in (1, 2) and owner == COMMUNITY_USER:
            self.skips.add("fabricated_community_post", post_id)
        elif kind == 1:
            self._question(post_id, score, owner, accepted, row)
        elif kind == 2:
            self._answer(post_id, score, owner, parent, row)
        else:
            self.skips.add("not_a_question_or_answer", post_id)

    def _common_reason(self, row: dict) -> str | None:
        if self.options.drop_deleted and row.get("DeletionDate"):
            return "deleted"
        if self.options.drop_empty and not (row.get("Body") or "").strip():
            return "empty"
        return None

    def _question_reason(self, score: int, tags: list[str], row: dict) -> str | None:
        """Why a question row is dropped, or None to keep it."""
        options = self.options
        if reason := self._common_reason(row):
            return reason
        if options.drop_closed and row.get("ClosedDate"):
            return "closed"
        if options.min_question_score is not None and score < options.min_question_score:
            return "question_score_below_minimum"
        if self.include and not self.include.intersection(tags):
            return "no_included_tag"
        if self.exclude.intersection(tags):
            return "excluded_tag"
        return None

    def _answer_reason(self, score: int, parent: int | None, row: dict) -> str | None:
        """Why an answer row is dropped, or None to keep it."""
        if parent is None:
            return "answer_without_question"
        if reason := self._common_reason(row):
            return f"answer_{reason}"
        if self.options.min_answer_score is not None and score < self.options.min_answer_score:
            return "answer_score_below_minimum"
        return None

    def _question(self, post_id: int, score: int, owner: int | None, accepted: int | None, row: dict) -> None:
        tags = parse_tags(row.get("Tags"))
        if reason := self._question_reason(score, tags, row):
            self.skips.add(reason, post_id)
            return
        license_name = post_license(row.get("ContentLicense"), row.get("CreationDate"), row.get("LastEditDate"))
        self.spill.add("questions", (
            post_id, accepted, score, row.get("Title") or "", json.dumps(tags), row.get("CreationDate"),
            row.get("LastActivityDate"), license_name, owner, row.get("OwnerDisplayName"), row.get("Body") or ""))
        self.counts["questions_kept"] += 1

    def _answer(self, post_id: int, score: int, owner: int | None, parent: int | None, row: dict) -> None:
        if reason := self._answer_reason(score, parent, row):
            self.skips.add(reason, post_id)
            return
        license_name = post_license(row.get("ContentLicense"), row.get("CreationDate"), row.get("LastEditDate"))
        self.spill.add("answers", (
            post_id, parent, score, row.get("CreationDate"), license_name, owner, row.get("OwnerDisplayName"),
            row.get("Body") or ""))
        self.counts["answers_kept"] += 1
