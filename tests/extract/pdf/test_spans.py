"""Font classification, text normalisation, span merging and where glyphs are measured."""

from __future__ import annotations

import pymupdf
import pytest

from codemill.extract.pdf.fonts import FontMeter, _narrow
from codemill.extract.pdf.spans import TEXT_FLAGS, is_monospace, normalise_text, read_spans


@pytest.mark.parametrize(
    "font",
    ["Courier", "LMMono10-Regular", "ABCDEF+CMTT10", "rm-lmtt10", "Consolas-Bold", "DejaVuSansMono", "Menlo-Regular",
     "SourceCodePro-Regular", "FiraCode-Retina", "NimbusMonoPS-Regular", "SFTT1000"],
)
def test_monospace_fonts_are_recognised_by_name(font):
    assert is_monospace(font, flags=0)


@pytest.mark.parametrize("font", ["Times-Roman", "LMRoman10-Regular", "Helvetica-Bold", "ArialUnicodeMS", "CMR10", "Cambria"])
def test_proportional_fonts_are_not_monospace(font):
    assert not is_monospace(font, flags=0)


def test_monospace_flag_is_enough():
    assert is_monospace("SomeUnknownFont", flags=8)


def test_ligatures_odd_spaces_and_soft_hyphens_are_normalised():
    assert normalise_text("\ufb01rst\u00a0\ufb02oor of\u2009the o\u00ad\ufb03ce") == "first floor of the office"


def _page(lines: list[tuple[float, str, str, tuple]]) -> pymupdf.Page:
    """A page with one insert_text per (baseline y, text, font, colour), each starting where the
    previous one on the same baseline ended."""
    doc = pymupdf.open()
    page = doc.new_page(width=400, height=500)
    x_at: dict[float, float] = {}
    for y, text, font, colour in lines:
        x = x_at.get(y, 50)
        page.insert_text((x, y), text, fontname=font, fontsize=10, color=colour)
        x_at[y] = x + pymupdf.get_text_length(text, fontname=font, fontsize=10)
    return doc[0]


def test_touching_spans_in_one_font_merge_whatever_their_colour():
    black, red = (0, 0, 0), (1, 0, 0)
    page = _page([(100, "print", "cour", black), (100, "(x)", "cour", red), (100, " and", "helv", black)])
    assert [(s.text, s.font) for s in read_spans(page)] == [("print(x)", "Courier"), (" and", "Helvetica")]


def test_glyphs_are_measured_on_the_fonts_rows_only_and_the_text_page_is_left_as_it_was():
    black = (0, 0, 0)
    prose = "the quick brown fox jumps over a lazy dog while it is still light"
    page = _page([(60, prose, "helv", black), (200, "while i < limit: i += 1", "cour", black), (420, prose, "tiro", black)])
    textpage = page.get_textpage(flags=TEXT_FLAGS)
    before = textpage.extractDICT()
    narrowed = _narrow(textpage, (190.0, 205.0))
    assert narrowed is not None  # this pymupdf lets the reading be narrowed; without it every page is read whole
    box, saved = narrowed
    fonts = {s["font"] for b in textpage.extractRAWDICT()["blocks"] for line in b["lines"] for s in line["spans"]}
    box.y0, box.y1 = saved
    assert fonts == {"Courier"}
    spans = read_spans(page, textpage)
    meter = FontMeter()
    meter.apply(page, spans, textpage)
    assert meter.verdicts == {"Helvetica": False, "Courier": True, "Times-Roman": False}
    assert textpage.extractDICT() == before
