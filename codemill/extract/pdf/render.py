"""Blocks -> markdown text in pandoc's gfm conventions (ATX headings, fenced code, one paragraph a line)."""

from __future__ import annotations

import re

from codemill.extract.markdown import escape_line_starts
from codemill.extract.pdf.blocks import LIST_MARKER, Block
from codemill.extract.pdf.code import code_lines, dominant_language, guess_language, python_valid, split_output
from codemill.extract.pdf.inline import paragraph_markdown
from codemill.extract.pdf.ruled import cell_lines
from codemill.extract.pdf.tables import pipe_table, table_markdown
from codemill.extract.pdf.styles import DocumentStyle, heading_style, numbering_depth


def render_parts(blocks: list[Block], style: DocumentStyle, vocabulary: set[str], language: str | None,
                 notes: dict[int, list[str]] | None = None) -> list[tuple[int, str]]:
    """(page index, markdown) for each block that renders to something; pages whose python listings
    do not parse are noted in `notes` (page -> warning ids)."""
    nesting = _list_nesting(blocks)
    numbered = _numbered_headings(blocks, vocabulary)
    listings = {i: _listing(b, style) for i, b in enumerate(blocks) if b.kind == "code"}
    language = language or dominant_language(list(listings.values()))
    parts = []
    grids_done: set[int] = set()  # a ruled table split into several blocks is rendered once
    for index, block in enumerate(blocks):
        cells = block.first.extra.get("cells") if block.kind == "table" else None
        if cells is not None and id(cells) in grids_done:
            continue
        if cells is not None:
            grids_done.add(id(cells))
        if block.kind == "code":
            output = block.first.extra.get("prompt") == "out"  # a notebook's output prompt: what the cell printed
            pieces = [(listings[index], False)] if output else split_output(listings[index])
            text = "\n\n".join(_fenced(part, language) if code else _fenced(part, None, tagged=False) for part, code in pieces)
            if notes is not None and any(code and guess_language(part, language) == "python" and not python_valid(part) for part, code in pieces):
                notes.setdefault(block.first.page, []).append("code_unparsed")
        elif block.kind == "heading" and numbered:
            text = _SECTION_NUMBER.sub(lambda m: m.group(1) + " ", _render_block(block, style, vocabulary, 0), count=1)
        else:
            text = _render_block(block, style, vocabulary, nesting.get(index, 0))
        if text.strip():
            parts.append((block.first.page, text))
    return _renumber_notes(parts)


_NOTE_DEF = re.compile(r"^\[\^([^\]]+)\]: ")
_NOTE_REF = re.compile(r"\[\^([^\]]+)\](?!:)")


def _renumber_notes(parts: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Books restart footnote numbers per chapter; when marks repeat, give every note a unique
    number and point each reference at the note with its mark on the same or the next page."""
    defs = [(page, m.group(1)) for page, text in parts if (m := _NOTE_DEF.match(text))]
    marks = [mark for _, mark in defs]
    if len(set(marks)) == len(marks):
        return parts
    number = {(page, mark): str(i + 1) for i, (page, mark) in enumerate(defs)}

    def target(page: int, mark: str) -> str:
        pages = [p for p, m in defs if m == mark]
        later = [p for p in pages if p >= page]
        chosen = min(later) if later else max(pages, default=None)
        return number.get((chosen, mark), mark)

    renumbered = []
    for page, text in parts:
        m = _NOTE_DEF.match(text)
        if m:
            text = f"[^{number[(page, m.group(1))]}]: " + text[m.end():]
        else:
            text = _NOTE_REF.sub(lambda r: f"[^{target(page, r.group(1))}]", text)
        renumbered.append((page, text))
    return renumbered


_SECTION_NUMBER = re.compile(r"(?<=^#)(#*) +(?:\d+(?:\.\d+)*\.?|[A-Z]\.\d+(?:\.\d+)*)(?: +|$)")


def _numbered_headings(blocks: list[Block], vocabulary: set[str]) -> bool:
    """Whether the typesetter numbered the headings (most start with 1, 2.3, A.1 ... set apart from the
    title by a wide gap): the numbers are its counters, not part of the titles, so they are dropped.
    A number followed by a plain word space (as HTML renders the author's '1.1 Title') is kept."""
    headings = [b.first for b in blocks if b.kind == "heading"]
    numbered = [line for line in headings if _counter_first(line)]
    return len(headings) >= 3 and len(numbered) >= 0.5 * len(headings)


_COUNTER = re.compile(r"(?:\d+(?:\.\d+)*\.?|[A-Z]\.\d+(?:\.\d+)*)")


def _counter_first(line) -> bool:
    """The line starts with a section number set apart from the title by more than a word space (0.4 em)."""
    spans = [s for s in line.spans if s.text.strip()]
    if len(spans) < 2 or not _COUNTER.fullmatch(spans[0].text.strip()):
        return False
    return spans[1].x0 - spans[0].x1 >= 0.4 * spans[0].size


def _listing(block: Block, style: DocumentStyle) -> list[str]:
    lines = code_lines(block, style)
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def _fenced(lines: list[str], language: str | None, tagged: bool = True) -> str:
    tag = guess_language(lines, language) if tagged else None
    fence = "````" if any(t.lstrip().startswith("```") for t in lines) else "```"
    return f"{fence}{' ' + tag if tag else ''}\n" + "\n".join(lines) + f"\n{fence}"


def _render_block(block: Block, style: DocumentStyle, vocabulary: set[str], depth: int) -> str:
    if block.kind == "heading":
        level = style.level_of(heading_style(block.first), numbering_depth(block.first))
        return "#" * level + " " + paragraph_markdown(block.lines, vocabulary, plain=True)
    if block.kind == "footnote":
        text = paragraph_markdown(block.lines, vocabulary)
        mark = text.split("]", 1)[0].removeprefix("[^") if text.startswith("[^") else ""
        return f"[^{mark}]: {text.split(']', 1)[1].strip()}" if mark else text
    if block.kind == "table" and "cells" in block.first.extra:
        return ruled_table_markdown(cell_lines(block.first.extra["cells"], block.first.page), vocabulary)
    if block.kind == "table":
        return table_markdown(block.lines)
    if block.kind == "image":
        return block.first.extra.get("markdown", "")
    text = paragraph_markdown(block.lines, vocabulary)
    if block.kind == "list_item":
        return _list_item(text, depth)
    return escape_line_starts(text)


def ruled_table_markdown(grid: list[list[list]], vocabulary: set[str]) -> str:
    """A pipe table from a ruled grid: each cell's lines as one inline-markdown paragraph."""
    rows = [
        [paragraph_markdown(cell, vocabulary, plain=index == 0).replace("|", "\\|") if cell else "" for cell in row]
        for index, row in enumerate(grid)  # header cells are bold by the renderer's default, not by the author
    ]
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    return pipe_table(rows) if rows else ""


def _list_item(text: str, depth: int) -> str:
    """`-   item` or `1.  item`, indented four spaces per nesting level."""
    match = LIST_MARKER.match(text.replace("\\*", "*", 1))
    marker = match.group(0) if match else "-"
    body = escape_line_starts(text[len(marker) + (1 if text.startswith("\\*") else 0) :].strip() if match else text)
    bullet = marker if marker[:1].isalnum() or marker[:1] == "(" else "-"
    if bullet != "-":
        bullet = bullet.strip("()").rstrip(".)") + "."
    return " " * 4 * depth + f"{bullet:<4}{body}"


def _list_nesting(blocks: list[Block]) -> dict[int, int]:
    """Nesting depth of each list item, from the distinct left positions within a run of list items."""
    depths: dict[int, int] = {}
    run: list[int] = []
    for index, block in enumerate(blocks + [Block("end")]):
        if block.kind == "list_item":
            run.append(index)
            continue
        if run:
            lefts = sorted({round(blocks[i].first.x0 - blocks[i].first.left_edge) for i in run})
            levels = _cluster(lefts, tolerance=0.6 * style_size(blocks[run[0]]))
            for i in run:
                depths[i] = levels[round(blocks[i].first.x0 - blocks[i].first.left_edge)]
            run = []
    return depths


def style_size(block: Block) -> float:
    return block.first.size


def _cluster(values: list[int], tolerance: float) -> dict[int, int]:
    """Map sorted positions to levels, treating positions closer than `tolerance` as one level."""
    levels: dict[int, int] = {}
    level, last = -1, None
    for value in values:
        if last is None or value - last > tolerance:
            level += 1
            last = value
        levels[value] = min(level, 3)
    return levels
