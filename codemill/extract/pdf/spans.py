"""Read a page's text spans with the style facts the rest of the extractor decides from."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from codemill.extract.pdf.mupdf import pymupdf

_MONO_NAME = re.compile(
    r"mono|courier|consol|(?<!uni)code|typewriter|menlo|monaco|inconsolata|fixed|andale"
    r"|(?:^|[^a-z])(?:cm|sf|lm|ec|tc|lmv|cmv)tt|tt\d|^txtt|letter ?gothic|dejavusansm",
    re.IGNORECASE,
)
_BOLD_NAME = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
_ITALIC_NAME = re.compile(r"italic|oblique|slant|(?:^|[^a-z])(?:cmti|cmsl|lmri)", re.IGNORECASE)
_ODD_SPACES = re.compile(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000\t]")
_INVISIBLE = re.compile(r"[\u00ad\u200b-\u200d\u2060\ufeff]")
_LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st"}

TEXT_FLAGS = pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_MEDIABOX_CLIP


def is_monospace(font: str, flags: int) -> bool:
    """Monospace by the font's flag or, since many fonts do not set it, by its name."""
    return bool(flags & pymupdf.TEXT_FONT_MONOSPACED) or bool(_MONO_NAME.search(font.split("+")[-1]))


def normalise_text(text: str) -> str:
    """Expand ligatures, turn odd spaces into plain ones and drop invisible characters. A soft hyphen
    that ends a span is one the layout printed at a line break (Typst writes it so): a plain hyphen."""
    broken = text.endswith("\u00ad")
    text = _INVISIBLE.sub("", _ODD_SPACES.sub(" ", text)) + ("-" if broken else "")
    if any(ch in _LIGATURES for ch in text):
        text = "".join(_LIGATURES.get(ch, ch) for ch in text)
    return text


@dataclass(slots=True)
class Span:
    """A run of text in one font: its text, style and box (PDF points, y grows downwards)."""

    text: str
    font: str
    size: float
    mono: bool
    bold: bool
    italic: bool
    x0: float
    y0: float
    x1: float
    y1: float
    baseline: float
    script: bool = False  # raised or lowered small text (footnote marks, exponents)

    @property
    def char_width(self) -> float:
        return (self.x1 - self.x0) / max(len(self.text), 1)


@lru_cache(maxsize=4096)
def font_traits(font: str, flags: int) -> tuple[bool, bool, bool]:
    """(monospace, bold, italic) of a font, from its flags and its name; cached per font."""
    return (
        is_monospace(font, flags),
        bool(flags & pymupdf.TEXT_FONT_BOLD) or bool(_BOLD_NAME.search(font)),
        bool(flags & pymupdf.TEXT_FONT_ITALIC) or bool(_ITALIC_NAME.search(font)),
    )


_NEEDS_NORMALISING = re.compile("[\u00a0\u2000-\u200d\u202f\u205f\u3000\t\u00ad\u2060\ufeff\ufb00-\ufb06]")


_MATH_LETTERS = re.compile("[\U0001d400-\U0001d7ff]")


def plain_math_letters(text: str) -> tuple[str, bool]:
    """Math alphabet letters (𝜋, 𝑥) as plain ones; True when they were italic ones."""
    italic = any("ITALIC" in unicodedata.name(ch, "") for ch in _MATH_LETTERS.findall(text))
    return _MATH_LETTERS.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), text), italic


# font expansion (ConTeXt, pdfTeX's microtype) sets glyphs of one font a little wider or narrower, which the
# PDF writes as sizes a few thousandths apart: a span at every such glyph, a line-end hyphen on its own
_EXPANSION = 0.025


def read_spans(page: pymupdf.Page, textpage: pymupdf.TextPage | None = None) -> list[Span]:
    """Every non-empty text span of the page in content order. Typesetters often emit one span per
    word; neighbours in one font on one baseline that touch are merged into one span, also where font
    expansion set them at sizes a little apart.

    This loop runs for every span pymupdf reports (hundreds a page, a synthetic space between words
    is one of its own), so each one's values are read once into locals and compared with the previous
    one's, with no helper call per span."""
    spans: list[Span] = []
    for block in page.get_text("dict", flags=TEXT_FLAGS, textpage=textpage)["blocks"]:
        for line in block.get("lines", ()):
            if line["dir"][1] != 0:
                continue  # rotated text (margin notes, watermarks) is not part of the flow
            span = None  # the span the previous raw span went into; None after a dropped one
            for raw in line["spans"]:
                text = raw["text"]
                size = raw["size"]
                font = raw["font"]
                flags = raw["flags"]
                x0, y0, x1, y1 = raw["bbox"]
                baseline = raw["origin"][1]
                wide = text == " " and x1 - x0 > 0.4 * size  # a quad after a section number stays a gap of its own
                if (span is not None and abs(size - last_size) < _EXPANSION * size and font == last_font and flags == last_flags
                        and abs(x0 - last_x1) < 0.1 * size and abs(baseline - last_baseline) < 0.05 * size
                        and not last_wide and not wide):
                    if not (text.isascii() and "\t" not in text):
                        text = _extend_text(span, text)
                    span.text += text
                    span.x1 = x1
                    if y0 < span.y0:
                        span.y0 = y0
                    if y1 > span.y1:
                        span.y1 = y1
                else:
                    span = _new_span(text, font, size, flags, x0, y0, x1, y1, baseline)
                    if span is None:
                        continue
                    spans.append(span)
                last_size, last_font, last_flags, last_x1, last_baseline, last_wide = size, font, flags, x1, baseline, wide
    return spans


def _plain(text: str) -> bool:
    """True when neither normalising nor math letters can change `text`: all they look for lies outside
    ASCII but the tab, and most spans are plain ASCII (an O(1) check)."""
    return text.isascii() and "\t" not in text


def _new_span(text: str, font: str, size: float, flags: int, x0: float, y0: float, x1: float, y1: float,
              baseline: float) -> Span | None:
    plain = _plain(text)
    if not plain and _NEEDS_NORMALISING.search(text):
        text = normalise_text(text)
    if not text:
        return None
    mono, bold, italic = font_traits(font, flags)
    if not plain and _MATH_LETTERS.search(text):
        text, math_italic = plain_math_letters(text)
        italic = italic or math_italic
    return Span(text, font, round(size, 1), mono, bold, italic, x0, y0, x1, y1, baseline)


def _extend_text(span: Span, text: str) -> str:
    """The text of a span that goes onto `span`, normalised; math italics make `span` italic only
    when nothing but spaces came before them."""
    if _NEEDS_NORMALISING.search(text):
        text = normalise_text(text)
    if _MATH_LETTERS.search(text):
        text, math_italic = plain_math_letters(text)
        span.italic = span.italic or (math_italic and not span.text.strip())
    return text
