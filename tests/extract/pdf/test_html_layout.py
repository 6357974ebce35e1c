"""HTML set into PDF pages by pymupdf's Story, in one and two columns: an HTML-to-PDF typesetting."""

from __future__ import annotations

import pytest

from codemill.extract.pdf.document import pdf_to_markdown
from tests.extract.pdf.pdfgen import story_pdf

PARAGRAPH = ("Paragraph {i} explains how the loop condition is checked before each pass through the body, "
             "so a false condition means the body never runs at all.")
HTML = (
    "<h1>Loops</h1><p>A <em>loop</em> repeats statements; the <code>for</code> statement walks a sequence.</p>"
    "<h2>Nested loops</h2><pre>def table(n):\n    for i in range(n):\n        row = []\n\n        print(row)</pre>"
    + "".join(f"<p>{PARAGRAPH.format(i=i)}</p>" for i in range(14))
)


@pytest.mark.parametrize("columns", [1, 2])
def test_html_book_in_one_and_two_columns(tmp_path, columns):
    markdown = pdf_to_markdown(story_pdf(tmp_path / f"html{columns}.pdf", HTML, columns, gap=24))
    assert markdown.startswith("# Loops\n\nA *loop* repeats statements; the `for` statement walks a sequence.")
    assert "## Nested loops" in markdown
    assert "def table(n):\n    for i in range(n):\n        row = []\n\n        print(row)\n```" in markdown
    for i in range(14):
        assert PARAGRAPH.format(i=i) in markdown
    assert markdown.index("Paragraph 3 ") < markdown.index("Paragraph 4 ")
