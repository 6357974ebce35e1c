"""The recipe's `data.synthesize` section: a teacher model turns textbook chunks into checked samples."""

from __future__ import annotations

import string
from typing import Literal

from pydantic import Field, field_validator, model_validator

from codemill.recipe.base import StrictModel

Task = Literal["qa", "exercise", "explain_code"]
# Placeholders a template may use; the one in brackets is required.
TEMPLATE_FIELDS = {"qa": ({"title", "heading", "chunk"}, "chunk"),
                   "exercise": ({"title", "heading", "chunk"}, "chunk"),
                   "explain_code": ({"title", "heading", "chunk", "code"}, "code")}


class TeacherConfig(StrictModel):
    """A model run here (`model` + `backend`) or an OpenAI-compatible server (`endpoint` + `model`)."""

    model: str  # hub id or local folder; with `endpoint`, the model name the server knows
    endpoint: str | None = None  # base URL, e.g. http://127.0.0.1:8000/v1
    backend: Literal["transformers", "vllm"] = "transformers"  # without `endpoint` only
    revision: str | None = None  # hub revision (branch, tag or commit) of a local-backend model
    trust_remote_code: bool = False
    api_key_env: str | None = None  # environment variable holding the endpoint's key
    max_concurrency: int = Field(default=4, gt=0)  # requests in flight at once
    max_retries: int = Field(default=5, ge=0)  # on connection errors, 408, 409, 429 and 5xx, with backoff
    timeout_s: float = Field(default=120.0, gt=0)  # per request
    temperature: float = Field(default=0.7, ge=0)
    top_p: float = Field(default=0.95, gt=0, le=1)
    max_new_tokens: int = Field(default=1024, gt=0)
    batch_size: int = Field(default=8, gt=0)  # prompts per generate() call of a local backend

    @field_validator("endpoint")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"must be an http:// or https:// URL, got {value!r}")
        return value.rstrip("/") if value else value

    @model_validator(mode="after")
    def _one_kind(self) -> "TeacherConfig":
        if self.endpoint is None and self.api_key_env is not None:
            raise ValueError("api_key_env is only used with endpoint")
        if self.endpoint is not None and self.backend == "vllm":
            raise ValueError("backend is only used without endpoint (the server runs the model)")
        return self

    def identity(self) -> dict:
        """What decides the teacher's answers, for cache keys and each sample's grounding."""
        if self.endpoint:
            return {"endpoint": self.endpoint, "model": self.model}
        return {"model": self.model, "revision": self.revision, "backend": self.backend}

    def settings(self) -> dict:
        return {"temperature": self.temperature, "top_p": self.top_p, "max_new_tokens": self.max_new_tokens}


class CheckConfig(StrictModel):
    """Run the Python code of each sample in the eval sandbox; samples whose code fails are dropped."""

    enabled: bool = True
    timeout_s: float = Field(default=10.0, gt=0)  # wall clock per sample
    memory_mb: int = Field(default=1024, gt=0)
    workers: int | None = Field(default=None, gt=0)  # sandbox processes; default: up to 4, one per core
    backend: Literal["auto", "bwrap", "unshare", "none"] = "auto"


class SynthesizeConfig(StrictModel):
    """Which chunks, which tasks, how many samples each, and the prompts (see docs/datasets.md)."""

    teacher: TeacherConfig
    tasks: list[Task] = Field(default=["qa", "exercise"], min_length=1)
    per_chunk: int = Field(default=1, gt=0)  # samples of each task per chunk
    max_chunks: int | None = Field(default=None, gt=0)  # a seeded sample of the chunks; default: all
    sources: list[str] | None = None  # source names to draw chunks from; default: every pdf source
    keep_chunks: bool = True  # the chunk samples themselves stay in the dataset too
    system_prompt: str | None = None  # the teacher's system message; default: prompts.SYSTEM_PROMPT
    templates: dict[Task, str] = {}  # per-task prompt overrides; placeholders {title} {heading} {chunk} ({code})
    seed: int = 0
    check: CheckConfig = CheckConfig()

    @field_validator("templates")
    @classmethod
    def _placeholders(cls, templates: dict) -> dict:
        for task, text in templates.items():
            allowed, required = TEMPLATE_FIELDS[task]
            try:
                names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
            except ValueError as error:
                raise ValueError(f"{task}: not a valid template ({error}); write literal braces as {{{{ }}}}") from None
            unknown = sorted(names - allowed)
            if unknown:
                raise ValueError(f"{task}: unknown placeholder {{{unknown[0]}}}; use {', '.join('{%s}' % n for n in sorted(allowed))}")
            if required not in names:
                raise ValueError(f"{task}: the template must contain {{{required}}}")
        return templates
