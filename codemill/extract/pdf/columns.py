"""Find column gutters on a page and put its lines in reading order.

A gutter is a vertical strip near the middle of the text area that no row's ink crosses, with
text on both sides that fills its column (a code listing with spaced-out words does not). Rows
that do cross it (titles, wide figures) cut the page into sections read top to bottom; inside a
section the left column is read before the right one.
"""

from __future__ import annotations

from statistics import median

from codemill.extract.pdf.spans import Span


def _ink_intervals(row: list[Span]) -> list[tuple[float, float]]:
    """The row's inked stretches: spans merged across gaps narrower than about one em."""
    intervals: list[list[float]] = []
    for span in row:
        if not span.text.strip():
            continue
        if intervals and span.x0 - intervals[-1][1] < 0.9 * span.size:
            intervals[-1][1] = max(intervals[-1][1], span.x1)
        else:
            intervals.append([span.x0, span.x1])
    return [(a, b) for a, b in intervals]


def find_gutter(rows: list[list[Span]]) -> float | None:
    """The x of a two-column gutter on this page, or None for a single column."""
    inked = [iv for iv in (_ink_intervals(r) for r in rows) if iv]
    if len(inked) < 10:
        return None
    left = min(iv[0][0] for iv in inked)
    ends = sorted(iv[-1][1] for iv in inked)
    right = ends[int(0.9 * (len(ends) - 1))]  # the common right edge: a few lines running off the page do not move it
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
    if _columns_fill(inked, x, left, right) or _right_column_aligned(rows, x):
        return x
    return None


def _crossed_steps(inked: list[list[tuple[float, float]]], xs: list[float]) -> list[set[int]]:
    """For each row, the indices of the (evenly spaced) xs that its ink runs across."""
    if len(xs) < 2:
        return [{k for k, x in enumerate(xs) if any(a < x < b for a, b in iv)} for iv in inked]
    x0, step = xs[0], xs[1] - xs[0]
    crossed = []
    for iv in inked:
        steps: set[int] = set()
        for a, b in iv:
            first = max(0, int((a - x0) // step))
            for k in range(first, len(xs)):
                if xs[k] >= b:
                    break
                if xs[k] > a:
                    steps.add(k)
        crossed.append(steps)
    return crossed


def _right_column_aligned(rows: list[list[Span]], x: float) -> bool:
    """Prose columns of short lines (an index, a glossary) still share one left edge on the right
    side. Only prose starts count: monospace text beside a gap is a listing's spacing, and code set
    in a real right column is often indented by its box's padding."""
    starts, prose = 0, []
    for row in rows:
        right = [s for s in row if s.x0 >= x and s.text.strip()]
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
    crossings = [0] * len(samples)
    for steps in _crossed_steps(inked, samples):
        for k in steps:
            crossings[k] += 1
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


def reading_order(rows: list[list[Span]], gutter: float | None) -> list[tuple[int, int, list[Span]]]:
    """(section, column, row piece) in reading order: sections top-down, left column first."""
    if gutter is None:
        return [(0, 0, row) for row in rows]
    ordered: list[tuple[int, int, list[Span]]] = []
    section, pending_right = 0, []
    crossing = [_crosses(row, gutter) for row in rows]
    overflowing = _overflowing_runs(rows, crossing, gutter)
    for index, row in enumerate(rows):
        if crossing[index] and (index in overflowing or _overflows_left_column(rows, crossing, index, gutter)):
            left, right = _split_overflow(row, gutter)
            ordered.append((section, 0, left))
            if right:
                pending_right.append((section, 1, right))
            continue
        if crossing[index]:
            ordered.extend(pending_right)
            pending_right = []
            section += 1
            ordered.append((section, 0, row))
            section += 1
            continue
        left = [s for s in row if s.x1 <= gutter]
        right = [s for s in row if s.x1 > gutter]
        if left:
            ordered.append((section, 0, left))
        if right:
            pending_right.append((section, 1, right))
    ordered.extend(pending_right)
    return ordered


def _crosses(row: list[Span], gutter: float) -> bool:
    """The row runs across the gutter: a span spans it, or two spans beside it are closer than a wide
    word space (a full-width title). Two column lines on one baseline, a narrow gutter apart, do not."""
    inked = [s for s in row if s.text.strip()]
    if any(s.x0 < gutter < s.x1 for s in inked):
        return True
    left = max((s for s in inked if s.x1 <= gutter), default=None, key=lambda s: s.x1)
    right = min((s for s in inked if s.x0 >= gutter), default=None, key=lambda s: s.x0)
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


def _split_overflow(row: list[Span], gutter: float) -> tuple[list[Span], list[Span]]:
    """An overflowing line keeps the spans that run on from it without a gap or an overlap (its words
    past the gutter); what starts over again after it belongs to the right column."""
    left = [s for s in row if s.x0 < gutter]
    rest = [s for s in row if s.x0 >= gutter]
    while rest and left and -0.1 * rest[0].size <= rest[0].x0 - left[-1].x1 < 0.6 * rest[0].size and rest[0].mono == left[-1].mono:
        left.append(rest.pop(0))
    return left, rest


def _first_crosser_left(row: list[Span], gutter: float) -> bool:
    """The span that runs over the gutter starts in the left column."""
    crosser = next((s for s in row if s.x0 < gutter < s.x1 and s.text.strip()), None)
    return crosser is None or crosser.x0 < gutter


def _overflows_left_column(rows: list[list[Span]], crossing: list[bool], index: int, gutter: float) -> bool:
    """A left-column line too long for its column (an unbreakable URL) runs over the gutter; the right
    column goes on beside it, so the rows just above and below hold right-column text."""
    if rows[index][0].x0 > gutter:
        return False
    neighbours = [i for i in (index - 1, index + 1) if 0 <= i < len(rows)]
    return len(neighbours) == 2 and all(not crossing[i] and any(s.x0 >= gutter for s in rows[i]) for i in neighbours)
