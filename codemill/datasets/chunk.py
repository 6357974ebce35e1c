"""Textbook markdown -> chunks under a token budget, cut only between blocks, with the heading path."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from codemill.datasets.markdown import Section, heading_titles, split_sections

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass
class Chunk:
    text: str
    heading_path: list[str]
    tokens: int


def _split_long_prose(block: str, max_tokens: int, count: Callable[[str], int]) -> list[str]:
    """A prose paragraph over the budget is cut between sentences (code is never cut)."""
    if count(block) <= max_tokens:
        return [block]
    pieces, current = [], ""
    for sentence in _SENTENCE_END.split(block):
        candidate = f"{current} {sentence}".strip()
        if current and count(candidate) > max_tokens:
            pieces.append(current)
            candidate = sentence
        current = candidate
    return pieces + [current] if current else pieces


class _Packer:
    """Accumulates blocks into chunks; a new chunk restates the heading path it starts under."""

    def __init__(self, max_tokens: int, count: Callable[[str], int]):
        self.max_tokens, self.count = max_tokens, count
        self.chunks: list[Chunk] = []
        self.blocks: list[str] = []
        self.tokens = 0
        self.path: list[str] = []

    def flush(self) -> None:
        if self.blocks:
            text = "\n\n".join(self.blocks) + "\n"
            self.chunks.append(Chunk(text, heading_titles(self.path), self.tokens))
        self.blocks, self.tokens = [], 0

    def add(self, block: str, context: list[str], path: list[str]) -> None:
        size = self.count(block)
        if self.blocks and self.tokens + size > self.max_tokens:
            self.flush()
        if not self.blocks:
            self.path = path
            self.blocks = list(context)
            self.tokens = sum(self.count(line) for line in context)
        self.blocks.append(block)
        self.tokens += size


def chunk_sections(sections: list[Section], max_tokens: int, min_tokens: int, count: Callable[[str], int]) -> list[Chunk]:
    """Pack sections into chunks; a section starts a new chunk unless the current one is still small."""
    packer = _Packer(max_tokens, count)
    for section in sections:
        if packer.tokens >= min_tokens:
            packer.flush()
        for index, (is_code, block) in enumerate(section.blocks):
            pieces = [block] if is_code else _split_long_prose(block, max_tokens, count)
            for piece_index, piece in enumerate(pieces):
                starts_section = index == 0 and piece_index == 0 and bool(section.path)
                context = section.path[:-1] if starts_section else section.path
                packer.add(piece, context, section.path)
    packer.flush()
    return packer.chunks


def chunk_markdown(text: str, max_tokens: int, min_tokens: int, count: Callable[[str], int]) -> list[Chunk]:
    return chunk_sections(split_sections(text), max_tokens, min_tokens, count)
