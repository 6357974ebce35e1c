"""Rules for typesettings the extractor was not tuned on, each on a PDF generated here with pymupdf:
monospace from glyph widths, two columns with shaded code in both, code and its output in one box,
REPL sessions, run-in bold labels, contents pages, and the self-check warnings."""

from __future__ import annotations

import json

import pymupdf
import pytest
from typer.testing import CliRunner

from codemill.cli import app
from codemill.extract.pdf.document import convert_pdf, pdf_to_markdown
from codemill.extract.pdf.runner import extract_pdfs
from codemill.recipe.pdf import PdfOptions
from codemill.extract.pdf.fonts import FontMeter, judge_monospace
from codemill.extract.pdf.lines import Line
from codemill.extract.pdf.quality import WARNINGS, interleaving_suspected
from codemill.extract.pdf.spans import Span, read_spans
from tests.extract.pdf.pdfgen import LEFT, PITCH, Text, code_x, paragraph, write_pdf

PROSE = [
    "This is a body paragraph of the test book. It runs across several lines so that",
    "the extractor can learn what the body text looks like and how far apart its",
    "lines are set, before it meets headings and code set in other fonts and sizes.",
]
WORDS = "the loop runs its body again while the test holds and then it stops at the end".split()


def _code(y: float, lines: list[tuple[int, str]]) -> list[Text]:
    return [Text(y + i * PITCH, text, "cour", 10, code_x(indent)) for i, (indent, text) in enumerate(lines) if text]


def _fences(markdown: str) -> list[tuple[str, str]]:
    """(info string, body) of each fenced block."""
    import re

    return [(m.group(1), m.group(2)) for m in re.finditer(r"^```( ?\w*)\n(.*?)\n```$", markdown, flags=re.S | re.M)]


def test_monospace_is_judged_from_glyph_advances_not_the_name(tmp_path):
    items = paragraph(100, PROSE) + _code(150, [(0, "def area(w, h):"), (4, "return w * h")])
    page = pymupdf.open(write_pdf(tmp_path / "m.pdf", [items]))[0]
    spans = read_spans(page)
    for span in spans:
        span.mono = not span.mono  # as if names and flags said the opposite of the truth
    FontMeter().apply(page, spans)
    assert {s.font: s.mono for s in spans} == {"Times-Roman": False, "Courier": True}
    assert judge_monospace({c: 0.6 for c in "defareturnhwi(),:*"}) is True
    assert judge_monospace({"i": 0.28, "l": 0.28, "e": 0.44, "o": 0.5, "m": 0.78, "n": 0.5}) is False
    assert judge_monospace({"1": 0.5, "2": 0.5}) is None  # too few characters: the name decides


def _two_column_page(path):
    """A LaTeX-like twocolumn page: justified prose, a 10 pt gutter, a shaded code box in each column."""
    doc = pymupdf.open()
    page = doc.new_page(width=612, height=792)

    def prose(x, y, count, tag):
        for i in range(count):
            text = f"{tag}{i} " + " ".join(WORDS[(i * 3 + k) % len(WORDS)] for k in range(8))
            page.insert_textbox(pymupdf.Rect(x, y + i * 12 - 10, x + 224, y + i * 12 + 8), text, fontname="tiro", fontsize=10, align=3)
        return y + count * 12

    def code(x, y, lines):
        page.draw_rect(pymupdf.Rect(x - 4, y - 10, x + 224, y + 11 * len(lines) - 6), color=None, fill=(0.92, 0.92, 0.92))
        for i, text in enumerate(lines):
            page.insert_text((x, y + i * 11), text, fontname="cour", fontsize=9)
        return y + 11 * len(lines) + 14

    left, right = 72, 72 + 224 + 10
    page.insert_text((left, 90), "Loops and output", fontname="hebo", fontsize=12)
    y = prose(left, 112, 6, "Left")
    y = code(left, y + 6, ["def count(n):", "    for i in range(n):", "        print(i)", "    return n"])
    prose(left, y, 10, "Lower")
    y = prose(right, 90, 8, "Right")
    y = code(right, y + 6, ["total = 0", "for x in [1, 2]:", "    total += x", "print(total)"])
    prose(right, y, 9, "Tail")
    doc.save(path)
    return path


def test_two_columns_with_shaded_code_in_both_are_read_column_by_column(tmp_path):
    conversion = convert_pdf(_two_column_page(tmp_path / "two.pdf"))
    markdown = conversion.markdown
    order = [markdown.index(tag) for tag in ("Left0", "Left5", "def count", "Lower0", "Lower9", "Right0", "Right7", "total = 0", "Tail0", "Tail8")]
    assert order == sorted(order)
    assert "``` python\ndef count(n):\n    for i in range(n):\n        print(i)\n    return n\n```" in markdown
    assert "``` python\ntotal = 0\nfor x in [1, 2]:\n    total += x\nprint(total)\n```" in markdown
    assert conversion.report["page_reports"][0]["warnings"] == []


def test_lines_read_across_two_columns_are_flagged():
    def line(x, y, text, width=218):
        span = Span(text, "Times-Roman", 10.0, False, False, False, x, y - 8, x + width, y + 2, y)
        return Line(spans=[span], page=0)

    across = [line(x, 100 + 12 * row, f"column text of row {row} here") for row in range(6) for x in (72, 320)]
    by_column = sorted(across, key=lambda item: (item.x0, item.y0))
    assert interleaving_suspected(across) and not interleaving_suspected(by_column)
    glossary = [line(x, 100 + 12 * row, f"term or definition {row}", 60 if x == 72 else 300) for row in range(6) for x in (72, 150)]
    assert not interleaving_suspected(glossary)  # a term and its definition share a baseline by design


def test_code_and_its_output_in_one_box_become_two_fences(tmp_path):
    box = [(0, "for i in range(3):"), (4, "print(i * i)"), (None, ""), (0, "0"), (0, "1"), (0, "4")]
    whole = [(0, "def square(x):"), (4, "return x * x"), (None, ""), (0, "print(square(3))")]
    items = paragraph(100, PROSE) + _code(150, box) + paragraph(240, PROSE) + _code(290, whole)
    markdown = pdf_to_markdown(write_pdf(tmp_path / "box.pdf", [items]), PdfOptions(language="python"))
    fences = _fences(markdown)
    assert fences[0] == (" python", "for i in range(3):\n    print(i * i)")
    assert fences[1] == ("", "0\n1\n4")
    assert fences[2] == (" python", "def square(x):\n    return x * x\n\nprint(square(3))")  # parses whole: one block


def test_repl_session_stays_one_block_with_its_output(tmp_path):
    session = [(0, ">>> x = 5"), (0, ">>> if x > 3:"), (0, "...     print('big')"), (0, "..."), (0, "big"),
               (None, ""), (0, ">>> x * 2"), (0, "10")]
    items = paragraph(100, PROSE) + _code(150, session)
    fences = _fences(pdf_to_markdown(write_pdf(tmp_path / "repl.pdf", [items])))
    assert fences == [(" python", ">>> x = 5\n>>> if x > 3:\n...     print('big')\n...\nbig\n\n>>> x * 2\n10")]


def test_bold_run_in_labels_are_not_headings(tmp_path):
    items = []
    for k, y in enumerate((100, 160)):
        label = "Short answer:" if k == 0 else "Long answer:"
        items.append(Text(y, label, "tibo"))
        items.append(Text(y, "we think that you can learn as much from reading bad code as from good", "tiro", x=LEFT + 70))
        items += paragraph(y + PITCH, PROSE[1:])
    markdown = pdf_to_markdown(write_pdf(tmp_path / "runin.pdf", [items]))
    assert not any(line.startswith("#") for line in markdown.splitlines())
    assert "**Short answer:** we think" in markdown


def test_contents_page_leaves_no_dot_leader_paragraph(tmp_path):
    entries = [("1 Introduction", 1), ("1.1 Values and types", 2), ("1.2 Variables", 4), ("2 Functions", 9), ("2.1 Calls", 11)]
    contents = [Text(80, "Contents", "hebo", 18)]
    for i, (title, number) in enumerate(entries):
        contents.append(Text(120 + i * 14, title + " " + ". " * 30, "tiro"))
        contents.append(Text(120 + i * 14, str(number), "tiro", x=520))
    body = [Text(80, "Introduction", "hebo", 18)] + paragraph(110, PROSE)
    markdown = pdf_to_markdown(write_pdf(tmp_path / "toc.pdf", [contents, body]))
    assert ". . ." not in markdown and "Contents" not in markdown
    assert markdown.startswith("# Introduction\n\nThis is a body paragraph")


def _image_only_pdf(path):
    doc = pymupdf.open()
    for _ in range(2):
        page = doc.new_page(width=300, height=300)
        pixmap = pymupdf.Pixmap(pymupdf.csGRAY, pymupdf.IRect(0, 0, 50, 50), False)
        pixmap.clear_with(180)
        page.insert_image(page.rect, pixmap=pixmap)
    doc.save(path)
    return path


def test_image_only_pdf_fails_and_the_cli_says_to_use_ocr(tmp_path):
    (tmp_path / "in").mkdir()
    _image_only_pdf(tmp_path / "in" / "scan.pdf")
    result = CliRunner().invoke(app, ["extract", "pdf", str(tmp_path / "in"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "scan.pdf: no text on any page" in result.output and "--ocr" in result.output
    assert not (tmp_path / "out" / "scan.md").exists()


def test_blank_pdf_is_a_failure_not_empty_markdown(tmp_path):
    doc = pymupdf.open()
    doc.new_page()
    doc.save(tmp_path / "blank.pdf")
    summary = extract_pdfs([tmp_path / "blank.pdf"], tmp_path / "out", show_progress=False)
    assert [reason for _, reason in summary.failed] == ["no text on any page (1 blank pages)"]


def test_truncated_pdf_that_the_reader_repairs_is_written_and_reported_damaged(tmp_path):
    pages = [paragraph(100, [f"Page {n} of a book that lost its tail."] + PROSE) for n in range(6)]
    whole = write_pdf(tmp_path / "whole.pdf", pages).read_bytes()
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "cut.pdf").write_bytes(whole[: int(len(whole) * 0.8)])
    result = CliRunner().invoke(app, ["extract", "pdf", str(tmp_path / "in"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "damaged:" in result.output and "cut.pdf" in result.output and "1 damaged" in result.output
    report = json.loads((tmp_path / "out" / "cut.json").read_text())
    assert report["repaired"] is True


def test_cli_counts_pages_by_warning(tmp_path):
    broken = [(0, "import os"), (0, "for name in os.listdir('.'):"), (0, "print(name")]
    items = paragraph(100, PROSE) + _code(150, broken)
    write_pdf(tmp_path / "in" / "bad_code.pdf", [items, paragraph(100, PROSE)])
    result = CliRunner().invoke(app, ["extract", "pdf", str(tmp_path / "in"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0
    assert "pages with warnings (see <stem>.json): code_unparsed 1" in result.output
    report = json.loads((tmp_path / "out" / "bad_code.json").read_text())
    first, second = report["page_reports"]
    assert first["warnings"] == ["code_unparsed"] and first["confidence"] < 1.0 and second["confidence"] == 1.0
    assert report["warning_counts"] == {"code_unparsed": 1}


def test_flagged_pages_are_dropped_by_their_character_ranges(tmp_path):
    from codemill.recipe.data import FilterConfig
    from codemill.common.pdf_pages import drop_flagged_pages

    broken = [(0, "import os"), (0, "print(os.getcwd(")]
    clean = [Text(100, "A clean page about loops and what they print.")]
    conversion = convert_pdf(write_pdf(tmp_path / "b.pdf", [clean, paragraph(100, PROSE) + _code(150, broken), clean]))
    text, dropped = drop_flagged_pages(conversion.markdown, conversion.report, ["code_unparsed"])
    assert dropped == 1 and "getcwd" not in text and "This is a body paragraph" not in text
    assert text.count("A clean page about loops") == 2
    assert drop_flagged_pages(conversion.markdown, conversion.report, ["interleaved"]) == (conversion.markdown, 0)
    assert FilterConfig(pdf_page_warnings=["code_unparsed"]).pdf_page_warnings == ["code_unparsed"]
    with pytest.raises(ValueError):
        FilterConfig(pdf_page_warnings=["bogus"])
    assert set(FilterConfig.model_fields["pdf_page_warnings"].annotation.__args__[0].__args__) == set(WARNINGS)


def test_two_columns_left_inside_one_line_each_are_flagged():
    from codemill.extract.pdf.quality import unsplit_columns

    def merged(y):
        spans = [Span("left column words here", "Times-Roman", 10.0, False, False, False, 72, y - 8, 290, y + 2, y),
                 Span("right column words too", "Times-Roman", 10.0, False, False, False, 300, y - 8, 520, y + 2, y)]
        return Line(spans=spans, page=0)

    def single(y):
        span = Span("one column of prose from margin to margin", "Times-Roman", 10.0, False, False, False, 72, y - 8, 520, y + 2, y)
        return Line(spans=[span], page=0)

    assert unsplit_columns([merged(100 + 12 * i) for i in range(10)])
    assert not unsplit_columns([single(100 + 12 * i) for i in range(10)])


def test_code_set_on_a_grid_wider_than_its_glyphs_keeps_its_indentation(tmp_path):
    """LaTeX listings puts every character in a 0.6 em cell whatever the font's advance; here Courier
    (0.6 em glyphs) is set on a 0.7 em grid, character by character."""
    code = [(0, "def walk(tree):"), (4, "for node in tree:"), (8, "if node.leaf:"), (12, "yield node"), (8, "else:"),
            (12, "yield from walk(node)")]
    items = paragraph(100, PROSE)
    for row, (indent, text) in enumerate(code):
        for col, char in enumerate(text):
            if char != " ":
                items.append(Text(150 + row * PITCH, char, "cour", 10, LEFT + (indent + col) * 7.0))
    markdown = pdf_to_markdown(write_pdf(tmp_path / "grid.pdf", [items]))
    assert "\n".join(" " * indent + text for indent, text in code) in markdown


def test_lines_read_across_three_columns_are_flagged():
    from codemill.extract.pdf.quality import unsplit_columns

    def line(x, y, text, width=140):
        span = Span(text, "Times-Roman", 10.0, False, False, False, x, y - 8, x + width, y + 2, y)
        return Line(spans=[span], page=0)

    across = [line(x, 100 + 12 * row, f"column text of row {row} here") for row in range(6) for x in (72, 230, 388)]
    by_column = sorted(across, key=lambda item: (item.x0, item.y0))
    assert interleaving_suspected(across) and not interleaving_suspected(by_column)
    merged = [Line(spans=[s for x in (72, 230, 388) for s in line(x, 100 + 12 * row, f"words of row {row} in a column").spans], page=0) for row in range(10)]
    assert unsplit_columns(merged) and not unsplit_columns(by_column)
