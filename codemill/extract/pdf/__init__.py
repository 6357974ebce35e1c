"""Textbook PDF -> markdown from the PDF's own text layer.

The entry points are imported lazily, so that importing one module of the package stays light.
"""

from __future__ import annotations

from codemill.common.lazy import lazy_exports

_EXPORTS = {
    "Conversion": "codemill.extract.pdf.document",
    "ExtractSummary": "codemill.extract.pdf.runner",
    "PdfError": "codemill.extract.pdf.document",
    "PdfOptions": "codemill.recipe.pdf",
    "convert_pdf": "codemill.extract.pdf.document",
    "extract_pdfs": "codemill.extract.pdf.runner",
    "find_pdfs": "codemill.extract.pdf.runner",
    "pdf_to_markdown": "codemill.extract.pdf.document",
}

__all__ = list(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
