"""Textbook PDF -> markdown from the PDF's own text layer.

The entry points load pymupdf, so they are imported from their modules: `runner.extract_pdfs`,
`document.convert_pdf` / `pdf_to_markdown` / `PdfError`; the options are `codemill.recipe.pdf.PdfOptions`.
Modules here take pymupdf from `mupdf`, which leaves out its optional layout analyser.
"""
