"""End to end on real textbook PDFs from the shared data (skipped when it is absent)."""

from __future__ import annotations

import re

import pytest

from codemill.extract.pdf.document import convert_pdf, pdf_to_markdown


def _headings(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if re.match(r"^#{1,6} ", line)]


def test_chapter_headings_match_the_ground_truth(shared_data):
    folder = shared_data / "pdfs" / "py4e"
    markdown = pdf_to_markdown(folder / "04-functions.pdf")
    truth = (folder / "04-functions.md").read_text(encoding="utf-8")
    assert _headings(markdown) == _headings(truth)
    assert "Python for Everybody" not in markdown


def test_every_ground_truth_code_line_survives(shared_data):
    folder = shared_data / "pdfs" / "py4e"
    markdown = pdf_to_markdown(folder / "05-iterations.pdf")
    truth = (folder / "05-iterations.md").read_text(encoding="utf-8")
    fenced = re.findall(r"``` python\n(.*?)\n```", truth, flags=re.S)
    for block in fenced:
        assert block in markdown


@pytest.mark.slow
def test_the_wild_book_converts_without_losing_pages(shared_data):
    report = convert_pdf(shared_data / "pdfs" / "wild" / "thinkpython2-glossary-by-chapter.pdf").report
    assert report["pages"] == 15
    assert all(page["status"] == "text" for page in report["page_reports"])
