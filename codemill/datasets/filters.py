"""Quality filters: each drops with a named reason, counted by datatrove, with a few examples kept."""

from __future__ import annotations

import re
from collections import Counter

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter
from datatrove.pipeline.writers.jsonl import JsonlWriter

from codemill.datasets.markdown import has_unclosed_fence

_BOILERPLATE = re.compile(
    r"all rights reserved|cookie|privacy policy|terms of (use|service)|click here|subscribe|sign up|log ?in to"
    r"|^\s*(page\s+)?\d+\s*(of\s+\d+)?\s*$|table of contents|this page intentionally left blank",
    re.IGNORECASE,
)


class ExampleWriter(JsonlWriter):
    """Saves the first `limit` dropped documents of a worker for inspection, then only counts."""

    def __init__(self, folder: str, limit: int):
        super().__init__(folder, output_filename="${rank}.jsonl", compression=None)
        self.limit, self.written = limit, 0

    def write(self, document: Document, rank: int = 0, **kwargs) -> None:
        if self.written < self.limit:
            self.written += 1
            super().write(document, rank, **kwargs)


class LengthFilter(BaseFilter):
    name = "length"

    def __init__(self, min_chars: int, max_chars: int, exclusion_writer=None):
        super().__init__(exclusion_writer)
        self.min_chars, self.max_chars = min_chars, max_chars

    def filter(self, doc: Document):
        if len(doc.text) < self.min_chars:
            return False, "too_short"
        if len(doc.text) > self.max_chars:
            return False, "too_long"
        return True


class FenceFilter(BaseFilter):
    """Drops a sample whose turn leaves a code fence open (a cut or garbled code block)."""

    name = "fences"

    def filter(self, doc: Document):
        turns = doc.metadata.get("turns") or [{"content": doc.text}]
        if any(has_unclosed_fence(turn["content"]) for turn in turns):
            return False, "unbalanced_fences"
        return True


def character_ratios(text: str) -> tuple[float, float]:
    """(symbol share, letter share) among non-whitespace characters.

    Characters are counted once each (a text has a few hundred distinct ones), then classified."""
    visible = letters = symbols = 0
    for char, count in Counter(text).items():
        if not char.isspace():
            visible += count
            letters += count if char.isalpha() else 0
            symbols += 0 if char.isalnum() else count
    if not visible:
        return 1.0, 0.0
    return symbols / visible, letters / visible


class CharacterFilter(BaseFilter):
    """Drops samples that are mostly symbols or have too few letters (tables of numbers, dumps, noise)."""

    name = "characters"

    def __init__(self, max_symbol_ratio: float, min_alpha_ratio: float, exclusion_writer=None):
        super().__init__(exclusion_writer)
        self.max_symbol_ratio, self.min_alpha_ratio = max_symbol_ratio, min_alpha_ratio

    def filter(self, doc: Document):
        symbols, letters = character_ratios(doc.text)
        if symbols > self.max_symbol_ratio:
            return False, "mostly_symbols"
        if letters < self.min_alpha_ratio:
            return False, "mostly_non_text"
        return True


class BoilerplateFilter(BaseFilter):
    """Drops samples where too many lines (two at least) are navigation, legal or page furniture."""

    name = "boilerplate"

    def __init__(self, max_share: float, exclusion_writer=None):
        super().__init__(exclusion_writer)
        self.max_share = max_share

    def filter(self, doc: Document):
        lines = [line for line in doc.text.splitlines() if line.strip()]
        if not lines:
            return False, "empty"
        flagged = sum(bool(_BOILERPLATE.search(line)) for line in lines)
        return (False, "boilerplate") if flagged >= 2 and flagged / len(lines) > self.max_share else True


class ScoreFilter(BaseFilter):
    """StackExchange score thresholds; textbook samples always pass."""

    name = "score"

    def __init__(self, min_question_score: int | None, min_answer_score: int | None, exclusion_writer=None):
        super().__init__(exclusion_writer)
        self.min_question, self.min_answer = min_question_score, min_answer_score

    def filter(self, doc: Document):
        meta = doc.metadata
        if meta.get("kind") != "thread":
            return True
        if self.min_question is not None and (meta.get("question_score") or 0) < self.min_question:
            return False, "low_question_score"
        if self.min_answer is not None and (meta.get("answer_score") or 0) < self.min_answer:
            return False, "low_answer_score"
        return True


def quality_filters(config, drops_folder: str) -> list[BaseFilter]:
    """The recipe's filters in order, each saving a few dropped examples under drops_folder/<name>/."""

    def examples(name: str) -> ExampleWriter:
        return ExampleWriter(f"{drops_folder}/{name}", config.examples_kept)

    steps = [
        ScoreFilter(config.min_question_score, config.min_answer_score, examples("score")),
        LengthFilter(config.min_chars, config.max_chars, examples("length")),
        CharacterFilter(config.max_symbol_ratio, config.min_alpha_ratio, examples("characters")),
        BoilerplateFilter(config.max_boilerplate_lines, examples("boilerplate")),
    ]
    if config.drop_unbalanced_fences:
        steps.insert(1, FenceFilter(examples("fences")))
    return steps
