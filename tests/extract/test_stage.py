"""`run_extract`, the extract stage of `codemill run`: one source of any kind, failures in the summary."""

from __future__ import annotations

from pathlib import Path

from codemill.extract import run_extract
from codemill.recipe.sources import SourceConfig

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def test_pdf_and_stackexchange_sources_are_extracted_and_counted(tmp_path):
    book = SourceConfig(name="primer", type="pdf", path=SAMPLES / "pdfs")
    done = run_extract(book, [book.path], tmp_path / "primer", force=False)
    assert done.failed == [] and done.counts["documents"] == 3 and done.counts["pages"] > 0
    assert done.outputs == [tmp_path / "primer"] and len(list((tmp_path / "primer").glob("*.md"))) == 3
    again = run_extract(book, [book.path], tmp_path / "primer", force=False)
    assert again.counts["documents"] == 3  # resumed: the documents already written still count
    qa = SourceConfig(name="qa", type="stackexchange", path=SAMPLES / "stackexchange",
                      stackexchange={"site": "cardano.stackexchange.com"})
    threads = run_extract(qa, [qa.path], tmp_path / "qa", force=True)
    assert threads.failed == [] and threads.counts["threads"] > 0
    assert list((tmp_path / "qa").glob("threads-*.jsonl.gz"))


def test_a_missing_path_is_a_failure_with_its_reason_not_an_exception(tmp_path):
    source = SourceConfig(name="book", type="pdf", path=tmp_path / "nowhere")
    done = run_extract(source, [source.path], tmp_path / "book", force=False)
    assert done.failed == [(str(tmp_path / "nowhere"), "source 'book' path does not exist")]


def test_an_extracted_folder_stands_in_for_a_missing_path(tmp_path):
    extracted = tmp_path / "already"
    extracted.mkdir()
    (extracted / "a.md").write_text("# A\n")
    source = SourceConfig(name="book", type="pdf", path=tmp_path / "gone", extracted=extracted)
    done = run_extract(source, [source.path], extracted, force=False)
    assert done.failed == [] and done.outputs == [extracted] and (extracted / "a.md").read_text() == "# A\n"
