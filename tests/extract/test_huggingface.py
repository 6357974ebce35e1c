"""A Hugging Face dataset source, read through the real `load_dataset` from an offline Hub cache."""

from __future__ import annotations

import gzip
import json

import huggingface_hub.constants
import pytest

from codemill.recipe.sources import SourceConfig
from codemill.extract.huggingface import extract_huggingface
from tests.hubcache import save_dataset


@pytest.fixture
def hub(tmp_path, monkeypatch):
    """An offline Hub whose cache holds `o/docs` (text) and `o/qa` (question/answer) datasets."""
    home = tmp_path / "hf"
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(home / "hub"))
    save_dataset(home, "o/docs", [{"body": f"# Chapter {i}\n\n```python\nprint({i})\n```\n", "lic": "MIT",
                                   "name": f"Writer {i}"} for i in range(5)] + [{"body": "  ", "lic": "MIT", "name": "x"}])
    save_dataset(home, "o/qa", [{"q": f"Why {i}?", "a": [f"Because {i}.", f"Also {i}."]} for i in range(3)])
    return home


def _source(**keys) -> SourceConfig:
    return SourceConfig(name="hf", type="huggingface", **keys)


def test_text_records_become_markdown_documents_with_licence_from_a_field(hub, tmp_path):
    out = tmp_path / "out"
    summary = extract_huggingface(_source(dataset="o/docs", text="body", license="lic", attribution="name"), out,
                                  show_progress=False)
    assert not summary.failed and summary.records_written == 5
    assert summary.skipped["empty_text"]["count"] == 1
    assert (out / "doc-0000002.md").read_text().startswith("# Chapter 2")
    report = json.loads((out / "doc-0000002.json").read_text())
    assert report["license"] == "MIT" and report["attribution"] == "Writer 2"
    assert report["dataset"] == "o/docs" and len(report["revision"]) == 40


def test_question_answer_records_become_threads_streamed_with_a_fixed_licence(hub, tmp_path):
    out = tmp_path / "out"
    source = _source(dataset="o/qa", question="q", answer="a", streaming=True, limit=2, license="CC BY 4.0")
    summary = extract_huggingface(source, out, show_progress=False)
    assert not summary.failed and summary.records_written == 2
    with gzip.open(out / "threads-00000.jsonl.gz", "rt") as handle:
        threads = [json.loads(line) for line in handle]
    assert [t["question"]["markdown"] for t in threads] == ["Why 0?", "Why 1?"]
    assert [a["markdown"] for a in threads[1]["answers"]] == ["Because 1.", "Also 1."]
    assert threads[0]["license"]["name"] == "CC BY 4.0" and "o/qa" in threads[0]["attribution"]


def test_a_missing_field_or_dataset_is_one_line_naming_the_key(hub, tmp_path):
    summary = extract_huggingface(_source(dataset="o/qa", question="title", answer="a"), tmp_path / "a",
                                  show_progress=False)
    (where, reason), = summary.failed
    assert "sources[hf].question: the dataset o/qa has no field 'title'; its fields are: a, q" in reason
    assert not (tmp_path / "a").exists()
    summary = extract_huggingface(_source(dataset="o/absent", text="body"), tmp_path / "b", show_progress=False)
    assert summary.failed and "o/absent" in summary.failed[0][0]


def test_a_finished_extraction_is_not_read_again(hub, tmp_path):
    out = tmp_path / "out"
    extract_huggingface(_source(dataset="o/docs", text="body"), out, show_progress=False)
    (out / "doc-0000000.md").write_text("kept")
    again = extract_huggingface(_source(dataset="o/docs", text="body"), out, show_progress=False)
    assert again.records_written == 5 and (out / "doc-0000000.md").read_text() == "kept"
    extract_huggingface(_source(dataset="o/docs", text="body"), out, force=True, show_progress=False)
    assert (out / "doc-0000000.md").read_text().startswith("# Chapter 0")


def test_a_stream_that_breaks_half_way_resumes_from_its_last_checkpoint(tmp_path, monkeypatch):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from codemill.extract.huggingface import CHECKPOINT

    home = tmp_path / "hf"
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(home / "hub"))
    data = save_dataset(home, "o/big", [{"q": f"Q{i}?", "a": f"A{i}."} for i in range(CHECKPOINT + 500)]) / "data"
    first = data / "train-00000-of-00001.parquet"
    first.rename(data / "train-00000-of-00002.parquet")
    broken = data / "train-00001-of-00002.parquet"
    broken.write_bytes(b"PAR1 this is not a parquet file PAR1")  # a damaged download of the second file
    out, source = tmp_path / "out", _source(dataset="o/big", question="q", answer="a", streaming=True)
    summary = extract_huggingface(source, out, show_progress=False)
    assert summary.failed and not out.exists()
    assert (tmp_path / "out.partial" / "threads-00000.jsonl.gz").is_file()
    pq.write_table(pa.Table.from_pylist([{"q": "Last?", "a": "Yes."}]), broken)  # repaired
    summary = extract_huggingface(source, out, show_progress=False)
    assert not summary.failed and summary.resumed_from == CHECKPOINT
    assert summary.records_written == CHECKPOINT + 501
    with gzip.open(out / "threads-00001.jsonl.gz", "rt") as handle:
        rest = [json.loads(line)["question"]["markdown"] for line in handle]
    assert rest[0] == f"Q{CHECKPOINT}?" and rest[-1] == "Last?" and len(rest) == 501
