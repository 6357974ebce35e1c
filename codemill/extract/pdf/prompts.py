"""Notebook execution prompts (`[3]:`, `In [3]:`, `Out[3]:`): print furniture set left of a cell's code
or output, never part of it. They are taken off a page's rows before lines are cut and code is placed,
and the line they stood before remembers them: a prompt starts a cell, and an output prompt marks output.
"""

from __future__ import annotations

import re

from codemill.extract.pdf.lines import Line
from codemill.extract.pdf.spans import Span

_PROMPT = re.compile(r"(?:(In|Out)\s?)?\[\s*(\d*)\s*\]:")
_GLUED = re.compile(r"((?:(?:In|Out)\s?)?\[\s*\d*\s*\]:)( +)(?=\S)")
_PARTIAL = re.compile(r"(?:In|Out)?\s?\[?\s*\d*\s*\]?")  # the start of a prompt cut into several spans
_MAX_SPANS = 5  # 'In', ' ', '[', '3', ']:' at most, as a PDF may cut a prompt


def strip_prompts(rows: list[list[Span]]) -> dict[int, str]:
    """Remove execution prompts from `rows` (baseline-grouped, each sorted by x), in place. Returns, keyed
    by id() of the first span each prompt stood before, "out" for an output prompt (`Out[n]:`, or a
    number the prompt just before already had: nbconvert prints `[n]:` for both) and "in" otherwise.

    A prompt counts only as the first thing on its row, with monospace text starting right of it
    (at least a third of an em away); a prompt alone on its row counts when the next row, less than
    a line below, starts right of it in monospace (a prompt set a little above the code's baseline)."""
    marks: dict[int, str] = {}
    last = None
    for index, row in enumerate(rows):
        found = _leading_prompt(row)
        if found is None:
            continue
        count, word, end = found
        rest = [s for s in row[count:] if s.text.strip()]
        target = rest[0] if rest else _beside_below(row[count - 1], rows[index + 1] if index + 1 < len(rows) else [])
        if target is None or not target.mono or target.x0 < row[count - 1].x1 + 0.33 * target.size:
            continue
        number = _PROMPT.fullmatch(end).group(2)
        output = word == "Out" or (word is None and last is not None and number != "" and number == last)
        marks[id(target)] = "out" if output else "in"
        last = number
        del row[:count]
    return marks


def _leading_prompt(row: list[Span]) -> tuple[int, str | None, str] | None:
    """(spans taken, 'In'/'Out'/None, prompt text) when the row starts with a prompt; a prompt glued
    into one span with the code after it is cut out of that span first."""
    _split_glued(row)
    text = ""
    for count, span in enumerate(row[:_MAX_SPANS], start=1):
        text += span.text
        match = _PROMPT.fullmatch(text.strip())
        if match:
            return count, match.group(1), match.group(0)
        if not _PARTIAL.fullmatch(text.strip()):
            return None
    return None


def _split_glued(row: list[Span]) -> None:
    """`[3]: x = 1` read as one monospace span: the prompt and the code become two spans, the code's
    start moved by the prompt's characters (a monospace span advances evenly)."""
    if not row or not row[0].mono:
        return
    first = row[0]
    match = _GLUED.match(first.text)
    if not match:
        return
    width = first.char_width
    cut = match.end()
    rest = Span(first.text[cut:], first.font, first.size, first.mono, first.bold, first.italic,
                first.x0 + cut * width, first.y0, first.x1, first.y1, first.baseline)
    first.text, first.x1 = match.group(1), first.x0 + len(match.group(1)) * width
    row.insert(1, rest)


def _beside_below(prompt: Span, row: list[Span]) -> Span | None:
    """The first text of the next row when it sits less than a line below the prompt and starts right of it."""
    rest = [s for s in row if s.text.strip()]
    if not rest or not 0 < rest[0].baseline - prompt.baseline < 1.2 * rest[0].size or rest[0].x0 <= prompt.x1:
        return None
    return rest[0]


def ends_cell(first: Line, line: Line) -> bool:
    """`line` cannot go on the listing that `first` opens: it carries a prompt of its own, or `first`
    carries one and `line` starts left of it on the same page and column. A cell's first statement is
    not indented, so what starts further left is the output printed under the cell's box."""
    if "prompt" in line.extra:
        return True
    same_place = (first.page, first.column, first.section) == (line.page, line.column, line.section)
    return "prompt" in first.extra and same_place and line.x0 < first.x0 - 0.25 * line.size
