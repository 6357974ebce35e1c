"""Encrypted, corrupt, truncated, zero-page and scanned PDFs: clear reasons, nothing else lost."""

from __future__ import annotations

import pytest

from codemill.extract.pdf.document import PdfError, convert_pdf
from codemill.extract.pdf.runner import extract_pdfs
from codemill.recipe.pdf import PdfOptions
from codemill.extract.pdf.ocr import ocr_available
from tests.extract.pdf.pdfgen import paragraph, scanned_page_pdf, write_pdf

ZERO_PAGES = b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"


def _good(tmp_path, name="good.pdf"):
    return write_pdf(tmp_path / name, [paragraph(100, ["A perfectly ordinary page of text."])])


def test_encrypted_pdf_is_refused_with_a_reason(tmp_path):
    path = write_pdf(tmp_path / "locked.pdf", [paragraph(100, ["secret"])], encrypt_password="pw")
    with pytest.raises(PdfError, match=r"locked\.pdf: encrypted"):
        convert_pdf(path)


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("garbage.pdf", b"this is not a PDF file at all\n" * 20, "not a readable PDF"),
        ("empty.pdf", b"", "not a readable PDF"),
        ("zero.pdf", ZERO_PAGES, "no pages"),
    ],
)
def test_unreadable_files_name_the_file_and_the_reason(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(PdfError, match=reason) as error:
        convert_pdf(path)
    assert name in str(error.value) and "\n" not in str(error.value)


def test_truncated_pdf_fails_alone_and_the_others_are_written(tmp_path):
    good = _good(tmp_path)
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    locked = write_pdf(tmp_path / "locked.pdf", [paragraph(100, ["secret"])], encrypt_password="pw")
    summary = extract_pdfs([tmp_path], tmp_path / "out", show_progress=False)
    failed = {path.name: reason for path, reason in summary.failed}
    assert set(failed) == {"truncated.pdf", "locked.pdf"}
    assert "encrypted" in failed["locked.pdf"]
    assert (tmp_path / "out" / "good.md").read_text().startswith("A perfectly ordinary page")
    assert not (tmp_path / "out" / "truncated.md").exists() and locked.exists()


def test_scanned_page_is_reported_not_silently_dropped(tmp_path):
    report = convert_pdf(scanned_page_pdf(tmp_path / "scan.pdf")).report
    first, second = report["page_reports"]
    assert first["status"] == "text"
    assert second["status"] == "skipped" and "no text layer" in second["reason"]
    assert any("1 page(s) skipped: 2" in warning for warning in report["warnings"])


@pytest.mark.skipif(ocr_available() is not None, reason="OCR needs pytesseract and the tesseract binary")
def test_scanned_page_is_ocred_when_asked(tmp_path):
    report = convert_pdf(scanned_page_pdf(tmp_path / "scan.pdf"), PdfOptions(ocr=True)).report
    assert report["page_reports"][1]["status"] == "ocr"


def test_ocr_request_without_tesseract_says_why(tmp_path, monkeypatch):
    monkeypatch.setattr("codemill.extract.pdf.document.ocr_available", lambda: "tesseract missing")
    report = convert_pdf(scanned_page_pdf(tmp_path / "scan.pdf"), PdfOptions(ocr=True)).report
    assert "OCR unavailable: tesseract missing" in report["page_reports"][1]["reason"]
