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
    a line below, starts right of it in monospace (a prompt set a little above the code's baseline).
    A prompt inside a printed IPython session is the session's text and stays (see `_in_session`)."""
    found = []
    for index, row in enumerate(rows):
        prompt = _leading_prompt(row)
        if prompt is None:
            continue
        spans, word, text = prompt
        rest = [s for s in spans[1:] if s.text.strip()]
        target = rest[0] if rest else _beside_below(spans[0], rows[index + 1] if index + 1 < len(rows) else [])
        if target is not None and target.mono and target.x0 >= spans[0].x1 + 0.33 * target.size:
            found.append((index, spans, word, _PROMPT.fullmatch(text).group(2), target))
    marks: dict[int, str] = {}
    last = None
    for index, spans, word, number, target in found:
        if _in_session(rows, index, spans[0], target):
            continue
        output = word == "Out" or (word is None and last is not None and number != "" and number == last)
        marks[id(target)] = "out" if output else "in"
        last = number
        rows[index][:] = spans[1:] if any(s is target for s in spans) else []
    return marks


def _leading_prompt(row: list[Span]) -> tuple[list[Span], str | None, str] | None:
    """([prompt span, the row's other spans...], 'In'/'Out'/None, prompt text) when the row starts with
    a prompt (cut into spans, or glued into one span with the code after it)."""
    glued = _split_glued(row[0]) if row else None
    if glued is not None:
        return [glued[0], glued[1], *row[1:]], *_prompt_word(glued[0].text)
    text = ""
    for count, span in enumerate(row[:_MAX_SPANS], start=1):
        text += span.text
        if _PROMPT.fullmatch(text.strip()):
            first = row[0] if count == 1 else _merged(row[:count])
            return [first, *row[count:]], *_prompt_word(text.strip())
        if not _PARTIAL.fullmatch(text.strip()):
            return None
    return None


def _prompt_word(text: str) -> tuple[str | None, str]:
    return _PROMPT.fullmatch(text).group(1), text


def _merged(spans: list[Span]) -> Span:
    """One span for a prompt read as several."""
    first, end = spans[0], spans[-1]
    return Span("".join(s.text for s in spans), first.font, first.size, first.mono, first.bold, first.italic,
                first.x0, min(s.y0 for s in spans), end.x1, max(s.y1 for s in spans), first.baseline)


def _split_glued(first: Span) -> tuple[Span, Span] | None:
    """`[3]: x = 1` read as one monospace span -> the prompt's span and the code's, the code's start
    moved by the prompt's characters (a monospace span advances evenly); None for any other span."""
    match = _GLUED.match(first.text) if first.mono else None
    if not match:
        return None
    width, cut = first.char_width, match.end()
    part = lambda text, x0, x1: Span(text, first.font, first.size, first.mono, first.bold, first.italic, x0, first.y0, x1, first.y1, first.baseline)
    return part(match.group(1), first.x0, first.x0 + len(match.group(1)) * width), part(first.text[cut:], first.x0 + cut * width, first.x1)


def _in_session(rows: list[list[Span]], index: int, prompt: Span, code: Span) -> bool:
    """The prompt is part of an IPython session printed as one listing (`In [1]:`, output and the next
    prompt at one line pitch, all from one left edge): a monospace line within a line pitch of it,
    or of its neighbours so chained, starts no further right than the prompt. A notebook cell's own
    lines start at its code, right of the prompt, and cells stand apart by more than a line."""
    pitch = 1.4 * code.size
    window = (prompt.x0 - 2 * code.size, prompt.x0 + 0.3 * code.size)
    for step in (-1, 1):
        at, baseline = index + step, code.baseline
        while 0 <= at < len(rows) and rows[at] and abs(rows[at][0].baseline - baseline) <= pitch:
            near = [s for s in rows[at] if s.text.strip() and s.mono and window[0] <= s.x0 <= code.x1]
            if not near:
                break
            if near[0].x0 <= window[1]:
                return True
            at, baseline = at + step, rows[at][0].baseline
    return False


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
