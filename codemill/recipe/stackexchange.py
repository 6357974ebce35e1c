"""Recipe options for StackExchange sources."""

from __future__ import annotations

from pydantic import Field

from codemill.recipe.base import StrictModel


class StackExchangeOptions(StrictModel):
    """Which threads and answers of a dump to keep, and how to shard them."""

    site: str | None = None  # e.g. "stackoverflow.com"; default: from the folder or archive name
    min_question_score: int | None = None
    min_answer_score: int | None = None
    accepted_only: bool = False
    top_k_answers: int | None = Field(default=None, gt=0)
    min_answers: int = Field(default=0, ge=0)
    include_tags: list[str] = []
    exclude_tags: list[str] = []
    drop_closed: bool = True
    drop_deleted: bool = True
    drop_empty: bool = True
    threads_per_shard: int = Field(default=10_000, gt=0)
    skip_bad_rows: bool = False  # skip (and count) rows that are not readable XML instead of stopping the file
