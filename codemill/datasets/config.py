"""The recipe's `data` section: how extracted documents become a training set."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from codemill.config import StrictModel


class DataConfig(StrictModel):
    """Curation settings; every threshold is a recipe key."""

    format: Literal["chat", "completion"] = "chat"
    executor: Literal["local", "slurm", "ray"] = "local"
    workers: int = Field(default=1, gt=0)
    validation_fraction: float = Field(default=0.05, ge=0, lt=1)
    max_chunk_tokens: int = Field(default=1024, gt=0)
