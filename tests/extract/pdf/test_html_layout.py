"""HTML set into PDF pages by pymupdf's Story, in one and two columns: an HTML-to-PDF typesetting."""

from __future__ import annotations

import pymupdf
import pytest

from codemill.extract.pdf import pdf_to_markdown

PARAGRAPH = ("Paragraph {i} explains how the loop condition is checked before each pass through the body, "
             "so a false condition means the body never runs at all.")
HTML = (
    "<h1>Loops</h1><p>A <em>loop</em> repeats statements; the <code>for</code> statement walks a sequence.</p>"
    "<h2>Nested loops</h2><pre>def table(n):\n    for i in range(n):\n        row = []\n\n        print(row)</pre>"
    + "".join(f"<p>{PARAGRAPH.format(i=i)}</p>" for i in range(14))
)


def _story_pdf(path, columns: int):
    story = pymupdf.Story(HTML)
    writer = pymupdf.DocumentWriter(str(path))
    page = pymupdf.paper_rect("letter")
    width = (page.width - 144 - 24 * (columns - 1)) / columns
    rects = [pymupdf.Rect(72 + k * (width + 24), 72, 72 + k * (width + 24) + width, page.height - 72) for k in range(columns)]
    more = True
    while more:
        device = writer.begin_page(page)
        for rect in rects:
            more, _ = story.place(rect)
            story.draw(device)
            if not more:
                break
        writer.end_page()
    writer.close()
    return path


@pytest.mark.parametrize("columns", [1, 2])
def test_html_book_in_one_and_two_columns(tmp_path, columns):
    markdown = pdf_to_markdown(_story_pdf(tmp_path / f"html{columns}.pdf", columns))
    assert markdown.startswith("# Loops\n\nA *loop* repeats statements; the `for` statement walks a sequence.")
    assert "## Nested loops" in markdown
    assert "def table(n):\n    for i in range(n):\n        row = []\n\n        print(row)\n```" in markdown
    for i in range(14):
        assert PARAGRAPH.format(i=i) in markdown
    assert markdown.index("Paragraph 3 ") < markdown.index("Paragraph 4 ")
