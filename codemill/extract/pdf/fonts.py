"""Which fonts are monospace, decided from their glyphs: a font whose characters all advance by the
same width is a typewriter font, whatever it is called. Names and flags are only a fallback for
fonts that show too few distinct characters to judge (a font used for a few digits, say).

Each font is measured once per document, from the per-character boxes of the first pages that use
it (pymupdf's `rawdict`), so the cost is a handful of extra page reads per book, not one per page.
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
        fresh: dict[str, set[str]] = {}
        for span in spans:
            if span.font not in self.verdicts:
                fresh.setdefault(span.font, set()).update(span.text)
        undecided = {f for f, chars in fresh.items() if any(c.isalpha() or c in _NARROW for c in chars - self._advances.get(f, {}).keys())}
        if undecided:
            self._measure(page, undecided, textpage)
        for span in spans:
            verdict = self.verdicts.get(span.font)
            if verdict is not None:
                span.mono = verdict

    def _measure(self, page: pymupdf.Page, fonts: set[str], textpage: pymupdf.TextPage | None) -> None:
        from codemill.extract.pdf.spans import TEXT_FLAGS

        try:
            blocks = page.get_text("rawdict", flags=TEXT_FLAGS, textpage=textpage)["blocks"]
        except Exception:  # a damaged page: judge the fonts on a later one
            blocks = []
        for block in blocks:
            for line in block.get("lines", ()):
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
