"""PDF prose goes through the shared escaper: a block start at the start of a paragraph is escaped, the
same characters in mid-paragraph (where a PDF line break put them) are not, and both read back as text."""

from __future__ import annotations

from markdown_it import MarkdownIt

from codemill.extract.pdf.document import pdf_to_markdown
from tests.extract.pdf.pdfgen import PITCH, paragraph, write_pdf
from tests.extract.pdf.test_convert import PROSE

MD = MarkdownIt("commonmark")
BROKEN = [
    "A paragraph whose text is broken by the typesetter just before a mark that counts",
    "# of items kept, then the count goes on and the line is set to the full width so",
    "1. comes next in the running text, and so does a plus sign after the line break,",
    "+ which ends the paragraph.",
]
STARTS = ["# of items is a count, not a heading, even at the start of a paragraph of prose."]


def test_block_starts_are_escaped_at_paragraph_starts_only(tmp_path):
    items = paragraph(100, PROSE) + paragraph(100 + 4 * PITCH, BROKEN) + paragraph(100 + 9 * PITCH, STARTS)
    markdown = pdf_to_markdown(write_pdf(tmp_path / "starts.pdf", [items]))
    paragraphs = markdown.strip().split("\n\n")
    joined = " ".join(BROKEN)
    assert joined in paragraphs
    assert "\\" + STARTS[0] in paragraphs
    texts = [MD.parseInline(text)[0].children for text in paragraphs]
    assert all(len(children) == 1 and children[0].type == "text" for children in texts)
    assert [token.type for token in MD.parse(markdown)].count("heading_open") == 0
    assert [token.type for token in MD.parse(markdown)].count("bullet_list_open") == 0
