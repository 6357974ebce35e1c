"""The recipe's `data` section: how extracted documents become a training set."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from codemill.recipe.base import StrictModel
from codemill.recipe.synthesize import SynthesizeConfig


class FilterConfig(StrictModel):
    """Quality thresholds; a record failing one is dropped and counted under that filter's name."""

    min_chars: int = Field(default=200, ge=0)
    max_chars: int = Field(default=100_000, gt=0)
    max_symbol_ratio: float = Field(default=0.35, ge=0, le=1)  # share of characters that are not letters/digits/space
    min_alpha_ratio: float = Field(default=0.45, ge=0, le=1)  # share of characters that are letters
    max_boilerplate_lines: float = Field(default=0.3, ge=0, le=1)  # share of lines that look like boilerplate
    min_question_score: int | None = None  # StackExchange: drop threads whose question scores lower
    min_answer_score: int | None = None  # StackExchange: drop samples whose answer scores lower
    drop_unbalanced_fences: bool = True
    # textbook pages whose extraction report carries one of these warnings are left out (see <stem>.json)
    pdf_page_warnings: list[Literal["interleaved", "code_unparsed", "unmapped_font", "ocr", "no_text"]] = Field(default_factory=list)
    examples_kept: int = Field(default=5, ge=0)  # dropped examples saved per filter and worker


class RedactConfig(StrictModel):
    """PII and secret redaction, applied to every record after filtering."""

    enabled: bool = True
    emails: bool = True
    ip_addresses: bool = True
    secrets: bool = True  # API keys, tokens, private key blocks


class DedupConfig(StrictModel):
    """Exact dedup (hash of normalised text) and MinHash-LSH near-dedup (signatures, clusters, filter)."""

    exact: bool = True
    near: bool = True
    threshold: float = Field(default=0.7, gt=0, lt=1)  # Jaccard similarity where LSH starts to catch pairs
    ngram_size: int = Field(default=5, gt=0)  # words per shingle
    num_perm: int = Field(default=128, ge=8, le=1024)  # hash functions, split into bands x rows
    seed: int = 1


class DecontConfig(StrictModel):
    """Drop records that overlap HumanEval or MBPP; every hit is listed in decontamination.jsonl."""

    enabled: bool = True
    benchmarks: list[Literal["humaneval", "mbpp"]] = ["humaneval", "mbpp"]
    ngram_size: int = Field(default=13, ge=5, le=50)  # words per n-gram
    humaneval_path: Path | None = None  # local HumanEval.jsonl(.gz); default: the hub's openai_humaneval
    mbpp_path: Path | None = None  # local mbpp.jsonl / sanitized-mbpp.json; default: the hub's mbpp
    min_signature_chars: int = Field(default=24, gt=0)  # shorter `def f(x)` lines are too common to count
    min_docstring_chars: int = Field(default=40, gt=0)


class SlurmConfig(StrictModel):
    """Options passed to datatrove's SlurmPipelineExecutor (see docs/datasets.md)."""

    partition: str = "cpu"
    time: str = "04:00:00"
    cpus_per_task: int = Field(default=1, gt=0)
    mem_per_cpu_gb: int = Field(default=2, gt=0)
    venv_path: str | None = None
    sbatch_args: dict[str, str] = {}


class RayConfig(StrictModel):
    """Options passed to datatrove's RayPipelineExecutor (see docs/datasets.md)."""

    address: str | None = None  # a running cluster (`ray://...`, `host:port`, `auto`); default: RAY_ADDRESS, else a local one
    task_timeout_s: int | None = Field(default=None, gt=0)  # a task running longer is killed; the rerun redoes it
    cpus_per_task: int = Field(default=1, gt=0)
    mem_per_cpu_gb: float = Field(default=2, gt=0)


class DataConfig(StrictModel):
    """Curation settings; every threshold is a recipe key."""

    format: Literal["chat", "completion"] = "chat"
    system_prompt: str | None = None  # chat format: an optional first system message
    textbook_prompt: str = "Explain the following topic from {title}: {heading}"  # chat turn for textbook chunks
    executor: Literal["local", "slurm", "ray"] = "local"
    workers: int = Field(default=1, gt=0)
    tasks: int | None = Field(default=None, gt=0)  # shards per parallel stage; default: workers
    validation_fraction: float = Field(default=0.05, ge=0, lt=1)
    max_chunk_tokens: int = Field(default=1024, gt=0)
    min_chunk_tokens: int = Field(default=64, ge=0)  # smaller neighbouring sections are merged
    tokenizer: str | None = None  # a Hugging Face tokenizer name/path; default: a fast approximation
    token_budget: int | None = Field(default=None, gt=0)  # cap on the total tokens of the dataset
    seed: int = 0
    filters: FilterConfig = FilterConfig()
    redact: RedactConfig = RedactConfig()
    dedup: DedupConfig = DedupConfig()
    decontamination: DecontConfig = DecontConfig()
    slurm: SlurmConfig = SlurmConfig()
    ray: RayConfig = RayConfig()
    synthesize: SynthesizeConfig | None = None  # teacher-made samples from textbook chunks (docs/datasets.md)

    @model_validator(mode="after")
    def _chunk_sizes(self) -> "DataConfig":
        if self.min_chunk_tokens >= self.max_chunk_tokens:
            raise ValueError("min_chunk_tokens must be smaller than max_chunk_tokens")
        return self

    @property
    def task_count(self) -> int:
        return self.tasks or self.workers
