"""Tiny PDFs written with pymupdf for the extractor's tests: chosen fonts, sizes and positions."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import pymupdf

PAGE_W, PAGE_H = 612, 792
LEFT = 72
BODY = 10
PITCH = 12
MONO_ADVANCE = 0.6  # Courier's advance width, in ems


@dataclass
class Text:
    """One line of text to place: baseline y, x, the string, a base-14 font code and a size."""

    y: float
    text: str
    font: str = "tiro"
    size: float = BODY
    x: float = LEFT


def code_x(indent: int, size: float = BODY) -> float:
    """The x where a Courier line indented by `indent` characters starts."""
    return LEFT + indent * MONO_ADVANCE * size


def write_pdf(path: Path, pages: list[list[Text]], *, encrypt_password: str | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = pymupdf.open()
    for items in pages:
        page = doc.new_page(width=PAGE_W, height=PAGE_H)
        for item in items:
            page.insert_text((item.x, item.y), item.text, fontname=item.font, fontsize=item.size)
    options = {}
    if encrypt_password:
        options = {"encryption": pymupdf.PDF_ENCRYPT_AES_256, "user_pw": encrypt_password, "owner_pw": encrypt_password + "-owner"}
    doc.save(path, **options)
    doc.close()
    return path


def paragraph(y: float, lines: list[str], font: str = "tiro", x: float = LEFT) -> list[Text]:
    return [Text(y + i * PITCH, text, font, BODY, x) for i, text in enumerate(lines)]


def running_head(title: str, number: int) -> list[Text]:
    """A header line at the top and a centred page number at the bottom, as books set them."""
    return [Text(40, title, "tiit", 9), Text(PAGE_H - 40, str(number), "tiro", 9, PAGE_W / 2)]


def scanned_page_pdf(path: Path) -> Path:
    """One normal text page, then a page holding only an image (what a scan looks like)."""
    doc = pymupdf.open()
    page = doc.new_page(width=PAGE_W, height=PAGE_H)
    page.insert_text((LEFT, 100), "A page with a text layer.", fontname="tiro", fontsize=BODY)
    scan = doc.new_page(width=PAGE_W, height=PAGE_H)
    pixmap = pymupdf.Pixmap(pymupdf.csGRAY, pymupdf.IRect(0, 0, 200, 100), False)
    pixmap.clear_with(200)
    scan.insert_image(scan.rect, pixmap=pixmap)
    doc.save(path)
    doc.close()
    return path


def story_pdf(path, html: str, columns: int = 1, css: str = "", gap: float = 20, height: float = 792) -> str:
    """Lay `html` out with pymupdf's Story on letter-wide pages in one or more columns; returns the path."""
    story = pymupdf.Story(html=html, user_css=css or None)
    page = pymupdf.Rect(0, 0, 612, height)
    width = (612 - 144 - gap * (columns - 1)) / columns
    rects = [pymupdf.Rect(72 + k * (width + gap), 72, 72 + k * (width + gap) + width, height - 72) for k in range(columns)]
    buffer = io.BytesIO()
    writer = pymupdf.DocumentWriter(buffer)
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
    Path(path).write_bytes(buffer.getvalue())
    return str(path)
