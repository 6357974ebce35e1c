"""One page -> its lines in reading order, each tagged with its column and the column's edges."""

from __future__ import annotations

from codemill.extract.pdf.mupdf import pymupdf

from codemill.extract.pdf.columns import Box, find_bands, reading_order, shaded_boxes
from codemill.extract.pdf.fonts import FontMeter
from codemill.extract.pdf.lines import Line, group_rows, split_row
from codemill.extract.pdf.prompts import strip_prompts
from codemill.extract.pdf.spans import TEXT_FLAGS, Span, read_spans


def page_lines(page: pymupdf.Page, page_no: int, fonts: FontMeter | None = None, drawings: list[dict] | None = None) -> list[Line]:
    """Read, group and order one page's text; an empty list means the page has no text layer.
    `fonts` carries the document's monospace verdicts from page to page; `drawings` (the page's,
    when read already) give the shaded boxes no column gutter runs through."""
    textpage = page.get_textpage(flags=TEXT_FLAGS)
    spans = read_spans(page, textpage)
    (fonts or FontMeter()).apply(page, spans, textpage)
    return lines_from_spans(spans, page_no, shaded_boxes(drawings, page.rect.get_area()) if drawings else None)


def lines_from_spans(spans: list[Span], page_no: int, boxes: list[Box] | None = None) -> list[Line]:
    rows = group_rows([s for s in spans if s.text])
    rows = [row for row in rows if any(s.text.strip() for s in row)]
    prompts = strip_prompts(rows)
    rows = [row for row in rows if any(s.text.strip() for s in row)]
    if not rows:
        return []
    bands = find_bands(rows, boxes)
    lines = []
    for section, column, row in reading_order(rows, bands):
        for piece in split_row(row):
            lines.append(Line(spans=piece, page=page_no, column=column, section=section))
            if id(piece[0]) in prompts:
                lines[-1].extra["prompt"] = prompts[id(piece[0])]
    lines = _attach_lone_marks(lines)
    set_column_edges(lines)
    return lines


def _attach_lone_marks(lines: list[Line]) -> list[Line]:
    """A footnote mark that shared a baseline with the other column's text ends up a line of its own;
    it goes back in front of (or after) the larger text it touches."""
    kept = list(lines)
    for mark in lines:
        text = mark.text.strip()
        if not (text.isdigit() and len(text) <= 3):
            continue
        host = next((o for o in kept if o is not mark and o.size >= 1.25 * mark.size and _touches(mark, o)), None)
        if host is None:
            continue
        spans = sorted(host.spans + mark.spans, key=lambda s: s.x0)
        for span in mark.spans:
            span.script = True
        kept[kept.index(host)] = Line(spans=spans, page=host.page, column=host.column, section=host.section)
        kept.remove(mark)
    return kept


def _touches(mark: Line, host: Line) -> bool:
    size = host.size
    beside = host.x0 - 0.6 * size <= mark.x0 <= host.x1 + 0.3 * size
    return beside and host.baseline - 0.7 * size <= mark.baseline < host.baseline - 0.1 * size


def set_column_edges(lines: list[Line]) -> None:
    """Each line learns its column's left edge (the leftmost x shared by two lines) and right edge."""
    starts: dict[int, list[float]] = {}
    ends: dict[int, float] = {}
    for line in lines:
        if line.kind == "furniture":
            continue
        starts.setdefault(line.column, []).append(line.x0)
        ends[line.column] = max(ends.get(line.column, line.x1), line.x1)
    lefts = {column: _shared_minimum(xs) for column, xs in starts.items()}
    for line in lines:
        line.left_edge = lefts.get(line.column, line.x0)
        line.right_edge = ends.get(line.column, line.x1)


def _shared_minimum(xs: list[float], share: float = 0.0, tolerance: float = 2.0) -> float:
    """The smallest x that at least `share` of the lines (and two at least) start at, within `tolerance`."""
    xs = sorted(xs)
    need = max(2, int(share * len(xs)))
    for i, x in enumerate(xs):
        if i + need - 1 < len(xs) and xs[i + need - 1] - x <= tolerance:
            return x
    return xs[0]


def set_document_edges(pages: list[list[Line]]) -> None:
    """Left column edges measured over the whole document (odd and even pages apart, as books
    mirror their margins), so a page whose lines are all indented still keeps its indentation."""
    starts: dict[tuple[int, int], list[float]] = {}
    for lines in pages:
        for line in lines:
            if line.kind != "furniture":
                starts.setdefault((line.page % 2, line.column), []).append(line.x0)
    lefts = {key: _shared_minimum(xs, share=0.03) for key, xs in starts.items()}
    for lines in pages:
        set_column_edges(lines)
        for line in lines:
            line.left_edge = min(line.left_edge, lefts.get((line.page % 2, line.column), line.left_edge))
