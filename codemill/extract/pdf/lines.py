"""Group a page's spans into lines: same baseline, split at column gutters and wide gaps."""

from __future__ import annotations

from dataclasses import dataclass, field

from codemill.extract.pdf.spans import Span

WRAP_MARKS = "↪↩↳⤶⤷⏎↵➥"  # what typesetters set where they broke a long code line


@dataclass
class Line:
    """One visual line of one column: spans left to right, plus where it sits in the document.

    Geometry and style summaries are computed once, since the spans do not change afterwards.
    """

    spans: list[Span]
    page: int
    column: int = 0
    section: int = 0
    left_edge: float = 0.0  # left edge of the column this line belongs to
    right_edge: float = 0.0
    kind: str = "text"  # text | code | heading | footnote | furniture | image
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        spans = self.spans
        first = spans[0]
        x1, y0, y1, longest, most = first.x1, first.y0, first.y1, first, -1
        weights: dict[float, int] = {}
        prose: dict[float, int] = {}
        total = mono = bold = italic = 0
        number = _margin_number(spans)
        for s in spans:  # one pass: this runs for every line of every page
            text = s.text
            if s is number:
                continue
            if s.x1 > x1:
                x1 = s.x1
            if s.y0 < y0:
                y0 = s.y0
            if s.y1 > y1:
                y1 = s.y1
            if len(text) > most:
                longest, most = s, len(text)
            n = len(text) - text.count(" ")
            weights[s.size] = weights.get(s.size, 0) + n
            if s.mono:
                mono += n
            else:
                prose[s.size] = prose.get(s.size, 0) + n
            total += n
            if s.bold:
                bold += n
            if s.italic:
                italic += n
        self.x0, self.x1, self.y0, self.y1 = first.x0, x1, y0, y1
        self.baseline = longest.baseline
        self.size = max(weights, key=weights.get)  # the size that carries most characters
        # the size of its prose: a line mostly of inline code set smaller is still a line of its paragraph
        self.prose_size = max(prose, key=prose.get) if any(prose.values()) else self.size
        self._shares = {"mono": mono / total, "bold": bold / total, "italic": italic / total} if total else {}
        self._text: str | None = None

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = join_spans(self.spans)
        return self._text

    def share(self, attribute: str) -> float:
        """Fraction of the line's visible characters whose span has `attribute` (mono, bold, italic)."""
        return self._shares.get(attribute, 0.0)


def _margin_number(spans: list[Span]) -> Span | None:
    """A listing's line number in front of monospace code (digits in another font or a smaller size): it
    does not count in the line's style shares, or a short numbered code line would read as prose."""
    if len(spans) < 2 or not spans[0].text.strip().isdigit():
        return None
    first, rest = spans[0], next((s for s in spans[1:] if s.text.strip()), None)
    if rest is None or not rest.mono or (first.mono and first.size >= rest.size - 0.5):
        return None
    return first


def needs_space(left: Span, right: Span) -> bool:
    """A space goes between two spans when the gap between them is wider than a thin space."""
    if left.text.endswith(" ") or right.text.startswith(" "):
        return False
    return right.x0 - left.x1 > 0.15 * min(left.size, right.size)


def join_spans(spans: list[Span]) -> str:
    parts = []
    for i, span in enumerate(spans):
        if i and needs_space(spans[i - 1], span):
            parts.append(" ")
        parts.append(span.text)
    return "".join(parts)


def group_rows(spans: list[Span]) -> list[list[Span]]:
    """Spans that share a baseline (within a fraction of their size), each row sorted by x."""
    rows: list[list[Span]] = []
    for span in sorted(spans, key=lambda s: (round(s.baseline, 1), s.x0)):
        row = rows[-1] if rows else None
        if row is not None and abs(span.baseline - row[0].baseline) <= 0.35 * max(span.size, row[0].size):
            row.append(span)
        else:
            rows.append([span])
    rows = _attach_scripts(rows)
    for row in rows:
        _mark_inline_scripts(row)
    return [_drop_overprint(sorted(row, key=lambda s: s.x0)) for row in rows]


def _mark_inline_scripts(row: list[Span]) -> None:
    """Small spans set off the row's baseline are scripts even when grouping kept them in the row, when
    they touch larger text: a row can span both columns, and a smaller line of one is no script of the other."""
    main = max(row, key=lambda s: len(s.text))
    for span in row:
        if span.size <= 0.8 * main.size and abs(span.baseline - main.baseline) > 0.15 * main.size and _touches_larger(span, row):
            span.script = True


def _touches_larger(span: Span, row: list[Span]) -> bool:
    return any(
        other.size * 0.8 >= span.size and span.x1 >= other.x0 - 0.3 * other.size and span.x0 <= other.x1 + 0.3 * other.size
        for other in row
        if other is not span and other.text.strip()
    )


def _attach_scripts(rows: list[list[Span]]) -> list[list[Span]]:
    """Fold rows of small raised or lowered text (footnote marks, exponents) into the row they belong to."""
    kept: list[list[Span]] = []
    for index, row in enumerate(rows):
        host = _beside_host(row, rows[index + 1 : index + 4] + rows[max(0, index - 3) : index][::-1])
        if host is None:
            host = _script_host(row, rows[index - 1] if index else None, rows[index + 1] if index + 1 < len(rows) else None)
        if host is None:
            kept.append(row)
            continue
        for span in row:
            span.script = True
        host.extend(row)
    return kept


def _script_host(row: list[Span], before: list[Span] | None, after: list[Span] | None) -> list[Span] | None:
    if sum(len(s.text.strip()) for s in row) > 5:
        return None  # marks and exponents are a few characters; a longer row is a line of its own
    if all(s.mono for s in row if s.text.strip()):
        return None  # a short monospace row is program output ('5', 'w'), not a raised mark
    small = max((s.size for s in row if s.text.strip()), default=0.0)
    for host in (after, before):
        if host is None:
            continue
        size = max((s.size for s in host if s.text.strip() and s.x0 - 3 * s.size <= row[0].x0 <= s.x1 + 3 * s.size), default=0.0)
        baseline = host[0].baseline
        inside = min(s.x0 for s in host) - size <= row[0].x0 <= max(s.x1 for s in host) + size
        if small <= 0.8 * size and inside and baseline - 0.7 * size <= row[0].baseline <= baseline + 0.4 * size:
            return host
    return None


def _beside_host(row: list[Span], nearby: list[list[Span]]) -> list[Span] | None:
    """A footnote mark's row is the nearby row with larger text right beside the mark (a note's own
    line, or the word it follows); in two columns the rows next to it in baseline order may belong to
    the other column."""
    if sum(len(s.text.strip()) for s in row) > 3 or not all(s.text.strip().isdigit() or not s.text.strip() for s in row):
        return None
    mark = [s for s in row if s.text.strip()]
    if not mark:
        return None
    x0, x1, small = mark[0].x0, mark[-1].x1, max(s.size for s in mark)
    for host in nearby:
        for span in host:
            touching = -0.5 * span.size <= span.x0 - x1 <= 0.6 * span.size or -0.5 * span.size <= x0 - span.x1 <= 0.3 * span.size
            raised = span.baseline - 0.7 * span.size <= mark[0].baseline < span.baseline - 0.1 * span.size
            if touching and raised and small <= 0.8 * span.size and span.text.strip():
                return host
    return None


def _drop_overprint(row: list[Span]) -> list[Span]:
    """Remove spans printed twice at (almost) the same place, a common trick for fake bold."""
    kept: list[Span] = []
    for span in row:
        if kept and span.text == kept[-1].text and abs(span.x0 - kept[-1].x0) < 0.2 * span.size:
            continue
        kept.append(span)
    return kept


def split_row(row: list[Span]) -> list[list[Span]]:
    """Cut a row at gaps wider than two ems unless both sides are monospace (column gutters have been
    cut by `columns.reading_order` already)."""
    pieces: list[list[Span]] = [[row[0]]]
    for span in row[1:]:
        piece = pieces[-1]
        prev = piece[-1]
        gap = span.x0 - prev.x1
        if gap > 2 * (span.size if span.size > prev.size else prev.size) and not (span.mono and prev.mono) \
                and not (span.mono and len(piece) == 1 and prev.text.strip().isdigit()):  # a code line's number
            pieces.append([span])
        else:
            piece.append(span)
    return [_trim(p) for p in pieces if any(s.text.strip() for s in p)]


def _trim(spans: list[Span]) -> list[Span]:
    """Drop whitespace-only spans at either end of a piece so its box is its ink."""
    start, end = 0, len(spans)
    while start < end and not spans[start].text.strip():
        start += 1
    while end > start and not spans[end - 1].text.strip():
        end -= 1
    if end < len(spans) and end > start and spans[end - 1].mono and spans[end].mono and not spans[end - 1].text[-1:].isspace():
        spans[end - 1].text += " "  # a code line's trailing space, set apart by highlighting, may mark a wrap
    return spans[start:end]
