"""Read extracted sources (pdf markdown, StackExchange thread shards) into datatrove documents."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from codemill.common.atomic import atomic_write_text
from codemill.common.pdf_pages import drop_flagged_pages


@dataclass(frozen=True)
class InputFile:
    """One extracted file and the source it belongs to."""

    source: str
    kind: str  # "pdf" or "stackexchange"
    path: str
    license: str | None = None
    attribution: str | None = None


def list_inputs(recipe) -> list[InputFile]:
    """Every extracted file of every source, in a stable order; a missing folder is a clear error."""
    inputs = []
    for source in recipe.sources:
        folder = Path(recipe.layout.extracted(source))
        if not folder.is_dir():
            raise FileNotFoundError(
                f"sources[{source.name}]: extracted folder {folder} not found; run `codemill extract {source.type}` first"
                " or set the source's `extracted:` key"
            )
        kind = source.record_kind  # a huggingface source holds documents or threads
        pattern = "*.md" if kind == "pdf" else "threads-*.jsonl.gz"
        files = sorted(folder.glob(pattern))
        if not files:
            raise FileNotFoundError(f"sources[{source.name}]: no {pattern} files in {folder}")
        per_record = source.type == "huggingface"  # its records carry their own licence and attribution
        licence, attribution = (None, None) if per_record else (source.license, source.attribution)
        inputs += [InputFile(source.name, kind, str(f), licence, attribution) for f in files]
    return inputs


class MalformedRecord(ValueError):
    """A record that cannot be used; the message says what is wrong with it."""


def _thread_document(record: dict, item: InputFile) -> Document:
    for key in ("question_id", "title", "question", "answers"):
        if key not in record:
            raise MalformedRecord(f"missing key '{key}'")
    question = record["question"]
    if not isinstance(question, dict) or not isinstance(question.get("markdown"), str):
        raise MalformedRecord("question.markdown must be a string")
    answers = record["answers"]
    if not isinstance(answers, list) or not all(isinstance(a, dict) and isinstance(a.get("markdown"), str) for a in answers):
        raise MalformedRecord("answers must be a list of objects with a markdown string")
    site = record.get("site", "stackexchange")
    licence = record.get("license") or {}
    metadata = {
        "source": item.source, "kind": "thread", "site": site, "question_id": record["question_id"],
        "url": record.get("url"), "title": str(record["title"]), "tags": record.get("tags") or [],
        "question_score": question.get("score", 0), "question_author": question.get("author"),
        "answers": answers,
        "license": item.license or (licence.get("name") if isinstance(licence, dict) else licence) or question.get("license"),
        "attribution": item.attribution or record.get("attribution"),
        "group": f"{item.source}/{site}/{record['question_id']}",
    }
    return Document(text=question["markdown"], id=metadata["group"], metadata=metadata)


def _read_report(markdown_path: Path) -> dict:
    report_path = markdown_path.with_suffix(".json")
    if not report_path.exists():
        return {}
    report = json.loads(report_path.read_text(encoding="utf-8"))
    if not isinstance(report, dict):
        raise MalformedRecord(f"{report_path.name} is not a JSON object")
    return report


class SourceReader(PipelineStep):
    """Yields one document per textbook file and per thread; malformed input is skipped and listed."""

    type = "codemill"
    name = "read"

    def __init__(self, inputs: list[InputFile], malformed_folder: str, pdf_page_warnings: list[str] = ()):
        super().__init__()
        self.inputs = inputs
        self.malformed_folder = malformed_folder
        self.pdf_page_warnings = list(pdf_page_warnings)  # drop textbook pages flagged with these

    def _textbook(self, item: InputFile, malformed: list) -> Iterator[Document]:
        path = Path(item.path)
        try:
            text = path.read_text(encoding="utf-8")
            report = _read_report(path)
        except (UnicodeDecodeError, json.JSONDecodeError, MalformedRecord, OSError) as error:
            malformed.append({"file": item.path, "line": None, "reason": str(error)})
            return
        text, dropped = drop_flagged_pages(text, report, self.pdf_page_warnings)
        if dropped:
            self.stat_update("pdf_pages_dropped", value=dropped)
        doc_id = f"{item.source}/{path.stem}"
        metadata = {"source": item.source, "kind": "textbook", "title": report.get("title") or path.stem,
                    "document": path.name, "license": item.license or report.get("license"),
                    "attribution": item.attribution or report.get("attribution"), "group": doc_id}
        yield Document(text=text, id=doc_id, metadata=metadata)

    def _threads(self, item: InputFile, malformed: list) -> Iterator[Document]:
        try:
            with gzip.open(item.path, "rt", encoding="utf-8") as handle:
                for line_number, line in enumerate(handle, start=1):
                    try:
                        yield _thread_document(json.loads(line), item)
                    except (json.JSONDecodeError, MalformedRecord, TypeError, AttributeError) as error:
                        malformed.append({"file": item.path, "line": line_number, "reason": str(error)})
        except (OSError, EOFError, UnicodeDecodeError) as error:  # a truncated or corrupt shard
            malformed.append({"file": item.path, "line": None, "reason": f"unreadable shard: {error}"})

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        malformed: list[dict] = []
        for item in self.inputs[rank::world_size]:
            reader = self._textbook if item.kind == "pdf" else self._threads
            for doc in reader(item, malformed):
                self.stat_update("documents")
                yield doc
        self.stat_update("malformed", value=len(malformed))
        lines = "".join(json.dumps(entry, ensure_ascii=False) + "\n" for entry in malformed)
        atomic_write_text(Path(self.malformed_folder) / f"{rank:05d}.jsonl", lines)
