"""The recipe's `eval` section."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, PositiveInt, field_validator

from codemill.config import StrictModel


class BenchmarkSpec(StrictModel):
    name: Literal["humaneval", "mbpp"]
    data_file: Path | None = None  # a local copy instead of the hub
    limit: PositiveInt | None = None


class SandboxConfig(StrictModel):
    """Per-sample limits; the wall clock per task is max(timeout_base_s, timeout_factor x reference runtime)."""

    backend: Literal["auto", "bwrap", "unshare", "none"] = "auto"
    workers: PositiveInt | None = None  # default: one per core
    timeout_base_s: float = Field(default=3.0, gt=0)
    timeout_factor: float = Field(default=10.0, ge=1)
    memory_mb: PositiveInt = 2048
    max_processes: PositiveInt = 32
    output_bytes: PositiveInt = 1_000_000


class EvalConfig(StrictModel):
    benchmarks: list[BenchmarkSpec] = []
    n_samples: PositiveInt = 1
    temperature: float = Field(default=0.0, ge=0)
    max_new_tokens: PositiveInt = 512
    batch_size: PositiveInt = 8
    prompt_format: Literal["auto", "completion", "chat"] = "auto"
    backend: Literal["auto", "transformers", "vllm"] = "auto"
    seed: int = 0
    sandbox: SandboxConfig = SandboxConfig()

    @field_validator("sandbox", mode="before")
    @classmethod
    def _backend_shorthand(cls, value):
        """`sandbox: none` (or any backend name) is short for `sandbox: {backend: none}`."""
        return {"backend": value} if isinstance(value, str) else value
