"""Markdown structure shared by the steps: code fences, blocks and heading sections."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
HEADING = re.compile(r"^(#{1,6})\s+\S")


def _closes(line: str, opener: str) -> bool:
    match = FENCE.match(line)
    if not match or match.group(1)[0] != opener[0] or len(match.group(1)) < len(opener):
        return False
    return not line.strip()[len(match.group(1)):].strip()  # a closing fence carries no info string


def scan_fences(text: str) -> tuple[list[tuple[bool, str]], bool]:
    """Cut text into (is_code, piece) runs (a fenced block includes its fence lines); also say if a fence is left open."""
    pieces: list[tuple[bool, str]] = []
    buffer: list[str] = []
    opener: str | None = None
    for line in text.splitlines(keepends=True):
        if opener is None and (match := FENCE.match(line)):
            if buffer:
                pieces.append((False, "".join(buffer)))
            buffer, opener = [line], match.group(1)
        elif opener is not None and _closes(line, opener):
            pieces.append((True, "".join(buffer + [line])))
            buffer, opener = [], None
        else:
            buffer.append(line)
    if buffer:
        pieces.append((opener is not None, "".join(buffer)))
    return pieces, opener is not None


def split_fences(text: str) -> list[tuple[bool, str]]:
    return scan_fences(text)[0]


def has_unclosed_fence(text: str) -> bool:
    """True when a code fence is opened and never closed."""
    return scan_fences(text)[1]


def _is_indented_code(paragraph: str) -> bool:
    return all(line.startswith(("    ", "\t")) or not line.strip() for line in paragraph.splitlines())


def split_blocks(text: str) -> list[tuple[bool, str]]:
    """Blocks a chunker may cut between: prose paragraphs, and whole fenced or indented code blocks."""
    blocks: list[tuple[bool, str]] = []
    for is_code, piece in split_fences(text):
        if is_code:
            blocks.append((True, piece.strip("\n")))
            continue
        for paragraph in re.split(r"\n\s*\n", piece):
            if not paragraph.strip():
                continue
            indented = _is_indented_code(paragraph)
            if indented and blocks and blocks[-1][0] and not blocks[-1][1].lstrip().startswith(("`", "~")):
                blocks[-1] = (True, blocks[-1][1] + "\n\n" + paragraph.rstrip("\n"))  # one indented block
            else:
                blocks.append((indented, paragraph.strip("\n")))
    return blocks


@dataclass
class Section:
    """A heading and the blocks under it; `path` holds the heading lines from the top level down."""

    path: list[str]
    blocks: list[tuple[bool, str]] = field(default_factory=list)


def split_sections(text: str) -> list[Section]:
    """Sections in reading order; headings inside code never start a section."""
    sections = [Section(path=[])]
    for is_code, block in split_blocks(text):
        match = None if is_code else HEADING.match(block)
        if match and "\n" not in block.strip():
            level = len(match.group(1))
            parents = [h for h in sections[-1].path if len(HEADING.match(h).group(1)) < level]
            sections.append(Section(path=parents + [block.strip()], blocks=[(False, block.strip())]))
        else:
            sections[-1].blocks.append((is_code, block))
    return [section for section in sections if section.blocks]


def heading_titles(path: list[str]) -> list[str]:
    return [line.lstrip("#").strip() for line in path]
