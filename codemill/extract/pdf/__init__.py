"""Textbook PDF -> markdown from the PDF's own text layer."""

from codemill.extract.pdf.config import PdfOptions
from codemill.extract.pdf.document import Conversion, PdfError, convert_pdf, pdf_to_markdown
from codemill.extract.pdf.runner import ExtractSummary, extract_pdfs, find_pdfs

__all__ = [
    "Conversion",
    "ExtractSummary",
    "PdfError",
    "PdfOptions",
    "convert_pdf",
    "extract_pdfs",
    "find_pdfs",
    "pdf_to_markdown",
]
