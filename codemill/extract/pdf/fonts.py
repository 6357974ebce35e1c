"""Which fonts are monospace, decided from their glyphs: a font whose characters all advance by the
same width is a typewriter font, whatever it is called. Names and flags are only a fallback for
fonts that show too few distinct characters to judge (a font used for a few digits, say).

Each font is measured once per document, from the per-character boxes of the first pages that use
it (pymupdf's `rawdict`, read only over the rows where those fonts appear), so the cost is a handful
of extra partial page reads per book, not one per page.
"""

from __future__ import annotations

from statistics import median

from codemill.extract.pdf.mupdf import pymupdf

# Characters that are narrow in every proportional font and as wide as the rest in a monospace one.
_NARROW = frozenset("iljtfrI.,:;!'|()[]")
_TRIES = 4  # pages a font is sampled on before its name and flag decide instead
_MIN_LETTERS = 3


class FontMeter:
    """Per-document verdicts on which fonts are monospace; `apply` corrects spans page by page."""

    def __init__(self) -> None:
        self.verdicts: dict[str, bool | None] = {}  # None: not enough evidence, name and flag decide
        self._advances: dict[str, dict[str, float]] = {}  # font -> character -> advance in ems
        self._tries: dict[str, int] = {}

    def apply(self, page: pymupdf.Page, spans: list, textpage: pymupdf.TextPage | None = None) -> None:
        """Set `mono` on each span from its font's glyph verdict, measuring undecided fonts on this page
        when it shows characters of theirs not measured yet (`textpage`: the page's, to reuse)."""
        by_font: dict[str, list] = {}
        for span in spans:
            by_font.setdefault(span.font, []).append(span)
        undecided = {}
        for font, group in by_font.items():
            if font in self.verdicts:
                continue
            new = set("".join(span.text for span in group)) - self._advances.get(font, {}).keys()
            if any(c.isalpha() or c in _NARROW for c in new):
                undecided[font] = group
        if undecided:
            top = min(span.y0 for group in undecided.values() for span in group)
            bottom = max(span.y1 for group in undecided.values() for span in group)
            self._measure(page, set(undecided), textpage, (top, bottom))
        for font, group in by_font.items():
            verdict = self.verdicts.get(font)
            if verdict is not None:
                for span in group:
                    span.mono = verdict

    def _measure(self, page: pymupdf.Page, fonts: set[str], textpage: pymupdf.TextPage | None,
                 rows: tuple[float, float]) -> None:
        for block in _glyph_blocks(page, textpage, rows):
            for line in block.get("lines", ()):
                if line["dir"][1] != 0:
                    continue  # rotated text is not read, so not measured either
                for raw in line["spans"]:
                    if raw["font"] in fonts and raw["size"] > 0:
                        seen = self._advances.setdefault(raw["font"], {})
                        for char in raw["chars"]:
                            c = char["c"]
                            width = char["bbox"][2] - char["bbox"][0]
                            if c.strip() and c not in seen and width > 0:
                                seen[c] = width / raw["size"]
        for font in fonts:
            self._tries[font] = self._tries.get(font, 0) + 1
            verdict = judge_monospace(self._advances.get(font, {}))
            if verdict is not None or self._tries[font] >= _TRIES:
                self.verdicts[font] = verdict
                self._advances.pop(font, None)


def _glyph_blocks(page: pymupdf.Page, textpage: pymupdf.TextPage | None, rows: tuple[float, float]) -> list[dict]:
    """The page's text with per-character boxes (`rawdict`), only the rows from `rows[0]` down to
    `rows[1]` when the text page is given: a whole page's characters cost twice its `dict`, and past
    a chunk's first page the fonts still to measure usually sit in a few rows."""
    from codemill.extract.pdf.spans import TEXT_FLAGS

    narrowed = _narrow(textpage, rows) if textpage is not None else None
    try:
        return page.get_text("rawdict", flags=TEXT_FLAGS, textpage=textpage)["blocks"]
    except Exception:  # a damaged page: judge the fonts on a later one
        return []
    finally:
        if narrowed is not None:
            box, (top, bottom) = narrowed
            box.y0, box.y1 = top, bottom


def _narrow(textpage: pymupdf.TextPage, rows: tuple[float, float]):
    """pymupdf returns only the characters that touch the text page's own box: narrow that box to
    `rows` for one call and return it with its former top and bottom, to restore. None (the whole
    page is read, which measures the same) where this pymupdf keeps no such box."""
    try:
        box = textpage.this.m_internal.mediabox
        top, bottom = box.y0, box.y1
        if not top <= rows[0] < rows[1] <= bottom:
            return None
        box.y0, box.y1 = rows
    except (AttributeError, TypeError):
        return None
    return box, (top, bottom)


def judge_monospace(advances: dict[str, float]) -> bool | None:
    """True when narrow characters (i, l, dots) advance as far as letters do, False when they are
    clearly narrower or the letters' widths vary; None when the sample is too small to tell."""
    narrow = [w for c, w in advances.items() if c in _NARROW]
    letters = [w for c, w in advances.items() if c.isalpha() and c not in _NARROW]
    if len(letters) < _MIN_LETTERS:
        return None
    typical = median(letters)
    uniform = sum(1 for w in letters if abs(w - typical) <= 0.03 * typical) >= 0.9 * len(letters)
    if narrow:
        return uniform and median(narrow) >= 0.9 * typical
    if len(letters) >= 8:
        return uniform
    return None if uniform else False
