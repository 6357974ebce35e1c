"""Pages of three columns, and pages whose column count changes below a full-width title, on PDFs
generated here: every column is read whole, top to bottom, before the next one."""

from __future__ import annotations

import pymupdf
import pytest

from codemill.extract.pdf.document import convert_pdf
from codemill.extract.pdf.page import page_lines
from tests.extract.pdf.pdfgen import PAGE_H, PAGE_W

WORDS = (
    "the loop runs its body again while the test holds and then it stops so the program "
    "goes on with the statement after the loop which prints the total it has counted"
).split()
LEFT, RIGHT, GAP, PITCH = 72, 540, 14, 12


def _columns(count: int, gap: float = GAP) -> list[tuple[float, float]]:
    """(x0, x1) of `count` equal columns across the text area."""
    width = (RIGHT - LEFT - gap * (count - 1)) / count
    return [(LEFT + k * (width + gap), LEFT + k * (width + gap) + width) for k in range(count)]


def _prose(page: pymupdf.Page, x0: float, x1: float, y: float, count: int, tag: str) -> float:
    """`count` lines filled with words up to the column's right edge, each opening with its tag."""
    start = 0
    for i in range(count):
        words = [f"{tag}{i:02d}"]
        while pymupdf.get_text_length(" ".join(words + [WORDS[start % len(WORDS)]]), "tiro", 10) <= x1 - x0:
            words.append(WORDS[start % len(WORDS)])
            start += 1
        page.insert_text((x0, y + i * PITCH), " ".join(words), fontname="tiro", fontsize=10)
    return y + count * PITCH


def _code_box(page: pymupdf.Page, x0: float, x1: float, y: float, lines: list[str]) -> float:
    """A listing on grey shading as wide as its column, set in Courier 9 with the box's padding."""
    page.draw_rect(pymupdf.Rect(x0, y - 10, x1, y + 11 * len(lines) - 4), color=None, fill=(0.92, 0.92, 0.92))
    for i, text in enumerate(lines):
        page.insert_text((x0 + 4, y + i * 11), text, fontname="cour", fontsize=9)
    return y + 11 * len(lines) + 14


def _save(doc: pymupdf.Document, path) -> str:
    doc.save(path)
    doc.close()
    return str(path)


def _in_order(markdown: str, tags: list[str]) -> bool:
    places = [markdown.index(tag) for tag in tags]
    return places == sorted(places)


def _tags(letter: str, count: int) -> list[str]:
    return [f"{letter}{i:02d}" for i in range(count)]


def test_three_prose_columns_are_read_one_after_another(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page(width=PAGE_W, height=PAGE_H)
    page.insert_text((LEFT, 90), "Loops in three columns", fontname="hebo", fontsize=14)
    for letter, (x0, x1) in zip("ABC", _columns(3)):
        _prose(page, x0, x1, 120, 24, letter)
    conversion = convert_pdf(_save(doc, tmp_path / "three.pdf"))
    assert _in_order(conversion.markdown, ["Loops in three"] + _tags("A", 24) + _tags("B", 24) + _tags("C", 24))
    assert conversion.report["page_reports"][0]["warnings"] == []


def test_a_shaded_listing_in_the_middle_column_stays_whole_and_in_place(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page(width=PAGE_W, height=PAGE_H)
    (a0, a1), (b0, b1), (c0, c1) = _columns(3)
    _prose(page, a0, a1, 100, 30, "A")
    y = _prose(page, b0, b1, 100, 8, "B")
    y = _code_box(page, b0, b1, y + 6, ["def count(n):", "    for i in range(n):", "        print(i)", "    return n"])
    _prose(page, b0, b1, y, 14, "D")
    _prose(page, c0, c1, 100, 30, "C")
    markdown = convert_pdf(_save(doc, tmp_path / "code.pdf")).markdown
    assert _in_order(markdown, _tags("A", 30) + _tags("B", 8) + ["def count"] + _tags("D", 14) + _tags("C", 30))
    assert "``` python\ndef count(n):\n    for i in range(n):\n        print(i)\n    return n\n```" in markdown


TITLE = "Second part: the same loops again, now set in columns across the page"


def _banded_page(path, above: str, below: str, rows_above: int = 16, rows_below: int = 16) -> str:
    """Columns `above` (one letter each), a full-width title, then columns `below`."""
    doc = pymupdf.open()
    page = doc.new_page(width=PAGE_W, height=PAGE_H)
    for letter, (x0, x1) in zip(above, _columns(len(above))):
        _prose(page, x0, x1, 50, rows_above, letter)
    page.insert_text((LEFT, 50 + rows_above * PITCH + 14), TITLE, fontname="hebo", fontsize=13)
    for letter, (x0, x1) in zip(below, _columns(len(below))):
        _prose(page, x0, x1, 50 + rows_above * PITCH + 40, rows_below, letter)
    return _save(doc, path)


@pytest.mark.parametrize("rows_above, rows_below", [(16, 16), (11, 46)])  # in the second, the two columns' gutter is found first
def test_a_full_width_title_between_three_and_two_columns_starts_a_new_band(tmp_path, rows_above, rows_below):
    markdown = convert_pdf(_banded_page(tmp_path / "bands.pdf", "ABC", "DE", rows_above, rows_below)).markdown
    above = _tags("A", rows_above) + _tags("B", rows_above) + _tags("C", rows_above)
    assert _in_order(markdown, above + ["Second part"] + _tags("D", rows_below) + _tags("E", rows_below))
    assert TITLE in markdown


def test_a_full_width_title_in_the_middle_of_two_columns_ends_both(tmp_path):
    """Not a left-column line running over the gutter: the right column does not go on beside it."""
    markdown = convert_pdf(_banded_page(tmp_path / "mid.pdf", "AB", "DE")).markdown
    assert _in_order(markdown, _tags("A", 16) + _tags("B", 16) + ["Second part"] + _tags("D", 16) + _tags("E", 16))


def test_a_full_width_shaded_listing_between_two_column_parts_is_read_between_them(tmp_path):
    """The listing's lines are short, so only its shading runs across the gutter."""
    doc = pymupdf.open()
    page = doc.new_page(width=PAGE_W, height=PAGE_H)
    for letter, (x0, x1) in zip("AB", _columns(2)):
        _prose(page, x0, x1, 90, 14, letter)
    y = _code_box(page, LEFT, RIGHT, 90 + 14 * PITCH + 20, ["def count(n):", "    for i in range(n):", "        print(i)", "    return n"])
    for letter, (x0, x1) in zip("DE", _columns(2)):
        _prose(page, x0, x1, y + 10, 14, letter)
    markdown = convert_pdf(_save(doc, tmp_path / "listing.pdf")).markdown
    assert _in_order(markdown, _tags("A", 14) + _tags("B", 14) + ["def count"] + _tags("D", 14) + _tags("E", 14))
    assert "``` python\ndef count(n):\n    for i in range(n):\n        print(i)\n    return n\n```" in markdown


def test_a_three_column_index_of_short_lines_is_read_column_by_column(tmp_path):
    doc = pymupdf.open()
    page = doc.new_page(width=PAGE_W, height=PAGE_H)
    page.insert_text((LEFT, 80), "Index", fontname="hebo", fontsize=16)
    for letter, (x0, x1) in zip("ABC", _columns(3, gap=20)):
        for i in range(40):
            sub = i % 4 == 3  # a sub-entry, indented under its term
            text = f"{'keyword' if sub else 'term'} {letter}{i:02d}, {3 + 7 * i}" + (f", {11 + 5 * i}" if i % 3 == 0 else "")
            page.insert_text((x0 + (10 if sub else 0), 110 + i * PITCH), text, fontname="tiro", fontsize=10)
    path = _save(doc, tmp_path / "index.pdf")
    lines = page_lines(pymupdf.open(path)[0], 0)  # an index leaves the markdown, so its lines are checked
    entries = [line.text for line in lines if "," in line.text]
    assert len(entries) == 120  # one entry a line: no row read across the columns
    assert _in_order("\n".join(entries), _tags("A", 40) + _tags("B", 40) + _tags("C", 40))


def test_a_code_box_drawn_past_its_column_does_not_join_the_columns(tmp_path):
    """Story and some HTML engines draw a listing's shading as wide as its longest (clipped) line:
    into the gutter and under the next column, or off the page. The columns are still two."""
    doc = pymupdf.open()
    page = doc.new_page(width=PAGE_W, height=PAGE_H)
    (a0, a1), (b0, b1) = _columns(2)
    y = _prose(page, a0, a1, 100, 10, "A")
    page.draw_rect(pymupdf.Rect(a0, y - 10, b0 + 20, y + 40), color=None, fill=(0.92, 0.92, 0.92))
    for i, text in enumerate(["for line in handle:", "    print(line)", "count = count + 1"]):
        page.insert_text((a0 + 4, y + i * 11), text, fontname="cour", fontsize=9)
    _prose(page, a0, a1, y + 50, 18, "E")
    y = _prose(page, b0, b1, 100, 12, "B")
    page.draw_rect(pymupdf.Rect(b0, y - 10, PAGE_W + 40, y + 30), color=None, fill=(0.92, 0.92, 0.92))
    for i, text in enumerate(["total = 0", "print(total)"]):
        page.insert_text((b0 + 4, y + i * 11), text, fontname="cour", fontsize=9)
    _prose(page, b0, b1, y + 40, 16, "C")
    markdown = convert_pdf(_save(doc, tmp_path / "wide-boxes.pdf")).markdown
    assert _in_order(markdown, _tags("A", 10) + ["print(line)"] + _tags("E", 18) + _tags("B", 12) + ["print(total)"] + _tags("C", 16))
    assert "|" not in markdown
