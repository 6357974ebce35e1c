"""The recipe's `sources` section: what raw inputs a run extracts and curates, and where they come from.

A source is read from exactly one of: a local `path`, a `url` (downloaded once into the cache), a
StackExchange `site` (its public dump), or a Hugging Face `dataset`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, PositiveInt, field_validator, model_validator

from codemill.recipe.base import StrictModel
from codemill.recipe.pdf import PdfOptions
from codemill.recipe.stackexchange import StackExchangeOptions

ORIGINS = ("path", "url", "site", "dataset")
HF_KEYS = ("config", "text", "question", "answer", "title", "limit")


class SourceConfig(StrictModel):
    """One source, extracted into `extracted` (default `<output_dir>/extract/<name>`)."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    type: Literal["pdf", "stackexchange", "huggingface"]
    path: Path | None = None
    url: str | None = Field(default=None, pattern=r"^https?://\S+$")
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{64}$")
    site: str | None = None  # a StackExchange site's host name, e.g. codereview.stackexchange.com
    dataset: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)?$")
    config: str | None = None  # the dataset's configuration (subset) name
    split: str = "train"
    streaming: bool = False  # read the dataset as a stream instead of downloading it whole
    limit: PositiveInt | None = None  # at most this many dataset records
    text: str | None = None  # dataset field holding a markdown document (treated like a textbook)
    question: str | None = None  # dataset fields of a Q&A pair (treated like a StackExchange thread)
    answer: str | None = None
    title: str | None = None  # optional dataset field with a title
    extracted: Path | None = None
    weight: float = Field(default=1.0, gt=0)
    workers: PositiveInt = 1  # processes extracting this source (pdf page ranges, StackExchange shards)
    license: str | None = None  # a licence, or (huggingface) the name of the field holding one
    attribution: str | None = None  # an attribution line, or (huggingface) the name of the field holding one
    pdf: PdfOptions = PdfOptions()
    stackexchange: StackExchangeOptions = StackExchangeOptions()

    @field_validator("site")
    @classmethod
    def _host_name(cls, value: str | None) -> str | None:
        """`https://codereview.stackexchange.com/` and `codereview.stackexchange.com` name the same site."""
        if value is None:
            return None
        host = re.sub(r"^[a-z]+://", "", value.strip().lower()).split("/")[0]
        if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", host):
            raise ValueError(f"give the site's host name, e.g. codereview.stackexchange.com (got {value!r})")
        return host

    @model_validator(mode="after")
    def _one_origin(self) -> "SourceConfig":
        given = [key for key in ORIGINS if getattr(self, key) is not None]
        if len(given) != 1:
            got = f"got {', '.join(given)}" if given else "got none"
            raise ValueError(f"give exactly one of path, url, site, dataset ({got})")
        if self.site is not None and self.type != "stackexchange":
            raise ValueError("site: is for `type: stackexchange` sources (a dump on the Internet Archive)")
        if (self.dataset is not None) != (self.type == "huggingface"):
            raise ValueError("a `type: huggingface` source takes `dataset: owner/name`, and only it does")
        if self.sha256 is not None and self.url is None:
            raise ValueError("sha256: checks a `url:` download; remove it or give the url")
        if self.type == "huggingface":
            if (self.text is None) == (self.question is None and self.answer is None):
                raise ValueError("map the dataset's fields: either `text: FIELD`, or `question: FIELD` and `answer: FIELD`")
            if self.text is None and (self.question is None or self.answer is None):
                raise ValueError("a Q&A dataset needs both `question: FIELD` and `answer: FIELD`")
            if self.workers != 1:
                raise ValueError("workers: only pdf and stackexchange sources are extracted in parallel; remove it")
        else:
            extra = [key for key in HF_KEYS if getattr(self, key) is not None]
            if extra:
                raise ValueError(f"{', '.join(extra)}: only for `type: huggingface` sources")
        return self

    @property
    def origin(self) -> str:
        """Which of path/url/site/dataset the source is read from."""
        return next(key for key in ORIGINS if getattr(self, key) is not None)

    @property
    def location(self) -> str:
        """The path, url, site or dataset id, as text for messages."""
        return str(getattr(self, self.origin))

    @property
    def record_kind(self) -> str:
        """What the extracted folder holds: `pdf` (markdown documents) or `stackexchange` (thread shards)."""
        if self.type == "huggingface":
            return "pdf" if self.text is not None else "stackexchange"
        return self.type
