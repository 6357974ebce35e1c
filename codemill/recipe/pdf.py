"""Recipe options for PDF sources."""

from __future__ import annotations

from codemill.recipe.base import StrictModel


class PdfOptions(StrictModel):
    """How to read a source's PDFs."""

    language: str | None = None  # language tag for code fences when the content does not tell
    ocr: bool = False  # OCR pages without a text layer (needs the `ocr` extra and tesseract)
    image_placeholders: bool = False  # keep an `![image](...)` placeholder where a figure stood
