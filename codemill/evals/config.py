"""The recipe's `eval` section."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, PositiveInt

from codemill.config import StrictModel


class BenchmarkSpec(StrictModel):
    name: Literal["humaneval", "mbpp"]
    data_file: Path | None = None  # a local copy instead of the hub
    limit: PositiveInt | None = None


class EvalConfig(StrictModel):
    benchmarks: list[BenchmarkSpec] = []
    n_samples: PositiveInt = 1
    temperature: float = Field(default=0.0, ge=0)
    max_new_tokens: PositiveInt = 512
    batch_size: PositiveInt = 8
