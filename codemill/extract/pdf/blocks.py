"""Classify lines (heading, code, text) and group them into blocks along the reading flow.

The flow runs through every page and column in reading order, so a paragraph or a code listing
cut by a page or column break is continued rather than split.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from codemill.extract.pdf.lines import WRAP_MARKS, Line
from codemill.extract.pdf.prompts import ends_cell
from codemill.extract.pdf.spans import Span
from codemill.extract.pdf.tables import mark_tables
from codemill.extract.pdf.styles import CODE_SHARE, HEADING_SIZE_RATIO, DocumentStyle, heading_style

LIST_MARKER = re.compile(r"^(?:[•◦▪‣●○■□➢►▸∙·–—*-]|\(?(?:\d{1,3}|[a-z]|[ivx]{1,5})[.)])(?=\s)", re.IGNORECASE)
NOTE_MARK = re.compile(r"^(?:\d{1,3}|[*†‡§¶]{1,3})$")
_SENTENCE_END = re.compile(r"[.!?:;]['’”)]*$")
# a numbered caption: 'Figure 1. If Logic', 'Fig. 2:', 'Table 3.1.', 'Listing 4 -'; DocBook sets figure titles
# bold and larger than the body, but they are captions, not section titles
_CAPTION = re.compile(r"^(?:figure|fig\.|table|listing)\s+[A-Z]?\d{1,3}(?:[.-]\d{1,3})*\s*[.:—–-](?:\s|$)", re.IGNORECASE)


@dataclass
class Block:
    """A heading, paragraph, list item, code listing or image placeholder, with its lines."""

    kind: str
    lines: list[Line] = field(default_factory=list)
    level: int = 0
    blank_before: list[int] = field(default_factory=list)  # code: blank lines before each line

    @property
    def first(self) -> Line:
        return self.lines[0]

    @property
    def last(self) -> Line:
        return self.lines[-1]


def classify(lines: list[Line], style: DocumentStyle) -> None:
    """Set each non-furniture line's kind to code, heading or text."""
    previous = None
    for index, line in enumerate(lines):
        if line.kind in ("furniture", "image", "figure", "table", "contents"):
            continue  # tables here are ruled grids, found from the page's drawings
        mono = line.share("mono")
        if _is_note(line, style) or (_starts_with_mark(line) and _note_at_foot(lines, index, style)):
            line.kind = "footnote"
            line.spans[0].script = True  # a mark set small on the note's baseline (groff) is a mark all the same
        elif _glued_mark(line, style) and _note_at_foot(lines, index, style, apart=1.3):
            line.kind = "footnote"
            _mark_glued_reference(lines, index, _split_glued_mark(line))
        elif _ends_heading(line, previous):
            line.kind = "heading"
        elif mono >= CODE_SHARE or _wrap_continuation(line, previous):
            line.kind = "code"
        elif line.size >= style.body_size * HEADING_SIZE_RATIO and mono < 0.5 and re.search(r"[^\W\d_]", line.text) and not _CAPTION.match(line.text.strip()):
            line.kind = "heading"
        else:
            line.kind = "text"
        previous = line
    _mark_numbered_blank_lines(lines, style)
    _demote_inline_code(lines, style)
    mark_tables(lines)


def _mark_numbered_blank_lines(lines: list[Line], style: DocumentStyle) -> None:
    """A blank line of a listing numbered in the margin leaves its number alone on the row: small bare
    numbers in line with the numbers of the code lines around them are left out like the other numbers,
    and the gap they stood in makes the blank lines."""
    bare = [line.kind == "text" and line.text.strip().isdigit() and line.size <= 0.8 * style.body_size for line in lines]
    index = 1
    while index < len(lines) - 1:
        end = index
        while end < len(lines) - 1 and bare[end]:
            end += 1  # a run of blank lines
        before, after = lines[index - 1], lines[end]
        if end > index and all(o.kind == "code" and _numbered_at(o, lines[index]) for o in (before, after)):
            for line in lines[index:end]:
                line.kind = "furniture"
        index = end + 1


def _numbered_at(code: Line, number: Line) -> bool:
    first = code.spans[0]
    aligned = min(abs(first.x0 - number.x0), abs(first.x1 - number.x1)) <= 0.6 * first.size  # set flush left or right
    return first.text.strip().isdigit() and not first.mono and aligned


def _ends_heading(line: Line, previous: Line | None) -> bool:
    """A heading's second line that a narrow column filled mostly with code ('... with `continue`'),
    the code at the heading's size or smaller in its weight (Typst sets code at 0.8 em)."""
    if previous is None or previous.kind != "heading" or line.share("mono") < 0.5 or not _heading_code_size(line, previous):
        return False
    if not _same_place(previous, line):
        return line.text[:1].islower()  # pushed on past a column or page break
    return 0 < line.baseline - previous.baseline <= 1.6 * line.size


def _wrap_continuation(line: Line, previous: Line | None) -> bool:
    """The rest of a code line the typesetter broke, after its continuation mark (set in a text or
    math font, so a short rest falls below the code share)."""
    visible = [span for span in line.spans if span.text.strip()]
    if previous is None or previous.kind != "code" or len(visible) < 2 or len(visible[0].text.strip()) != 1 or visible[0].text.strip() not in WRAP_MARKS:
        return False
    return all(span.mono for span in visible[1:])


def _is_note(line: Line, style: DocumentStyle) -> bool:
    """A footnote starts with a raised mark (digits or a symbol) and is set smaller than the body."""
    return _starts_with_mark(line) and line.size < style.body_size - 0.5


def _starts_with_mark(line: Line) -> bool:
    """The line starts with a note mark: raised, or set smaller than the prose after it on its baseline."""
    first = line.spans[0]
    if len(line.spans) < 2 or not NOTE_MARK.match(first.text.strip()):
        return False
    after = next((span for span in line.spans[1:] if span.text.strip()), None)
    return first.script or (after is not None and not after.mono and first.size <= 0.8 * after.size)


_GLUED_MARK = re.compile(r"^(\d{1,3})(?=[A-Z][a-z])")


def _glued_mark(line: Line, style: DocumentStyle) -> bool:
    """A note whose mark is a superscript glyph of the text font (Typst), so neither raised nor smaller:
    a small line starting with digits glued to a capitalised word ('1We will ...')."""
    first = line.spans[0]
    return not first.mono and line.size < style.body_size - 0.5 and bool(_GLUED_MARK.match(first.text))


def _split_glued_mark(line: Line) -> str:
    """Cut the glued mark off the line's first span as a script span; returns the mark."""
    mark = _GLUED_MARK.match(line.spans[0].text).group(1)
    line.spans[0:1] = _cut(line.spans[0], 0, len(mark))
    line._text = None
    return mark


def _cut(span: Span, start: int, end: int) -> list[Span]:
    """The span as [before, script mark, after] for the characters start:end (empty pieces left out)."""
    width = span.char_width
    pieces = [(span.text[:start], False), (span.text[start:end], True), (span.text[end:], False)]
    out, x = [], span.x0
    for text, script in pieces:
        if text:
            out.append(replace(span, text=text, x0=x, x1=x + width * len(text), script=script))
            x += width * len(text)
    return out


def _mark_glued_reference(lines: list[Line], index: int, mark: str) -> None:
    """The note's reference in the text above it on its page, glued to the word it follows ('loops1.'),
    in the word's span or in the next one that touches it (after an italic word)."""
    pattern = re.compile(rf"(?:(?<=[^\W\d_])|(?<=[.,;:!?)\]”’\"])){mark}(?!\w)")
    for line in reversed(lines[:index]):
        if line.page != lines[index].page:
            return
        if line.kind != "text":
            continue
        for i in range(len(line.spans) - 1, -1, -1):
            span = line.spans[i]
            text = (line.spans[i - 1].text[-1:] if i and span.x0 - line.spans[i - 1].x1 < 0.1 * span.size else " ") + span.text
            found = None if span.mono or span.script else [m for m in pattern.finditer(text) if m.start()]
            if found:  # matched on the span's text after one character of the span before it
                line.spans[i : i + 1] = _cut(span, found[-1].start() - 1, found[-1].end() - 1)
                line._text = None
                return


def _note_at_foot(lines: list[Line], index: int, style: DocumentStyle, apart: float = 2.0) -> bool:
    """Set apart from the text above (more than `apart` body lines down) with only a compact run of
    prose below it to the foot of its column: a footnote set at the body size (Writer's DOCX export),
    or a smaller one (`apart` 1.3) whose mark is no clear sign on its own."""
    line = lines[index]
    above = next((prev for prev in reversed(lines[:index]) if prev.kind != "furniture"), None)
    if above is not None and above.page == line.page and above.column == line.column and line.baseline - above.baseline <= apart * style.body_pitch:
        return False
    above = line
    for below in lines[index + 1 :]:
        if below.kind == "furniture":
            continue
        if below.page != line.page or below.column != line.column:
            return True
        if below.share("mono") >= CODE_SHARE or below.size > line.size + 0.5 or below.baseline - above.baseline > 2 * below.size:
            return False
        above = below
    return True


def _demote_inline_code(lines: list[Line], style: DocumentStyle) -> None:
    """A lone monospace line set at prose spacing between prose lines is wrapped inline code; so is
    one set at prose spacing under a prose line that it ends with prose punctuation ('`choice`:')."""
    for i in range(1, len(lines)):
        prev, line, nxt = lines[i - 1], lines[i], lines[i + 1] if i + 1 < len(lines) else None
        if line.kind != "code" or prev.kind != "text" or not _close(prev, line, style.body_pitch):
            continue
        ends_prose = not line.spans[-1].mono and line.spans[-1].text.strip() in (".", ",", ":", ";", "?", "!", ").", "):")
        if ends_prose or (nxt is not None and nxt.kind == "text" and _close(line, nxt, style.body_pitch)):
            line.kind = "text"


def _close(a: Line, b: Line, pitch: float) -> bool:
    same_place = a.page == b.page and a.column == b.column and a.section == b.section
    return same_place and 0 < b.baseline - a.baseline <= 1.2 * pitch


def _same_place(a: Line, b: Line) -> bool:
    return a.page == b.page and a.column == b.column and a.section == b.section


def build_blocks(lines: list[Line], style: DocumentStyle) -> list[Block]:
    """Walk the flow once, extending the open block or starting a new one at each line."""
    blocks: list[Block] = []
    notes: list[Block] = []  # footnotes leave the flow so text around them still joins
    for line in lines:
        if line.kind in ("furniture", "figure", "contents"):
            continue
        current = blocks[-1] if blocks else None
        if notes and _continues(notes[-1], line, style) and notes[-1].last.page == line.page:
            notes[-1].lines.append(line)
            continue
        if current is not None and _continues(current, line, style):
            if current.kind == "code":
                current.blank_before.append(_blank_lines(current.last, line, style))
            current.lines.append(line)
            continue
        (notes if line.kind == "footnote" else blocks).append(_open_block(line))
    blocks = [_url_paragraph(block) for block in blocks]
    promoted = [_promote_bold_line(block, style) for block in blocks]
    if sum(1 for old, new in zip(blocks, promoted) if old is not new) < 2:
        promoted = blocks  # a single bold line is emphasis; a heading style recurs
    return _drop_heading_labels(promoted) + notes


_HEADING_LABEL = re.compile(r"^(?:(?:chapter|part|appendix|lesson|unit|section)\s+)?[\dIVXLC]{1,5}[.:]?$|^(?:chapter|part|appendix)\s+[A-Z]$", re.IGNORECASE)


def _drop_heading_labels(blocks: list[Block]) -> list[Block]:
    """A bare label such as 'Chapter 3' set as a heading right above the real title is numbering, not a title."""
    kept = []
    for index, block in enumerate(blocks):
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        is_label = block.kind == "heading" and _HEADING_LABEL.match(" ".join(line.text for line in block.lines).strip())
        if is_label and following is not None and following.kind == "heading":
            continue
        kept.append(block)
    return kept


_LONE_URL = re.compile(r"^(?:[a-z][a-z+.-]*://|www\.)\S+$", re.IGNORECASE)


def _url_paragraph(block: Block) -> Block:
    """A one-line listing that is only a URL (LaTeX's \\url and ConTeXt set URLs in the typewriter
    font, alone on a line after 'available at') is a paragraph holding the link, not code."""
    if block.kind != "code" or len(block.lines) != 1 or not _LONE_URL.match(block.first.text.strip()):
        return block
    return Block("paragraph", list(block.lines))


def _open_block(line: Line) -> Block:
    if line.kind == "code":
        return Block("code", [line], blank_before=[0])
    if line.kind in ("heading", "image", "footnote", "table"):
        return Block(line.kind, [line])
    if LIST_MARKER.match(line.text) or line.extra.get("bullet"):
        return Block("list_item", [line])
    return Block("paragraph", [line])


def _heading_code_size(line: Line, heading: Line) -> bool:
    """A line mostly of code set at the heading's size, or smaller but as bold as the heading."""
    if line.share("mono") < 0.5:
        return False
    bold = (line.share("bold") > 0.5) == (heading.share("bold") > 0.5)
    return abs(line.size - heading.size) < 0.5 or (bold and 0.75 * heading.size <= line.size < heading.size)


def _continues(block: Block, line: Line, style: DocumentStyle) -> bool:
    prev = block.last
    if block.kind == "code":
        if ends_cell(block.first, line):
            return False
        return line.kind == "code" and (not _same_place(prev, line) or _blank_lines(prev, line, style) >= 0)
    if block.kind == "heading":
        if line.kind != "heading" or (heading_style(line)[:2] != heading_style(prev)[:2] and not _heading_code_size(line, block.first)):
            return False
        if not _same_place(prev, line):
            return line.text[:1].islower()  # a title broken by a column or page break
        # a wide line gap (Writer sets titles at 1.6 lines) still holds one title when it runs on lowercase
        return line.baseline - prev.baseline <= (2.0 if line.text[:1].islower() else 1.6) * line.size
    if block.kind == "table":
        return line.kind == "table" and line.extra["table"] == prev.extra["table"]
    if block.kind == "footnote":
        return line.kind == "text" and _same_place(prev, line) and abs(line.size - prev.size) <= 0.5 and 0 < line.baseline - prev.baseline <= 1.6 * line.size
    if block.kind in ("paragraph", "list_item"):
        starts_item = (LIST_MARKER.match(line.text) and not _wrapped_number(prev, line)) or line.extra.get("bullet")
        return line.kind == "text" and not starts_item and _text_continues(block, prev, line, style)
    return False


def _wrapped_number(prev: Line, line: Line) -> bool:
    """'6. Since ...' after a full line that ends mid-sentence is a number the line break put first."""
    if line.text[:1] in "•◦▪‣●○■□➢►▸∙·–—*-":
        return False
    full = prev.x1 >= prev.right_edge - 2.0 * prev.size
    return _same_place(prev, line) and full and not _SENTENCE_END.search(prev.text.rstrip())


def _text_continues(block: Block, prev: Line, line: Line, style: DocumentStyle) -> bool:
    if abs(line.prose_size - prev.prose_size) > 1.0:
        return False
    indented = line.x0 - line.left_edge > 0.8 * line.size
    bold_to_regular = prev.share("bold") >= 0.95 and line.share("bold") < 0.5
    if not _same_place(prev, line):
        if bold_to_regular:
            return False  # a bold heading line ending a column does not run on into the next
        full = prev.x1 >= prev.right_edge - 2.0 * prev.size
        lower = line.text[:1].islower()  # ragged-right columns end short; a lowercase start still continues
        if indented:
            return False
        return ((full or lower) and not _SENTENCE_END.search(prev.text.rstrip())) or (style.ragged and _broken_for_room(prev, line))
    step = line.baseline - prev.baseline
    if abs(step) < 0.3 * line.size and line.x0 > prev.x1:
        return True  # the next piece of the same row (a term and its definition, say)
    if not 0 < step <= 1.3 * max(style.body_pitch * line.size / style.body_size, 1.05 * line.size):
        return False
    if block.kind == "paragraph" and indented and prev.x0 - prev.left_edge < 0.5 * prev.size:
        if not _hanging(prev, line):
            return False  # first-line indent after a short last line starts a new paragraph
    width = prev.right_edge - prev.left_edge
    short = prev.x1 < prev.right_edge - 0.25 * width
    if short and bold_to_regular:
        return False  # a short bold line over regular text is a run-in heading
    ends = short and _SENTENCE_END.search(prev.text.rstrip()) and line.text[:1].isupper()
    return not ends or (style.ragged and _no_room(prev, line))


def _broken_for_room(prev: Line, line: Line) -> bool:
    """A ragged-right line that ends a column is broken for room, not at a paragraph's end, when it
    is long and the next line's first word would not have fitted after it."""
    width = prev.right_edge - prev.left_edge
    return prev.x1 > prev.right_edge - 0.15 * width and _no_room(prev, line)


def _no_room(prev: Line, line: Line) -> bool:
    """The next line's first word would not have fitted after this line (so the break was for room)."""
    word = line.text.split(" ", 1)[0]
    char = (line.x1 - line.x0) / max(len(line.text), 1)
    return prev.x1 + char * (len(word) + 1) > prev.right_edge


def _hanging(prev: Line, line: Line) -> bool:
    """An indented line continues a hanging-indent paragraph when the line above is full or has
    text starting at the same x (a term followed by its definition)."""
    if prev.x1 >= prev.right_edge - 2.0 * prev.size:
        return True
    return any(abs(span.x0 - line.x0) < 2.0 for span in prev.spans[1:])


def _blank_lines(prev: Line, line: Line, style: DocumentStyle) -> int:
    """Blank lines between two code lines from their baseline distance; -1 when they are not one listing."""
    if not _same_place(prev, line):
        return _blanks_at_top(line, style)
    steps = (line.baseline - prev.baseline) / style.code_pitch_at(line.size)
    whole = round(steps)
    if whole < 1 or abs(steps - whole) > 0.2 or whole > 5:
        return -1
    return whole - 1


def _blanks_at_top(line: Line, style: DocumentStyle) -> int:
    """A listing continued on a new page or column whose next line starts a whole code line (or two)
    below where the page's text starts kept the blank line that fell at the break (Typst does)."""
    if style.top is None or line.section:
        return 0
    steps = (line.baseline - style.top) / style.code_pitch_at(line.size)
    whole = round(steps)
    return whole if 1 <= whole <= 2 and abs(steps - whole) < 0.25 else 0


def _promote_bold_line(block: Block, style: DocumentStyle) -> Block:
    """A short, standalone, all-bold paragraph (a line, or two in a narrow column) at body size or
    above is a heading too."""
    if block.kind != "paragraph" or len(block.lines) > 2:
        return block
    text = " ".join(line.text.strip() for line in block.lines)
    if any(line.share("bold") < 0.95 or line.size < style.body_size - 0.5 for line in block.lines) or len(text) > 100:
        return block
    if not re.search(r"[^\W\d_]", text) or re.search(r"[.,;:]$", text) or _CAPTION.match(text):
        return block
    return Block("heading", list(block.lines))
