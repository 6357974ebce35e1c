"""extract_pdfs and the CLI: outputs per PDF, resume, --force, workers, exit codes."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from codemill.cli import app
from codemill.extract.pdf.runner import extract_pdfs
from codemill.extract.pdf import runner
from tests.extract.pdf.pdfgen import paragraph, write_pdf


def _book(path, pages=3):
    return write_pdf(path, [paragraph(100, [f"Text of page {n} in {path.stem}."]) for n in range(pages)])


def test_outputs_follow_the_report_schema(tmp_path):
    _book(tmp_path / "in" / "a.pdf")
    summary = extract_pdfs(tmp_path / "in", tmp_path / "out", show_progress=False)
    assert summary.failed == [] and summary.pages == 3
    report = json.loads((tmp_path / "out" / "a.json").read_text())
    assert set(report) >= {"source", "title", "pages", "page_reports", "warnings", "warning_counts", "timings"}
    first = {"page": 1, "status": "text", "reason": None, "warnings": [], "confidence": 1.0, "chars": [[0, 20]]}
    assert report["page_reports"][0] == first
    markdown = (tmp_path / "out" / "a.md").read_text()
    assert all(markdown[a:b].startswith("Text of page") for r in report["page_reports"] for a, b in r["chars"])
    assert report["timings"]["total_s"] >= report["timings"]["read_s"]
    assert "Text of page 2 in a." in (tmp_path / "out" / "a.md").read_text()


def test_rerun_skips_done_files_and_force_redoes_them(tmp_path):
    _book(tmp_path / "a.pdf")
    first = extract_pdfs([tmp_path / "a.pdf"], tmp_path / "out", show_progress=False)
    again = extract_pdfs([tmp_path / "a.pdf"], tmp_path / "out", show_progress=False)
    forced = extract_pdfs([tmp_path / "a.pdf"], tmp_path / "out", force=True, show_progress=False)
    assert len(first.written) == 1 and len(again.skipped) == 1 and not again.written
    assert len(forced.written) == 1


def test_page_ranges_over_workers_give_the_same_markdown(tmp_path, monkeypatch):
    _book(tmp_path / "in" / "big.pdf", pages=7)
    _book(tmp_path / "in" / "sub" / "small.pdf", pages=2)
    extract_pdfs(tmp_path / "in", tmp_path / "one", show_progress=False)
    monkeypatch.setattr(runner, "CHUNK_PAGES", 3)
    summary = extract_pdfs(tmp_path / "in", tmp_path / "two", workers=2, show_progress=False)
    assert summary.pages == 9
    for name in ("big.md", "small.md"):
        assert (tmp_path / "two" / name).read_text() == (tmp_path / "one" / name).read_text()


def test_same_stem_in_two_folders_gets_two_outputs(tmp_path):
    _book(tmp_path / "x" / "book.pdf")
    _book(tmp_path / "y" / "book.pdf")
    summary = extract_pdfs(tmp_path, tmp_path / "out", show_progress=False)
    assert sorted(p.name for p in summary.written) == ["book-2.md", "book.md"]


def test_cli_prints_a_summary_and_exits_non_zero_on_failures(tmp_path):
    _book(tmp_path / "ok.pdf")
    (tmp_path / "bad.pdf").write_bytes(b"garbage")
    result = CliRunner().invoke(app, ["extract", "pdf", str(tmp_path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "bad.pdf: not a readable PDF" in result.output
    assert "1 PDF(s) converted" in result.output and "1 failed" in result.output
    assert (tmp_path / "out" / "ok.md").exists()
