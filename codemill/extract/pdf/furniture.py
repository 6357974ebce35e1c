"""Running heads, footers and page numbers: found by what repeats at the same place across pages.

Only lines at the outer edge of a page (the first or last few, inside the top or bottom fifth)
are candidates. A candidate is furniture when its text, with digits masked, recurs at the same
height on several pages, when it sits in a slot (height, font, size) that such repeating lines
use, when it is a bare page number set apart from the body by a gap, or when it names a title the body
sets larger or bolder, in one place on several pages (the current section as running head). Body text never qualifies
unless it also repeats at one place across pages, which body text does not.
"""

from __future__ import annotations

import re
from collections import defaultdict

from codemill.extract.pdf.lines import Line

EDGE_SHARE = 0.2  # top/bottom share of the page height where furniture can sit
EDGE_LINES = 3  # how many outermost lines per edge are candidates
_DIGITS = re.compile(r"\d+")
_ROMAN = re.compile(r"\b[ivxlcdm]+\b")
_PAGE_NUMBER = re.compile(r"^[\W_]*(?:[Pp]age\s*)?(?:\d{1,4}|[ivxlcdm]{1,7})(?:\s*(?:/|of)\s*\d{1,4})?[\W_]*$")


def _mask(text: str) -> str:
    return _ROMAN.sub("#", _DIGITS.sub("#", " ".join(text.lower().split())))


def _candidates(lines: list[Line], height: float) -> list[tuple[str, Line]]:
    """(edge, line) for the outermost lines near the top and bottom of one page."""
    by_y = sorted(lines, key=lambda line: line.y0)
    top = [("top", line) for line in by_y[:EDGE_LINES] if line.y1 <= height * EDGE_SHARE]
    bottom = [("bottom", line) for line in by_y[-EDGE_LINES:] if line.y0 >= height * (1 - EDGE_SHARE)]
    return top + bottom


def _is_isolated(line: Line, page: list[Line]) -> bool:
    """Set apart from every other line of its page by at least half its size vertically."""
    gap = 0.5 * line.size
    return all(other is line or other.y0 >= line.y1 + gap or other.y1 <= line.y0 - gap or _same_row(other, line) for other in page)


def _same_row(a: Line, b: Line) -> bool:
    return abs(a.baseline - b.baseline) < 0.35 * max(a.size, b.size)


def mark_furniture(pages: list[list[Line]], heights: list[float]) -> int:
    """Set `kind = "furniture"` on running heads, footers and page numbers; return how many."""
    min_repeats = 2 if len(pages) < 6 else 3
    by_text: dict[tuple, set[int]] = defaultdict(set)
    cands = [_candidates(lines, h) for lines, h in zip(pages, heights)]
    for page_index, page in enumerate(cands):
        for edge, line in page:
            by_text[(edge, _mask(line.text), round(line.y0 / 4))].add(page_index)
    slots: set[tuple] = set()
    marked = 0
    numbered = _numbered_edges(cands, min_repeats)
    titled = _title_heads(pages, cands, min_repeats)
    for lines in pages:
        for line in lines:
            if _CONTINUED.match(line.text.strip()):
                line.kind = "furniture"
                marked += 1
    for page_index, page in enumerate(cands):
        repeated = [
            (edge, line)
            for edge, line in page
            if len(by_text[(edge, _mask(line.text), round(line.y0 / 4))]) >= min_repeats
            and re.search(r"\w", line.text)
            and line.share("mono") < 0.5  # code output may repeat; running heads are not set as code
            # a page number in its repeating place, the page's own, even where a listing that overran the
            # text area (FOP) sits a line above it
            and (_is_isolated(line, pages[page_index]) or (page_index, id(line)) in numbered)
        ]
        if len(repeated) == len(pages[page_index]):
            continue  # furniture frames a body; a page it would empty holds the body itself
        # from the edge inwards: a section title that often opens a page ('References' under the
        # running head) repeats at one height too, but it sits nearer the body than the head
        repeated.sort(key=lambda item: item[1].y0 if item[0] == "top" else -item[1].y1)
        for edge, line in repeated:
            if not _is_outermost(line, pages[page_index], edge) or _leans_inward(line, pages[page_index], edge):
                continue
            line.kind = "furniture"
            slots.add(_slot(edge, line))
            marked += 1
    for page_index, page in enumerate(cands):
        for edge, line in page:
            if line.kind == "furniture" or not _is_isolated(line, pages[page_index]):
                continue
            page_number = _PAGE_NUMBER.match(line.text.strip()) and line.share("mono") < 0.5
            if _slot(edge, line) in slots or page_number or (page_index, id(line)) in numbered:
                if _is_outermost(line, pages[page_index], edge):
                    line.kind = "furniture"
                    marked += 1
    for page_index, edge, group in titled:
        rest = [other for other in pages[page_index] if all(other is not line for line in group)]
        if all(line.kind != "furniture" for line in group) and _group_isolated(group, rest):
            if _is_outermost(group[0] if edge == "top" else group[-1], rest + [group[0], group[-1]], edge):
                for line in group:
                    line.kind = "furniture"
                marked += len(group)
    return marked + _mark_title_date(pages)


def _group_isolated(group: list[Line], rest: list[Line]) -> bool:
    """The lines of one head (wrapped onto two lines, or one) are set apart from every other line by
    at least half their size vertically."""
    top, bottom, gap = min(line.y0 for line in group), max(line.y1 for line in group), 0.5 * group[0].size
    return all(o.y0 >= bottom + gap or o.y1 <= top - gap or any(_same_row(o, line) for line in group) for o in rest)


_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = re.compile(rf"^(?:{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\.?\s+{_MONTH}\s+\d{{4}}|{_MONTH}\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}})$", re.IGNORECASE)


def _mark_title_date(pages: list[list[Line]]) -> int:
    """The date a title block sets under the title (LaTeX's \\maketitle, nbconvert's notebooks): a line
    that is only a date, among the first page's first lines, centred under larger text (the title). It dates
    the printing, not the content. Returns 1 when marked."""
    lines = next((page for page in pages if page), [])
    left, right = min((line.x0 for line in lines), default=0.0), max((line.x1 for line in lines), default=0.0)
    first = sorted(lines, key=lambda line: line.y0)[:4]
    for index, line in enumerate(first):
        titles = [other for other in first[:index] if other.size >= 1.2 * line.size]
        centred = any(abs((line.x0 + line.x1) - (t.x0 + t.x1)) < 0.1 * (right - left) for t in titles)
        if centred and line.x0 > left + 0.1 * (right - left) and _DATE.match(line.text.strip()):
            line.kind = "furniture"
            return 1
    return 0


# a listing or table broken across pages says so (Sphinx, LaTeX longtable); the note is not content
_CONTINUED = re.compile(r"^[(\[]?(?:continued|continues) (?:on|from) (?:the )?(?:next|previous|following|preceding) page[)\].]?$", re.IGNORECASE)
_EDGE_NUMBER = re.compile(r"^\s*(\d{1,4})\b(?!\.\d)|(?<![\d.])\b(\d{1,4})\s*$")


_TITLE_LABEL = re.compile(r"^(?:(?:chapter|appendix|part)\s+[\w.]{1,6}[.:]?\s+|\d{1,3}(?:\.\d{1,3})*\.?\s+)", re.IGNORECASE)


def _title_heads(pages: list[list[Line]], cands: list[list[tuple[str, Line]]], min_repeats: int) -> list[tuple[int, str, list[Line]]]:
    """(page index, edge, lines) of running heads that repeat a title the document sets larger or bolder in
    its body (its 'Chapter 1.' or '2.1' label aside), one line or wrapped onto two, in one place at that edge
    on several pages: a head naming the current section, so its text changes from page to page (DocBook's
    FO stylesheets, whose narrow centre part wraps a long title)."""
    titles: dict[str, tuple[float, bool]] = {}  # a line never matches itself: not larger, not bolder
    for lines in pages:
        for line in lines:
            if len(line.text) > 120:
                continue
            text = " ".join(line.text.lower().split())
            for key in {text, _TITLE_LABEL.sub("", text, count=1)}:
                size, bold = titles.get(key, (0.0, False))
                titles[key] = (max(size, line.size), bold or line.share("bold") > 0.5)
    places: dict[tuple[str, int], list[tuple[int, str, list[Line]]]] = defaultdict(list)
    for page_index, page in enumerate(cands):
        for edge in ("top", "bottom"):
            lines = sorted((line for e, line in page if e == edge), key=lambda line: line.y0)
            heads = [[line] for line in lines] + [[a, b] for a, b in zip(lines, lines[1:]) if _wrapped(a, b)]
            for group in heads:
                size, bold = titles.get(" ".join(" ".join(line.text for line in group).lower().split()), (0.0, False))
                if size >= 1.15 * group[0].size or (bold and group[0].share("bold") < 0.5):
                    outer = group[0] if edge == "top" else group[-1]
                    places[(edge, round(outer.y0 / 4))].append((page_index, edge, group))
    return [hit for hits in places.values() if len({p for p, _, _ in hits}) >= min_repeats for hit in hits]


def _wrapped(a: Line, b: Line) -> bool:
    """b is a's next line, in its size, at the next baseline."""
    return abs(a.size - b.size) < 0.1 and 0.9 * a.size < b.baseline - a.baseline < 1.6 * a.size


def _numbered_edges(cands: list[list[tuple[str, Line]]], min_repeats: int) -> set[tuple[int, int]]:
    """(page index, line id) of edge lines that start or end with the page's own number: a running
    head or foot whose text changes with the section ('8 | Chapter 4', '4.1 Code | 9'). The number
    minus the page's index is the same on several pages, which body text never manages."""
    by_offset: dict[tuple[str, int], list[tuple[int, int]]] = defaultdict(list)
    for page_index, page in enumerate(cands):
        for edge, line in page:
            match = _EDGE_NUMBER.search(line.text) if line.share("mono") < 0.5 else None
            if match:
                number = int(match.group(1) or match.group(2))
                by_offset[(edge, number - page_index)].append((page_index, id(line)))
    return {hit for hits in by_offset.values() if len({p for p, _ in hits}) >= min_repeats for hit in hits}


def _slot(edge: str, line: Line) -> tuple:
    span = line.spans[0]
    return (edge, round(line.y0 / 4), span.font, span.size)


def _leans_inward(line: Line, page: list[Line], edge: str) -> bool:
    """Under furniture already found at its edge, the line is no nearer that furniture than the body."""
    outer = [line.y0 - o.y1 if edge == "top" else o.y0 - line.y1 for o in page if o.kind == "furniture" and o is not line and not _same_row(o, line)]
    outer = [gap for gap in outer if gap >= -0.5]
    inner = [o.y0 - line.y1 if edge == "top" else line.y0 - o.y1 for o in page if o.kind != "furniture" and o is not line and not _same_row(o, line)]
    inner = [gap for gap in inner if gap >= -0.5]
    return bool(outer) and bool(inner) and min(inner) <= min(outer)


def _is_outermost(line: Line, page: list[Line], edge: str) -> bool:
    """No body line lies between this line and the page edge."""
    if edge == "top":
        return all(o.kind == "furniture" or o is line or o.y0 >= line.y0 - 0.5 or _same_row(o, line) for o in page)
    return all(o.kind == "furniture" or o is line or o.y1 <= line.y1 + 0.5 or _same_row(o, line) for o in page)
