"""Optional OCR for pages without a text layer, through pytesseract and the tesseract binary."""

from __future__ import annotations

import shutil

from codemill.extract.pdf.mupdf import pymupdf


def ocr_available() -> str | None:
    """None when OCR can run here, else the reason it cannot."""
    try:
        import pytesseract  # noqa: F401
    except ImportError:
        return "pytesseract is not installed (pip install 'codemill[ocr]')"
    if shutil.which("tesseract") is None:
        return "the tesseract binary is not on PATH (e.g. apt-get install tesseract-ocr)"
    return None


def ocr_page(page: pymupdf.Page, dpi: int = 300) -> str:
    """Render the page and read its text with tesseract; paragraphs are separated by blank lines."""
    import pytesseract
    from PIL import Image

    pixmap = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
    image = Image.frombytes("L", (pixmap.width, pixmap.height), pixmap.samples)
    text = pytesseract.image_to_string(image)
    paragraphs = [" ".join(chunk.split()) for chunk in text.split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)
