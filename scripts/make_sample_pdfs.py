"""Typeset the demo textbook (samples/textbook/*.md) into samples/pdfs/*.pdf.

Markdown becomes HTML (markdown-it-py), pymupdf's Story lays it out on A5 pages with a monospace
font for code, and every page then gets a running head and a page number, the page furniture that
`codemill extract pdf` must recognise and remove. Run from the repository root:

    .venv/bin/python scripts/make_sample_pdfs.py
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pymupdf
from markdown_it import MarkdownIt

BOOK_TITLE = "A Small Python Primer"
PAGE = pymupdf.paper_rect("a5")
FIXED_DATE = "D:20240101000000Z"
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 42, 64, 60

CSS = """
body { font-family: serif; font-size: 10pt; line-height: 1.35; }
h1 { font-family: sans-serif; font-size: 17pt; margin-bottom: 10pt; }
h2 { font-family: sans-serif; font-size: 12.5pt; margin-top: 12pt; margin-bottom: 4pt; }
p, li { text-align: justify; }
pre { font-family: monospace; font-size: 7.5pt; background-color: #f2f2f2; padding: 4pt; margin: 6pt 0; }
code { font-family: monospace; }
table { border-collapse: collapse; margin: 6pt 0; }
th, td { border: 1px solid #888888; padding: 2pt 5pt; font-size: 9pt; }
"""


def markdown_to_html(text: str) -> str:
    return MarkdownIt("commonmark").enable("table").render(text)


def chapter_title(text: str) -> str:
    """The first level-one heading, used as the running head of the chapter's pages."""
    for line in text.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return BOOK_TITLE


def layout(html: str) -> pymupdf.Document:
    """Flow the HTML over as many A5 pages as it needs, inside the margins."""
    story = pymupdf.Story(html=html, user_css=CSS)
    body = pymupdf.Rect(MARGIN_X, MARGIN_TOP, PAGE.width - MARGIN_X, PAGE.height - MARGIN_BOTTOM)
    buffer = io.BytesIO()
    writer = pymupdf.DocumentWriter(buffer)
    more = True
    while more:
        device = writer.begin_page(PAGE)
        more, _ = story.place(body)
        story.draw(device)
        writer.end_page()
    writer.close()
    return pymupdf.open("pdf", buffer.getvalue())


def add_page_furniture(document: pymupdf.Document, chapter: str, first_page: int) -> None:
    """Running head (book title on even pages, chapter on odd ones), a rule, and a page number."""
    for index, page in enumerate(document):
        number = first_page + index
        head = BOOK_TITLE if number % 2 == 0 else chapter
        page.insert_text((MARGIN_X, 40), head, fontname="helv", fontsize=8, color=(0.35, 0.35, 0.35))
        page.draw_line((MARGIN_X, 46), (PAGE.width - MARGIN_X, 46), color=(0.6, 0.6, 0.6), width=0.5)
        label = str(number)
        width = pymupdf.get_text_length(label, fontname="helv", fontsize=9)
        page.insert_text(((PAGE.width - width) / 2, PAGE.height - 32), label, fontname="helv", fontsize=9)


def build(source_dir: Path, out_dir: Path) -> list[Path]:
    """One PDF per chapter; page numbers run on across chapters like a real book."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written, next_page = [], 1
    for markdown_file in sorted(source_dir.glob("*.md")):
        text = markdown_file.read_text(encoding="utf-8")
        document = layout(markdown_to_html(text))
        add_page_furniture(document, chapter_title(text), next_page)
        next_page += document.page_count
        document.subset_fonts()
        document.set_metadata({"title": chapter_title(text), "author": "codemill sample", "creator": "make_sample_pdfs.py",
                               "creationDate": FIXED_DATE, "modDate": FIXED_DATE})
        target = out_dir / f"{markdown_file.stem}.pdf"
        document.save(target, garbage=4, deflate=True, no_new_id=True)  # same bytes on every run
        written.append(target)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path("samples/textbook"))
    parser.add_argument("--out", type=Path, default=Path("samples/pdfs"))
    args = parser.parse_args()
    for path in build(args.source, args.out):
        print(f"{path}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
