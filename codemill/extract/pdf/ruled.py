"""Ruled tables: text inside a grid of drawn rules becomes a table with one cell per grid box.

HTML renderers draw every cell border, so the rules give the cells exactly, even where cell text
is too close to its neighbour for alignment to tell the columns apart. Grids need two rows and two
columns at least; a box drawn round a code listing is one cell and stays a listing.
"""

from __future__ import annotations

from codemill.extract.pdf.lines import Line
from codemill.extract.pdf.spans import Span

THIN = 2.5  # points: a filled rectangle this thin is a rule
SNAP = 4.0  # rules closer than this are one rule (cells drawn as separate boxes leave a small spacing)
MAX_RULES = 1000  # a page with more straight strokes is a drawing (a chart, a plot), not a table


def _segments(drawings: list[dict]) -> list[tuple[float, float, float, float]]:
    """Horizontal and vertical rules of the page as thin boxes (x0, y0, x1, y1)."""
    found = []
    for path in drawings:
        stroked = "s" in (path.get("type") or "")
        for item in path["items"]:
            if item[0] == "l":
                (a, b) = item[1], item[2]
                if abs(a.y - b.y) < 1 or abs(a.x - b.x) < 1:
                    found.append((min(a.x, b.x), min(a.y, b.y), max(a.x, b.x), max(a.y, b.y)))
            elif item[0] == "re":
                r = item[1]
                if r.height < THIN or r.width < THIN:
                    found.append((r.x0, r.y0, r.x1, r.y1))
                elif stroked:
                    found += [(r.x0, r.y0, r.x1, r.y0), (r.x0, r.y1, r.x1, r.y1), (r.x0, r.y0, r.x0, r.y1), (r.x1, r.y0, r.x1, r.y1)]
    return found


def _clusters(segments: list[tuple[float, float, float, float]]) -> list[list[tuple]]:
    """Rules that touch (within a point or two) form one cluster."""
    groups: list[list[tuple]] = []
    for seg in segments:
        touching = [g for g in groups if any(_touch(seg, other) for other in g)]
        merged = [seg] + [s for g in touching for s in g]
        groups = [g for g in groups if not any(g is t for t in touching)] + [merged]
    return groups


def _touch(a: tuple, b: tuple, slack: float = 2.0) -> bool:
    return a[0] - slack <= b[2] and b[0] - slack <= a[2] and a[1] - slack <= b[3] and b[1] - slack <= a[3]


def _snap(values: list[float]) -> list[float]:
    snapped: list[float] = []
    for v in sorted(values):
        if not snapped or v - snapped[-1] > SNAP:
            snapped.append(v)
    return snapped


def grids(drawings: list[dict]) -> list[tuple[list[float], list[float]]]:
    """(column boundaries, row boundaries) of every ruled grid with two rows and two columns or more."""
    found = []
    segments = _segments(drawings)
    if len(segments) > MAX_RULES:
        return found  # clustering is quadratic; tables never need this many rules
    for cluster in _clusters(segments):
        verticals = [s for s in cluster if s[2] - s[0] < THIN]
        horizontals = [s for s in cluster if s[3] - s[1] < THIN]
        if not verticals or not horizontals:
            continue
        # where a page break cut the table, its open side is where the vertical rules end
        xs = _snap([(s[0] + s[2]) / 2 for s in verticals] + [min(s[0] for s in horizontals), max(s[2] for s in horizontals)])
        ys = _snap([(s[1] + s[3]) / 2 for s in horizontals] + [min(s[1] for s in verticals), max(s[3] for s in verticals)])
        if len(xs) >= 3 and len(ys) >= 3 and _spans_grid(horizontals, verticals, xs, ys):
            found.append((xs, ys))
    return found


def _spans_grid(horizontals: list[tuple], verticals: list[tuple], xs: list[float], ys: list[float]) -> bool:
    """A table's rules run its whole width and height; boxes joined by arrows (a diagram) do not."""
    width, height = xs[-1] - xs[0], ys[-1] - ys[0]
    across = [sum(s[2] - s[0] for s in horizontals if abs((s[1] + s[3]) / 2 - y) <= SNAP) for y in ys]
    down = [sum(s[3] - s[1] for s in verticals if abs((s[0] + s[2]) / 2 - x) <= SNAP) for x in xs]
    drawn_rows = [a for a in across if a > 0]
    drawn_columns = [d for d in down if d > 0]
    return all(a >= 0.9 * width for a in drawn_rows) and all(d >= 0.9 * height for d in drawn_columns)


def _cell_of(span: Span, xs: list[float], ys: list[float]) -> tuple[int, int] | None:
    cx, cy = (span.x0 + span.x1) / 2, (span.y0 + span.y1) / 2
    if not (xs[0] < cx < xs[-1] and ys[0] < cy < ys[-1]):
        return None
    column = max(i for i, x in enumerate(xs[:-1]) if x < cx)
    row = max(i for i, y in enumerate(ys[:-1]) if y < cy)
    return row, column


def mark_ruled_tables(drawings: list[dict], lines: list[Line]) -> None:
    """Lines inside a ruled grid become `table` lines; the first carries the grid's cells (span lists)."""
    for index, (xs, ys) in enumerate(grids(drawings)):
        cells: list[list[list[Span]]] = [[[] for _ in xs[:-1]] for _ in ys[:-1]]
        inside = []
        for line in lines:
            places = [_cell_of(span, xs, ys) for span in line.spans]
            if places and all(p is not None for p in places):
                inside.append(line)
                for span, (row, column) in zip(line.spans, places):
                    cells[row][column].append(span)
        filled = sum(1 for row in cells for cell in row if cell)
        if not inside or filled < 0.5 * len(cells) * len(cells[0]):
            continue  # boxes of a diagram hold a label here and there; a table's cells are mostly filled
        for line in inside:  # every line carries the grid, whichever of them opens the block
            line.kind = "table"
            line.extra.update(table=("ruled", line.page, index), cells=cells)


def cell_lines(cells: list[list[list[Span]]], page: int) -> list[list[list[Line]]]:
    """Each cell's spans as its visual lines, top to bottom (an empty list for an empty cell)."""
    return [[_visual_lines(spans, page) for spans in row] for row in cells]


def _visual_lines(spans: list[Span], page: int) -> list[Line]:
    rows: list[list[Span]] = []
    for span in sorted(spans, key=lambda s: (s.baseline, s.x0)):
        if rows and abs(span.baseline - rows[-1][0].baseline) <= 0.35 * span.size:
            rows[-1].append(span)
        else:
            rows.append([span])
    return [Line(spans=sorted(row, key=lambda s: s.x0), page=page) for row in rows]


def join_continued_tables(blocks: list) -> list:
    """A ruled table right after another on the next page, with as many columns, is its continuation."""
    kept: list = []
    for block in blocks:
        prev = kept[-1] if kept else None
        cells = block.first.extra.get("cells") if block.kind == "table" else None
        before = prev.first.extra.get("cells") if prev is not None and prev.kind == "table" else None
        if cells and before and block.first.page == prev.last.page + 1 and len(cells[0]) == len(before[0]):
            merged = before + cells
            prev.lines.extend(block.lines)
            for line in prev.lines:
                line.extra["cells"] = merged
            continue
        kept.append(block)
    return kept
