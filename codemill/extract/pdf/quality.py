"""The extractor's self-check: per-page warnings and a confidence, so a reader (and `data build`)
knows which pages to trust.

Warning ids (stable; `data.filters.pdf_page_warnings` names them):
  interleaved     lines of two or three columns read as one (pieces of one baseline alternate across a
                  gap, or one line each holds all the columns with the gutters left inside it)
  code_unparsed   a listing tagged python that does not parse
  unmapped_font   text in a font without a usable text mapping (replacement or private-use characters)
  ocr             the page had no text layer and was read by OCR
  no_text         the page gave no text at all (blank, or scanned without --ocr)
"""

from __future__ import annotations

import re

from codemill.extract.pdf.lines import Line

_SPACE = re.compile(r"\s")
_UNMAPPED = re.compile("[\ufffd\ue000-\uf8ff]")
WARNINGS = ("interleaved", "code_unparsed", "unmapped_font", "ocr", "no_text")
_PENALTY = {"interleaved": 0.6, "code_unparsed": 0.2, "unmapped_font": 0.5, "ocr": 0.3, "no_text": 1.0}


def interleaving_suspected(lines: list[Line]) -> bool:
    """Reading order that runs across columns: a column-wide prose piece and one starting mid-page, on
    one baseline and a clear gap apart, follow each other on several rows. A page read column by column
    never puts two such pieces next to each other (tables, code and glossary terms beside their
    definitions are left out: they share baselines by design)."""
    prose = [line for line in lines if line.kind == "text" and line.share("mono") < 0.5 and len(line.text.strip()) >= 12]
    if not prose:
        return False
    left, right = min(line.x0 for line in prose), max(line.x1 for line in prose)
    width = right - left
    across = 0
    for a, b in zip(prose, prose[1:]):
        same_row = abs(a.baseline - b.baseline) < 0.3 * a.size and a.page == b.page
        column_wide = a.x1 - a.x0 >= 0.25 * width and left + 0.25 * width <= b.x0 <= left + 0.75 * width  # not a term and its definition
        if same_row and column_wide and b.x0 - a.x1 > 0.8 * a.size:
            across += 1
    return across >= 3 and across >= 0.15 * len(prose)


def unsplit_columns(lines: list[Line]) -> bool:
    """Columns merged into one line each: a vertical strip in the middle half of the text (a two- or
    three-column gutter) that many lines have a gap across and almost none have ink across (the gutter
    nobody cut at)."""
    rows = [line for line in lines if line.kind != "furniture" and line.share("mono") < 0.5 and len(line.text.strip()) >= 12]
    if len(rows) < 8:
        return False
    left, right = min(line.x0 for line in rows), max(line.x1 for line in rows)
    gaps, inks = [], []
    for line in rows:
        spans = [s for s in line.spans if s.text.strip()]
        gaps.append([(a.x1, b.x0) for a, b in zip(spans, spans[1:]) if b.x0 - a.x1 > 0.7 * line.size])
        inks.append([(s.x0, s.x1) for s in spans])
    if sum(1 for g in gaps if g) < 0.3 * len(rows):
        return False  # too few lines have a wide gap anywhere
    for step in range(25, 76):
        x = left + (right - left) * step / 100
        gapped = sum(1 for g in gaps if any(a < x < b for a, b in g))
        inked = sum(1 for ink in inks if any(a < x < b for a, b in ink))
        if gapped >= 0.3 * len(rows) and inked <= 0.1 * len(rows):
            return True
    return False


def unmapped_share(lines: list[Line]) -> float:
    """Share of visible characters that carry no text (U+FFFD) or a private-use code point."""
    text = "".join(span.text for line in lines for span in line.spans)
    total = len(text) - len(_SPACE.findall(text))
    return len(_UNMAPPED.findall(text)) / total if total else 0.0


def add_warning(report: dict, warning: str) -> None:
    if warning not in report["warnings"]:
        report["warnings"].append(warning)


def set_confidence(report: dict) -> None:
    """1.0 for a clean page, lower for each kind of warning it carries, 0.0 for a page without text."""
    score = 1.0 - sum(_PENALTY.get(w, 0.1) for w in report["warnings"])
    report["confidence"] = round(max(0.0, score), 2)


def warning_counts(reports: list[dict]) -> dict[str, int]:
    """Pages per warning id, in the fixed order above."""
    counts = {w: sum(1 for r in reports if w in r["warnings"]) for w in WARNINGS}
    return {w: n for w, n in counts.items() if n}
