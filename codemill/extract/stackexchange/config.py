"""Recipe options for StackExchange sources."""

from __future__ import annotations

from pydantic import Field

from codemill.config import StrictModel


class StackExchangeOptions(StrictModel):
    """Which threads and answers of a dump to keep."""

    min_question_score: int | None = None
    min_answer_score: int | None = None
    accepted_only: bool = False
    top_k_answers: int | None = Field(default=None, gt=0)
    include_tags: list[str] = []
    exclude_tags: list[str] = []
    drop_closed: bool = True
