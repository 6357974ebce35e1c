"""Find column gutters on a page and put its lines in reading order.

A gutter is a vertical strip of the text area that no row's ink crosses (the shaded box a line
sits on counts as its ink), with text on both sides that fills its column (a code listing with
spaced-out words does not). A page has one gutter (two
columns) or more (three or four). Rows that do cross a gutter (titles, wide figures) cut the page into
sections read top to bottom; inside a section the columns are read left to right. Where the column
count changes down the page (three columns above a full-width title, two below), the page is cut
into bands, each with gutters of its own.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from statistics import median

from codemill.extract.pdf.spans import Span

MIN_ROWS = 10  # fewer inked rows than this tell nothing about two columns


Box = tuple[float, float, float, float]  # x0, y0, x1, y1


@dataclass
class Band:
    """Rows start..end of a page, read with these gutters (none: one column); `kinds` says for each
    row whether it runs over a gutter ("overflow") or across the columns ("across")."""

    start: int
    end: int
    gutters: list[float] = field(default_factory=list)
    kinds: list[str | None] = field(default_factory=list)


def shaded_boxes(drawings: list[dict], page_area: float) -> list[Box]:
    """Filled shapes text sits on (code boxes, shaded notes): neither white, nor dots and rules, nor
    a background as big as the page."""
    boxes = []
    for drawing in drawings:
        fill, rect = drawing.get("fill"), drawing.get("rect")
        if not fill or rect is None:
            continue
        white = max(fill) < 0.02 if len(fill) == 4 else min(fill) > 0.98  # CMYK white is all zeros
        if not white and rect.width >= 40 and rect.height >= 8 and rect.width * rect.height < 0.4 * page_area:
            boxes.append((rect.x0, rect.y0, rect.x1, rect.y1))
    return boxes


def _clipped(box: Box, boxes: list[Box], spans: list[Span], edges: tuple[float, float]) -> Box:
    """A box drawn wider than the text column it holds (run off the page, or under the next column)
    counts only up to the page's text, and, where other text sits on it (text of its rows on no box,
    on a box of its own that starts further right, or set in another size than the text at the
    box's left), only as far as its own text. `edges`: the page text's left and right ends."""
    x0, y0, x1, y1 = box
    rows = [span for span in spans if y0 <= span.baseline <= y1]
    held = [span for span in rows if _box_of(span, boxes) == box]
    anchor = min(held, key=lambda span: span.x0, default=None)  # the box's own text starts at its left
    own = [span for span in held if abs(span.size - anchor.size) < 0.5] if anchor else []
    if own:
        left, right = min(span.x0 for span in own), max(span.x1 for span in own)
        mine = {id(span) for span in own}
        others = [span for span in rows if id(span) not in mine]
        if any(right <= span.x0 < x1 for span in others):
            x1 = right
        if any(x0 < span.x1 <= left for span in others):
            x0 = left
    return max(x0, edges[0]), y0, min(x1, edges[1]), y1


def _box_of(span: Span, boxes: list[Box]) -> Box | None:
    """The box a span sits on: of the boxes holding it, the one starting nearest its left end."""
    holding = [b for b in boxes if b[0] - 1 <= span.x0 and span.x1 <= b[2] + 1 and b[1] <= span.baseline <= b[3]]
    return max(holding, default=None)


def _boxes_under(row: list[Span], boxes: list[Box]) -> list[tuple[float, float] | None]:
    """For each span of the row, the x-extent of the shaded box it sits on, or None."""
    under: list[tuple[float, float] | None] = []
    for span in row:
        box = _box_of(span, boxes)
        under.append((box[0], box[2]) if box else None)
    return under


def _ink_intervals(row: list[Span], under: list[tuple[float, float] | None] | None = None) -> list[tuple[float, float]]:
    """The row's inked stretches: spans merged across gaps narrower than about one em. A span on a
    shaded box (`under`) stands for the box's whole width: no gutter runs through a box."""
    stretches = []
    for index, span in enumerate(row):
        if span.text.strip():
            box = under[index] if under else None
            stretches.append((box[0], box[1], 0.0) if box else (span.x0, span.x1, span.size))
    if under and any(under):
        stretches.sort()
    intervals: list[list[float]] = []
    last_size = 0.0
    for a, b, size in stretches:
        near = size and last_size and a - intervals[-1][1] < 0.9 * size  # boxes (size 0) join only what they overlap
        if intervals and (a < intervals[-1][1] or near):
            intervals[-1][1] = max(intervals[-1][1], b)
        else:
            intervals.append([a, b])
        last_size = size
    return [(a, b) for a, b in intervals]


def find_bands(rows: list[list[Span]], boxes: list[Box] | None = None) -> list[Band]:
    """The page's bands, top to bottom: the whole page as one band unless a long run of rows crosses
    its gutters (or it has none) and parts of the page have gutters of their own. Rows on a shaded
    box (`boxes`) that runs across a gutter are read across the columns."""
    spans = [span for row in rows for span in row if span.text.strip()] if boxes else []
    if spans:
        edges = min(span.x0 for span in spans), max(span.x1 for span in spans)
        boxes = [box for box in (_clipped(box, boxes, spans, edges) for box in boxes) if box[2] > box[0]]
    under = [_boxes_under(row, boxes) for row in rows] if boxes else [None] * len(rows)
    inked = [_ink_intervals(row, u) for row, u in zip(rows, under)]
    shaded = [sorted({box for box in u if box}) if u else [] for u in under]
    gutters = _gutters(rows, inked, True)
    kinds = _row_kinds(rows, gutters, shaded) if gutters else []
    if gutters and not _long_run_across(kinds):
        return [Band(0, len(rows), gutters, kinds)]
    bands = _bands_by_strips(rows, inked)
    for band in bands:
        if band.gutters:
            band.kinds = _row_kinds(rows[band.start : band.end], band.gutters, shaded[band.start : band.end])
    return bands or [Band(0, len(rows), gutters, kinds)]


def _gutters(rows: list[list[Span]], inked: list[list[tuple[float, float]]], short_lines: bool) -> list[float]:
    """The gutters of rows read as one band (`inked`: each row's ink intervals): a two-column gutter,
    or else two or more. Without `short_lines` every column must be filled (an index's are not)."""
    inked = [iv for iv in inked if iv]
    gutter = _two_column_gutter(rows, inked, short_lines)
    several = _several_gutters(rows, inked, short_lines)
    if several and (gutter is None or any(abs(x - gutter) < 10 for x in several)):
        return several  # a gutter of three columns can pass for the one gutter of two
    return [] if gutter is None else [gutter]


def _two_column_gutter(rows: list[list[Span]], inked: list[list[tuple[float, float]]], short_lines: bool) -> float | None:
    """The x of a two-column gutter, or None for a single column."""
    if len(inked) < MIN_ROWS:
        return None
    left, right = _text_edges(inked)
    width = right - left
    middle = left + width / 2
    if sum(1 for iv in inked if any(a < middle < b for a, b in iv)) > 0.5 * len(inked):
        return None  # most rows run through the middle: one column
    best: tuple[int, int, float] | None = None
    xs = [left + width * step / 100 for step in range(30, 71)]
    crossed = _crossed_steps(inked, xs)
    for k, x in enumerate(xs):
        free = [iv for iv, steps in zip(inked, crossed) if k not in steps]
        crossing = len(inked) - len(free)
        if crossing > 0.2 * len(inked):
            continue
        # columns need not share baselines (HTML columns drift apart), so each side is counted alone
        on_left = sum(1 for iv in free if iv[0][0] < x)
        on_right = sum(1 for iv in free if iv[-1][1] > x)
        candidate = (-crossing, min(on_left, on_right), x)
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    if best is None or best[1] < max(5, 0.15 * len(inked)):  # a chapter's last page may fill little of its right column
        return None
    x = _centre_of_gap(inked, best[2])
    if _columns_fill(inked, x, left, right) or (short_lines and _column_aligned(rows, x)):
        return x
    return None


def _several_gutters(rows: list[list[Span]], inked: list[list[tuple[float, float]]], short_lines: bool) -> list[float]:
    """Three columns or more: every strip that few rows cross, with filled columns between them
    (or, after the first, columns of short lines sharing a left edge, as in an index). Three filled
    columns tell themselves apart in fewer rows than two (a chapter's short last page)."""
    if len(inked) < MIN_ROWS // 2 + 1:
        return []
    short_lines = short_lines and len(inked) >= MIN_ROWS
    left, right = _text_edges(inked)
    width = right - left
    if sum(1 for iv in inked if any(a <= left + 0.12 * width and b >= left + 0.88 * width for a, b in iv)) > 0.2 * len(inked):
        return []  # too many rows run across the whole width for any strip to stay free (a page of prose)
    xs = [left + width * step / 100 for step in range(12, 89)]
    counts = _crossing_counts(inked, xs)
    gutters: list[float] = []
    for run in _runs([k for k, count in enumerate(counts) if count <= 0.2 * len(inked)]):
        fewest = min(counts[k] for k in run)
        emptiest = [k for k in run if counts[k] == fewest]
        x = _centre_of_gap(inked, xs[emptiest[len(emptiest) // 2]])
        if not gutters or x - gutters[-1] >= 0.15 * width:
            gutters.append(x)
    if len(gutters) < 2 or not _real_columns(rows, inked, gutters, left, right, short_lines):
        return []
    return gutters


def _runs(indices: list[int]) -> list[list[int]]:
    """Sorted integers grouped into runs of consecutive ones."""
    runs: list[list[int]] = []
    for k in indices:
        if runs and k == runs[-1][-1] + 1:
            runs[-1].append(k)
        else:
            runs.append([k])
    return runs


def _real_columns(rows: list[list[Span]], inked: list[list[tuple[float, float]]], gutters: list[float], left: float, right: float, short_lines: bool) -> bool:
    """Each column holds enough rows; all are filled to near their right edge, or every column after
    the first is one of short lines sharing a left edge (an index, a glossary)."""
    edges = [left, *gutters, right]
    need = max(5, 0.15 * len(inked))
    filled = True
    for k, (lo, hi) in enumerate(zip(edges, edges[1:])):
        low = lo if k else float("-inf")
        high = hi if k < len(gutters) else float("inf")
        ends = [max(b for a, b in iv if low <= a and b <= high) for iv in inked if any(low <= a and b <= high for a, b in iv)]
        if len(ends) < need:
            return False
        filled = filled and median(ends) >= hi - 0.25 * (hi - lo)
    if filled or not short_lines:
        return filled
    bounds = [*gutters, float("inf")]
    return all(_column_aligned(rows, lo, hi) for lo, hi in zip(bounds, bounds[1:]))


def _text_edges(inked: list[list[tuple[float, float]]]) -> tuple[float, float]:
    """Left edge of the text, and its common right edge: a few lines running off the page do not move it."""
    ends = sorted(iv[-1][1] for iv in inked)
    return min(iv[0][0] for iv in inked), ends[int(0.9 * (len(ends) - 1))]


def _crossed_ranges(inked: list[list[tuple[float, float]]], xs: list[float]) -> list[list[tuple[int, int]]]:
    """For each row, the index ranges [first, end) of the (sorted) xs that its ink runs across."""
    return [[(bisect_right(xs, a), bisect_left(xs, b)) for a, b in iv] for iv in inked]


def _crossed_steps(inked: list[list[tuple[float, float]]], xs: list[float]) -> list[set[int]]:
    """For each row, the indices of the xs that its ink runs across."""
    return [{k for first, end in ranges for k in range(first, end)} for ranges in _crossed_ranges(inked, xs)]


def _crossing_counts(inked: list[list[tuple[float, float]]], xs: list[float]) -> list[int]:
    """How many rows run across each of the xs (a row's intervals do not overlap)."""
    change = [0] * (len(xs) + 1)
    for ranges in _crossed_ranges(inked, xs):
        for first, end in ranges:
            change[first] += 1
            change[end] -= 1
    counts, running = [], 0
    for delta in change[:-1]:
        running += delta
        counts.append(running)
    return counts


def _column_aligned(rows: list[list[Span]], x: float, end: float = float("inf")) -> bool:
    """Prose columns of short lines (an index, a glossary) still share one left edge: the column
    from x to `end` does. Only prose starts count: monospace text beside a gap is a listing's
    spacing, and code set in a real column is often indented by its box's padding."""
    starts, prose = 0, []
    for row in rows:
        right = [s for s in row if x <= s.x0 < end and s.text.strip()]
        if right:
            starts += 1
            if not right[0].mono:
                prose.append(round(right[0].x0))
    if len(prose) < max(5, 0.25 * starts):
        return False
    common = max(set(prose), key=prose.count)
    return sum(1 for s in prose if abs(s - common) <= 3) >= 0.6 * len(prose)


def _centre_of_gap(inked: list[list[tuple[float, float]]], x: float) -> float:
    """Move x to the middle of the emptiest strip around it, so both columns get their whole ink
    (a hyphen or a letter hanging into the gutter must not decide where it is)."""
    samples = [x + step / 2 for step in range(-40, 41)]
    crossings = _crossing_counts(inked, samples)
    fewest = min(crossings)
    best_run: list[float] = []
    run: list[float] = []
    for at, count in zip(samples, crossings):
        run = run + [at] if count == fewest else []
        if len(run) > len(best_run):
            best_run = run
    return (best_run[0] + best_run[-1]) / 2


def _columns_fill(inked: list[list[tuple[float, float]]], x: float, left: float, right: float) -> bool:
    """Real columns are filled: their rows mostly run from the column's edge to near the gutter."""
    left_ends = [max(b for a, b in iv if b <= x) for iv in inked if any(b <= x for a, b in iv)]
    right_ends = [max(b for a, b in iv if a >= x) for iv in inked if any(a >= x for a, b in iv)]
    if len(left_ends) < 5 or len(right_ends) < 5:
        return False
    left_width, right_width = x - left, right - x
    return median(left_ends) >= x - 0.25 * left_width and median(right_ends) >= right - 0.25 * right_width


def reading_order(rows: list[list[Span]], bands: list[Band]) -> list[tuple[int, int, list[Span]]]:
    """(section, column, row piece) in reading order: bands and sections top-down, columns left to
    right. Two columns are numbered 0 and 1; of three or more the first is 0 and the others
    10 * count + index (31, 32), so column edges measured over a document never mix layouts."""
    ordered: list[tuple[int, int, list[Span]]] = []
    section = 0
    for band in bands:
        part = rows[band.start : band.end]
        if band.gutters:
            section = _read_columns(part, band, section, ordered)
        else:
            ordered.extend((section, 0, row) for row in part)
        section += 1
    return ordered


def _read_columns(rows: list[list[Span]], band: Band, section: int, ordered: list[tuple[int, int, list[Span]]]) -> int:
    """Append the band's pieces to `ordered`, each section's columns one after another; a row
    across a gutter is a section of its own. Returns the last section number used."""
    gutters = band.gutters
    count = len(gutters) + 1
    ids = [0, 1] if count == 2 else [0] + [10 * count + k for k in range(1, count)]
    pending: list[list[tuple[int, int, list[Span]]]] = [[] for _ in range(count)]
    for row, kind in zip(rows, band.kinds):
        if kind == "across":
            ordered.extend(piece for column in pending for piece in column)
            pending = [[] for _ in range(count)]
            section += 1
            ordered.append((section, 0, row))
            section += 1
            continue
        pieces = _split_overflow(row, gutters) if kind == "overflow" else _cut(row, gutters)
        for column, piece in enumerate(pieces):
            if piece:
                (ordered if column == 0 else pending[column]).append((section, ids[column], piece))
    ordered.extend(piece for column in pending for piece in column)
    return section


def _row_kinds(rows: list[list[Span]], gutters: list[float], shaded: list[list[tuple[float, float]]]) -> list[str | None]:
    """For each row: None inside the columns, "overflow" for a column's line running over a gutter
    (or several) while the next column goes on beside it, "across" for a row the columns stop at
    (a title, or a line on a shaded box, `shaded`, that runs across a gutter)."""
    overflowing: list[set[int]] = []
    local_crossing: list[list[bool]] = []
    for k, gutter in enumerate(gutters):
        local = [[s for s in row if s.x0 >= gutters[k - 1]] if k else row for row in rows]  # from column k on
        crossing = [bool(row) and _crosses(row, gutter) for row in local]
        over = _overflowing_runs(local, crossing, gutter)
        over.update(i for i in range(len(rows)) if crossing[i] and _overflows_left_column(local, crossing, i, gutter))
        overflowing.append(over)
        local_crossing.append(crossing)
    kinds: list[str | None] = []
    for index, row in enumerate(rows):
        crossed = [k for k, gutter in enumerate(gutters) if _crosses(row, gutter)]
        running = False  # the line running over the gutter before this one runs over this one too
        for k in crossed:
            running = index in overflowing[k] or (running and k - 1 in crossed and not local_crossing[k][index])
            if not running:
                break
        boxed = any(a < gutter < b for a, b in shaded[index] for gutter in gutters)
        kinds.append("across" if boxed else None if not crossed else "overflow" if running else "across")
    return kinds


def _long_run_across(kinds: list[str | None]) -> bool:
    """Many rows in a row cross the gutters: a part of the page laid out otherwise."""
    run = 0
    for kind in kinds:
        run = run + 1 if kind == "across" else 0
        if run >= MIN_ROWS:
            return True
    return False


def _cut(row: list[Span], gutters: list[float]) -> list[list[Span]]:
    """A row that crosses no gutter, cut into its columns' pieces."""
    pieces: list[list[Span]] = [[] for _ in range(len(gutters) + 1)]
    for span in row:
        pieces[sum(1 for gutter in gutters if span.x1 > gutter)].append(span)
    return pieces


def _bands_by_strips(rows: list[list[Span]], inked: list[list[tuple[float, float]]]) -> list[Band]:
    """Bands where gutters run down part of the page only: row ranges that some x stays free
    through for MIN_ROWS rows, with ink on both sides, each checked for gutters of its own. Rows
    between them (a full-width title or listing) are bands of one column. Empty: no such part.
    A part must be as wide as the page's text and have filled columns: short lines side by side in
    a narrower part are a figure's labels."""
    if len(rows) < MIN_ROWS or sum(1 for iv in inked if len(iv) > 1) < 5:
        return []
    left, right = _text_edges([iv for iv in inked if iv])
    xs = [left + (right - left) * step / 100 for step in range(12, 89)]
    grid = []  # grid[k][i]: row i runs across xs[k]
    for _ in xs:
        grid.append(bytearray(len(rows)))
    for i, ranges in enumerate(_crossed_ranges(inked, xs)):
        for first, end in ranges:
            for k in range(first, end):
                grid[k][i] = 1
    ranges: list[list[int]] = []
    for k, x in enumerate(xs):
        for run in _runs([i for i, crossed in enumerate(grid[k]) if not crossed]):
            part = inked[run[0] : run[-1] + 1]
            if len(run) >= MIN_ROWS and min(sum(1 for iv in part if iv and iv[0][0] < x), sum(1 for iv in part if iv and iv[-1][1] > x)) >= 5:
                ranges.append([run[0], run[-1] + 1])
    merged: list[list[int]] = []
    for start, end in sorted(ranges):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    bands: list[Band] = []
    for start, end in merged:
        low, high = _text_edges([iv for iv in inked[start:end] if iv])
        if high - low < 0.8 * (right - left):
            continue  # columns run across the text area; narrower parts are figures
        gutters = _gutters(rows[start:end], inked[start:end], False)
        if gutters:
            if start > (bands[-1].end if bands else 0):
                bands.append(Band(bands[-1].end if bands else 0, start))
            bands.append(Band(start, end, gutters))
    if not bands:
        return []
    if bands[-1].end < len(rows):
        bands.append(Band(bands[-1].end, len(rows)))
    return bands


def _crosses(row: list[Span], gutter: float) -> bool:
    """The row runs across the gutter: a span spans it, or two spans beside it are closer than a wide
    word space (a full-width title). Two column lines on one baseline, a narrow gutter apart, do not."""
    left = right = None  # the nearest inked spans either side
    for span in row:
        if not span.text.strip():
            continue
        if span.x0 < gutter < span.x1:
            return True
        if span.x1 <= gutter and (left is None or span.x1 > left.x1):
            left = span
        if span.x0 >= gutter and (right is None or span.x0 < right.x0):
            right = span
    return left is not None and right is not None and right.x0 - left.x1 < 0.5 * max(left.size, right.size)


def _overflowing_runs(rows: list[list[Span]], crossing: list[bool], gutter: float) -> set[int]:
    """Rows of a run of crossing rows that are left-column lines running over the gutter (verbatim code
    too long for its column) while the right column goes on beside them: at least a third of the run's
    rows also hold text that starts in the right column."""
    overflowing: set[int] = set()
    index = 0
    while index < len(rows):
        if not crossing[index]:
            index += 1
            continue
        end = index
        while end + 1 < len(rows) and crossing[end + 1]:
            end += 1
        run = range(index, end + 1)
        starts_left = all(rows[i][0].x0 < gutter for i in run)
        beside = sum(1 for i in run if any(s.x0 >= gutter and s.text.strip() for s in rows[i]) and _first_crosser_left(rows[i], gutter))
        if starts_left and beside and beside >= len(run) / 3:
            overflowing.update(run)
        index = end + 1
    return overflowing


def _split_overflow(row: list[Span], gutters: list[float]) -> list[list[Span]]:
    """A line running over a gutter keeps the spans that run on from it without a gap or an overlap
    (its words past the gutter); what starts over again after it belongs to the column it is in."""
    pieces: list[list[Span]] = [[] for _ in range(len(gutters) + 1)]
    column = 0
    for index, span in enumerate(row):
        prev = row[index - 1] if index else None
        runs_on = prev is not None and -0.1 * span.size <= span.x0 - prev.x1 < 0.6 * span.size and span.mono == prev.mono
        if not runs_on:
            column = sum(1 for gutter in gutters if span.x0 >= gutter)
        pieces[column].append(span)
    return pieces


def _first_crosser_left(row: list[Span], gutter: float) -> bool:
    """The span that runs over the gutter starts in the left column."""
    crosser = next((s for s in row if s.x0 < gutter < s.x1 and s.text.strip()), None)
    return crosser is None or crosser.x0 < gutter


def _overflows_left_column(rows: list[list[Span]], crossing: list[bool], index: int, gutter: float) -> bool:
    """A left-column line too long for its column (an unbreakable URL) runs over the gutter; the right
    column goes on beside it, so the rows just above and below hold right-column lines that follow
    each other. Rows with nothing here (text only in columns further left) are passed over."""
    if rows[index][0].x0 > gutter:
        return False
    above = next((i for i in range(index - 1, -1, -1) if rows[i]), None)
    below = next((i for i in range(index + 1, len(rows)) if rows[i]), None)
    if above is None or below is None or crossing[above] or crossing[below]:
        return False
    over = next((s for s in rows[above] if s.x0 >= gutter), None)
    under = next((s for s in rows[below] if s.x0 >= gutter), None)
    # the right column's lines beside it follow each other; a full-width title stands between paragraphs
    return over is not None and under is not None and under.baseline - over.baseline <= 2.5 * max(over.size, under.size)
