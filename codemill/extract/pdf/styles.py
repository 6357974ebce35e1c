"""Whole-document font statistics: the body size, code metrics and the ranked heading styles."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from statistics import median

from codemill.extract.pdf.lines import Line

HEADING_SIZE_RATIO = 1.12  # a line this much larger than the body text can be a heading
CODE_SHARE = 0.85  # share of monospace characters that makes a line a code line


@dataclass
class DocumentStyle:
    """What the body text looks like, so that headings and code can be told apart from it."""

    body_size: float = 10.0
    body_family: str = ""
    body_pitch: float = 12.0
    code_pitch: float = 12.0  # line pitch of code set at the body size
    code_pitches: dict[float, float] = field(default_factory=dict)  # code size -> its line pitch
    mono_width: dict[float, float] = field(default_factory=dict)  # size -> character width
    heading_levels: dict[tuple, int] = field(default_factory=dict)  # heading style -> level
    heading_depths: dict[tuple, list[int]] = field(default_factory=dict)  # style -> numbering depths, one level each
    marks_wraps: bool = False  # long code lines wrap at the column edge, keeping the space they broke at
    ragged: bool = False  # prose is set ragged-right (HTML's default), not justified
    top: float | None = None  # the baseline a page's text usually starts at (median over the pages)

    def char_width(self, size: float) -> float:
        if size in self.mono_width:
            return self.mono_width[size]
        return 0.6 * size  # the usual advance of a monospace glyph, in ems

    def level_of(self, heading: tuple, depth: int = 0) -> int:
        """A heading style's level, one deeper for each numbering depth its style spans (`depth`: the
        heading's own); a style not ranked (a heading line set all in code) takes the level of a
        ranked style of the same size and weight."""
        if heading in self.heading_levels:
            depths = self.heading_depths.get(heading, [])
            return min(self.heading_levels[heading] + (depths.index(depth) if depth in depths else 0), 6)
        return min((level for s, level in self.heading_levels.items() if s[:2] == heading[:2]), default=6)

    def code_pitch_at(self, size: float) -> float:
        """Line pitch of code set at `size`: measured for that size, else scaled from the body-size code."""
        if size in self.code_pitches:
            return self.code_pitches[size]
        return self.code_pitch * size / self.body_size


def heading_style(line: Line) -> tuple[float, bool, str]:
    """The style a heading's level is decided from: its size (to half a point), boldness and font family."""
    return (round(line.size * 2) / 2, line.share("bold") > 0.5, _main_family(line))


def font_family(font: str) -> str:
    """'ABCDEF+NimbusSanL-Bold' -> 'nimbussanl': the family without subset tag and style suffix."""
    return font.split("+")[-1].split("-")[0].split(",")[0].lower()


def _main_family(line: Line) -> str:
    """The family of the line's longest prose span (an inline code word does not change the style);
    empty for a line set all in code."""
    prose = [s for s in line.spans if not s.mono and s.text.strip()]
    return font_family(max(prose, key=lambda s: len(s.text)).font) if prose else ""


def measure(lines: list[Line]) -> DocumentStyle:
    """Body size from the most common size of prose characters; pitches and monospace widths."""
    prose_sizes: Counter = Counter()
    families: Counter = Counter()
    widths: dict[float, list[float]] = {}
    for line in lines:
        for span in line.spans:
            visible = len(span.text.strip())
            if span.mono and visible >= 2:
                widths.setdefault(span.size, []).append(span.char_width)
            elif not span.mono:
                prose_sizes[span.size] += visible
                families[span.font] += visible
    style = DocumentStyle()
    if prose_sizes:
        style.body_size = prose_sizes.most_common(1)[0][0]
    elif widths:
        style.body_size = max(widths, key=lambda size: len(widths[size]))
    if families:
        style.body_family = font_family(families.most_common(1)[0][0])
    style.mono_width = {size: median(ws) for size, ws in widths.items()}
    style.body_pitch = _pitch(lines, style, code=False)
    style.code_pitch = _pitch(lines, style, code=True)
    style.code_pitches = _code_pitches(lines)
    style.ragged = _ragged(lines, style.body_size)
    style.marks_wraps = _marks_wraps(lines)
    style.top = _page_top(lines)
    return style


def _page_top(lines: list[Line]) -> float | None:
    """The median over pages of the first text line's baseline (None for fewer than three pages)."""
    first: dict[int, float] = {}
    for line in lines:
        first[line.page] = min(line.baseline, first.get(line.page, line.baseline))
    return median(first.values()) if len(first) >= 3 else None


def _ragged(lines: list[Line], body_size: float) -> bool:
    """Justified prose ends most lines exactly at the column's right edge; ragged-right prose does not."""
    prose = [line for line in lines if line.share("mono") < 0.5 and abs(line.size - body_size) < 0.5]
    if len(prose) < 10:
        return False
    at_edge = sum(1 for line in prose if abs(line.x1 - line.right_edge) < 1.0)
    return at_edge < 0.2 * len(prose)


def _marks_wraps(lines: list[Line]) -> bool:
    """Whether the renderer wraps long code lines and marks each wrap by keeping the space it broke
    at (Chromium's `pre-wrap` does): code lines ending in a space near the column edge. Clipped code
    (cut off at the edge, line after line) is not wrapped, whatever its last character."""
    marked = at_edge = 0
    for line in lines:
        if line.share("mono") < CODE_SHARE:
            continue
        char = (line.x1 - line.x0) / max(len(line.text), 1)
        marked += line.text.endswith(" ") and line.x1 > line.right_edge - 12 * char
        at_edge += abs(line.x1 - line.right_edge) < 0.5
    return marked >= 1 and at_edge < 0.6 * max(marked, 1) + 2


def _code_pitches(lines: list[Line]) -> dict[float, float]:
    """For each size of code, the smallest common step between consecutive code lines of that size
    (HTML renderers set code smaller than the body, with its own line height)."""
    steps: dict[float, Counter] = {}
    for prev, line in zip(lines, lines[1:]):
        same_place = prev.page == line.page and prev.column == line.column and prev.section == line.section
        if not same_place or line.size != prev.size or min(line.share("mono"), prev.share("mono")) < CODE_SHARE:
            continue
        step = round((line.baseline - prev.baseline) * 4) / 4
        if 0.9 * line.size < step < 2.0 * line.size:
            steps.setdefault(line.size, Counter())[step] += 1
    return {size: _smallest_common(counts) for size, counts in steps.items() if sum(counts.values()) >= 3}


def _smallest_common(steps: Counter) -> float:
    """Paragraph spacing can outnumber line spacing; the line pitch is the smallest common step."""
    top = steps.most_common(1)[0][1]
    return min(step for step, count in steps.items() if count >= 0.3 * top)


def _pitch(lines: list[Line], style: DocumentStyle, code: bool) -> float:
    """The most common distance between consecutive baselines of body-size lines of one kind."""
    steps: Counter = Counter()
    for prev, line in zip(lines, lines[1:]):
        same_place = prev.page == line.page and prev.column == line.column and prev.section == line.section
        is_code = line.share("mono") >= CODE_SHARE and prev.share("mono") >= CODE_SHARE
        if not same_place or is_code != code or abs(line.size - style.body_size) > 1.5:
            continue
        step = round((line.baseline - prev.baseline) * 2) / 2
        if 0.9 * line.size < step < 2.0 * line.size:
            steps[step] += 1
    if not steps:
        return 1.2 * style.body_size
    return _smallest_common(steps)


def trusted_heading_styles(candidates: list[Line], body_size: float) -> set[tuple]:
    """Heading styles worth a level: bold ones, regular ones larger than the body that are used more
    than once, and the largest (a chapter title). Odd one-off sizes are figure labels."""
    counts = Counter(heading_style(line) for line in candidates)
    large = {s for s in counts if s[0] >= 1.15 * body_size and _title_like([c for c in candidates if heading_style(c) == s])}
    largest = max(large | {s for s in counts if s[1]}, default=None, key=lambda s: (s[0], s[1]))
    return {s for s in counts if s[1] or s == largest or (s in large and counts[s] >= 2)}


def front_matter_styles(headings: list[Line], title_pages: set[int]) -> set[tuple]:
    """Heading styles used once, on a title page (one of the first few pages, holding only a few
    lines), and not the largest: a cover's subtitle or publisher line. They get no level of their
    own, so they do not push every real heading one level down."""
    sequence = [heading_style(line) for line in headings]
    counts = Counter(sequence)
    largest = max(sequence, default=None, key=lambda s: (s[0], s[1]))
    return {s for s, line in zip(sequence, headings) if counts[s] == 1 and s != largest and line.page in title_pages}


def _title_like(lines: list[Line]) -> bool:
    """Lines of a regular-weight style read as titles: upright, and mostly not ending a sentence
    (large italic verses and pull quotes are set bigger than the body too)."""
    italic = sum(1 for line in lines if line.share("italic") > 0.5)
    sentences = sum(1 for line in lines if line.text.rstrip()[-1:] in ".!?…,;")
    return italic < 0.5 * len(lines) and sentences < 0.5 * len(lines)


def rank_headings(styles: set[tuple], body_family: str = "", depths: dict[tuple, list[int]] | None = None) -> dict[tuple, int]:
    """Rank the distinct heading styles, largest first (bold before regular, then a display font
    before the body's own family, as a bold run-in title in the body font is the lesser one), into
    levels 1..6; a style that spans several numbering depths (`depths`) takes a level for each."""
    styles = {s for s in styles if s[2] or not any(o[:2] == s[:2] and o[2] for o in styles)}  # all-code lines borrow
    ordered = sorted(styles, key=lambda s: (-s[0], not s[1], s[2] == body_family, s[2]))
    levels, level = {}, 1
    for style in ordered:
        levels[style] = min(level, 6)
        level += len((depths or {}).get(style, [])) or 1
    return levels


_SECTION_NUMBER = re.compile(r"(?:\d+|[A-Z](?=\.\d))(?:\.\d+)*(?=\.?\s)")


def numbering_depth(line: Line) -> int:
    """The number of parts in a heading's leading section number ('2.3.1 Loops' -> 3, 'A.2 Tools' -> 2); 0 unnumbered."""
    match = _SECTION_NUMBER.match(line.text.strip())
    return match.group(0).count(".") + 1 if match else 0


def numbered_depths(headings: list[Line]) -> dict[tuple, list[int]]:
    """Heading styles whose numbered headings come at two or more depths, each at least twice
    ('2.1 ...' and '2.1.1 ...' set alike, as some typesetters set their second and third levels):
    style -> its depths, shallowest first. Unnumbered headings and one-off depths decide nothing."""
    counts: dict[tuple, Counter] = {}
    for line in headings:
        depth = numbering_depth(line)
        if depth:
            counts.setdefault(heading_style(line), Counter())[depth] += 1
    spans = {style: sorted(d for d, n in found.items() if n >= 2) for style, found in counts.items()}
    return {style: depths for style, depths in spans.items() if len(depths) >= 2}
