"""A Hugging Face dataset as a source: its records written as the extractors' own outputs.

A `text` field gives markdown documents (`doc-NNNNNN.md` with a `.json` report, as for a textbook);
`question`/`answer` fields give thread records (`threads-NNNNN.jsonl.gz`, as for a StackExchange dump).
`license` and `attribution` are either values or the names of fields holding them. The dataset is
read with `datasets.load_dataset` (`streaming: true` reads it as a stream); with the Hub offline
(`HF_HUB_OFFLINE=1`) it is read from the snapshot in the Hugging Face cache.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from codemill.common.atomic import atomic_write_json
from codemill.common.digest import fingerprint
from codemill.common.hub import hub_offline
from codemill.common.progress import progress
from codemill.recipe.sources import SourceConfig
from codemill.extract.stackexchange.summary import SkipLog

SCHEMA_VERSION = 1
CHECKPOINT = 10_000  # records per thread shard, and between saved resume points
PROGRESS = "progress.json"


@dataclass
class HubDatasetSummary:
    """What `extract_huggingface` did; `failed` lists `(dataset, reason)` pairs, empty on success."""

    dataset: str
    out_dir: str
    revision: str | None = None
    records_read: int = 0
    records_written: int = 0
    skipped: dict[str, dict] = field(default_factory=dict)
    failed: list[tuple[str, str]] = field(default_factory=list)
    fingerprint: str = ""
    resumed_from: int = 0  # records already done by an earlier, interrupted run
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "revision": self.revision, "out_dir": self.out_dir,
                "records_read": self.records_read, "records_written": self.records_written, "skipped": self.skipped,
                "failed": [list(item) for item in self.failed], "fingerprint": self.fingerprint,
                "resumed_from": self.resumed_from, "seconds": round(self.seconds, 3)}


def load_hub_dataset(repo: str, config: str | None, split: str, streaming: bool):
    """`load_dataset` of a Hub dataset; returns the dataset and the revision read (None when unknown)."""
    from datasets import load_dataset

    if hub_offline():
        from huggingface_hub import snapshot_download

        folder = snapshot_download(repo, repo_type="dataset", local_files_only=True)
        return load_dataset(folder, config, split=split, streaming=streaming), Path(folder).name
    dataset = load_dataset(repo, config, split=split, streaming=streaming)
    try:
        from huggingface_hub import HfApi

        revision = HfApi().dataset_info(repo).sha
    except Exception:  # the revision is informative only; the data is already read
        revision = None
    return dataset, revision


def _fingerprint(source: SourceConfig) -> str:
    keys = ("type", "dataset", "config", "split", "limit", "text", "question", "answer", "title", "license",
            "attribution")
    settings = {"version": SCHEMA_VERSION} | source.model_dump(mode="json", include=set(keys))
    return fingerprint(settings)


def _value_or_field(value: str | None, columns: set[str]) -> Callable[[dict], str | None]:
    """A recipe value read as the name of a field when the dataset has such a field, else as the value."""
    if value is not None and value in columns:
        return lambda record: _text(record.get(value)) or None
    return lambda record: value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "\n\n".join(_text(item) for item in value if item is not None)
    return str(value)


def _answers(value: Any) -> list[str]:
    items = value if isinstance(value, (list, tuple)) else [value]
    return [text for text in (_text(item).strip() for item in items) if text]


class _Writer:
    """Writes records as markdown documents or thread shards into a folder."""

    def __init__(self, source: SourceConfig, folder: Path, revision: str | None, columns: set[str], shards: int):
        self.source, self.folder, self.revision = source, folder, revision
        self.license = _value_or_field(source.license, columns)
        self.attribution = _value_or_field(source.attribution, columns)
        self.url = f"https://huggingface.co/datasets/{source.dataset}"
        self.shard: list[str] = []
        self.shards = shards

    def _credit(self, record: dict) -> tuple[str | None, str]:
        licence = self.license(record)
        where = f"{self.source.dataset}" + (f"@{self.revision[:12]}" if self.revision else "")
        attribution = self.attribution(record) or f"From the Hugging Face dataset {where} ({self.url})" + (
            f", licence {licence}" if licence else "")
        return licence, attribution

    def document(self, index: int, record: dict, text: str, title: str | None) -> None:
        licence, attribution = self._credit(record)
        stem = f"doc-{index:07d}"
        (self.folder / f"{stem}.md").write_text(text, encoding="utf-8")
        report = {"source": f"{self.url}#{index}", "title": title, "license": licence, "attribution": attribution,
                  "dataset": self.source.dataset, "revision": self.revision, "row": index}
        (self.folder / f"{stem}.json").write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")

    def thread(self, index: int, record: dict, question: str, answers: list[str], title: str | None) -> None:
        licence, attribution = self._credit(record)
        heading = title or question.strip().splitlines()[0][:120]
        thread = {
            "site": self.source.dataset, "question_id": index, "url": f"{self.url}#{index}", "title": heading,
            "tags": [], "question": {"markdown": question, "score": 0, "license": licence, "author": None},
            "answers": [{"id": index, "markdown": answer, "score": 0, "accepted": number == 0, "license": licence,
                         "author": None} for number, answer in enumerate(answers)],
            "license": {"name": licence, "url": None}, "attribution": attribution,
            "dataset": self.source.dataset, "revision": self.revision,
        }
        self.shard.append(json.dumps(thread, ensure_ascii=False))

    def flush(self) -> None:
        """Write the threads held so far as the next shard (atomically)."""
        if self.shard:
            name = f"threads-{self.shards:05d}.jsonl.gz"
            with gzip.open(self.folder / f".{name}.tmp", "wt", encoding="utf-8") as handle:
                handle.write("\n".join(self.shard) + "\n")
            os.replace(self.folder / f".{name}.tmp", self.folder / name)
            self.shards += 1
            self.shard = []


def _check_fields(source: SourceConfig, columns: set[str]) -> None:
    """Every mapped field must exist; the message names the recipe key and the fields there are."""
    for key in ("text", "question", "answer", "title"):
        wanted = getattr(source, key)
        if wanted is not None and wanted not in columns:
            raise ValueError(f"sources[{source.name}].{key}: the dataset {source.dataset} has no field "
                             f"'{wanted}'; its fields are: {', '.join(sorted(columns))}")


def _save_progress(folder: Path, summary: HubDatasetSummary, consumed: int, shards: int, skips: SkipLog) -> None:
    atomic_write_json(folder / PROGRESS, {"fingerprint": summary.fingerprint, "revision": summary.revision,
                                          "consumed": consumed, "shards": shards,
                                          "records_read": summary.records_read,
                                          "records_written": summary.records_written, "skipped": skips.to_dict()})


def _write_records(source: SourceConfig, rows: Iterable[dict], folder: Path, revision: str | None,
                   summary: HubDatasetSummary, show_progress: bool, done: dict) -> None:
    """Write records from row `done["consumed"]` on; every CHECKPOINT rows the progress is saved for a resume."""
    start, skips, writer = done.get("consumed", 0), SkipLog(done.get("skipped")), None
    summary.records_read, summary.records_written = done.get("records_read", 0), done.get("records_written", 0)
    with progress(f"read {source.dataset} (records)", source.limit, enabled=show_progress) as bar:
        bar.advance(start)
        for index, record in enumerate(rows, start=start):
            if source.limit is not None and index >= source.limit:
                break
            if writer is None:
                _check_fields(source, set(record))
                writer = _Writer(source, folder, revision, set(record), done.get("shards", 0))
            summary.records_read += 1
            bar.advance(1)
            title = _text(record.get(source.title)).strip() or None if source.title else None
            if source.text is not None:
                text = _text(record.get(source.text))
                if text.strip():
                    writer.document(index, record, text, title)
                    summary.records_written += 1
                else:
                    skips.add("empty_text", index)
            else:
                question, answers = _text(record.get(source.question)), _answers(record.get(source.answer))
                if question.strip() and answers:
                    writer.thread(index, record, question, answers, title)
                    summary.records_written += 1
                else:
                    skips.add("empty_question_or_answer", index)
            if (index + 1) % CHECKPOINT == 0:
                writer.flush()
                _save_progress(folder, summary, index + 1, writer.shards, skips)
    if writer is not None:
        writer.flush()
    summary.skipped = skips.to_dict()


def _resume_state(partial: Path, fingerprint: str, force: bool) -> dict:
    """What an interrupted run with the same settings finished, or {} after clearing other leftovers."""
    try:
        done = json.loads((partial / PROGRESS).read_text(encoding="utf-8"))
        if not force and done.get("fingerprint") == fingerprint:
            return done
    except (OSError, ValueError):
        pass
    shutil.rmtree(partial, ignore_errors=True)
    return {}


def extract_huggingface(source: SourceConfig, out_dir: str | os.PathLike, *, force: bool = False,
                        show_progress: bool = True) -> HubDatasetSummary:
    """Write the records of `source.dataset` into `out_dir`; the folder appears whole or not at all.

    Work goes to `<out_dir>.partial`; an interrupted run with the same settings resumes from its last
    checkpoint (every CHECKPOINT records), skipping the records already written.
    """
    started = time.monotonic()
    out_dir = Path(out_dir)
    summary = HubDatasetSummary(dataset=str(source.dataset), out_dir=str(out_dir), fingerprint=_fingerprint(source))
    previous = out_dir / "summary.json"
    try:
        finished = json.loads(previous.read_text(encoding="utf-8")) if not force and previous.is_file() else {}
    except (OSError, ValueError):
        finished = {}
    if finished.get("fingerprint") == summary.fingerprint and not finished.get("failed"):
        summary.revision, summary.records_written = finished.get("revision"), finished.get("records_written", 0)
        return summary
    partial = out_dir.with_name(out_dir.name + ".partial")
    done = _resume_state(partial, summary.fingerprint, force)
    partial.mkdir(parents=True, exist_ok=True)
    summary.resumed_from = done.get("consumed", 0)
    try:
        rows, summary.revision = load_hub_dataset(source.dataset, source.config, source.split, source.streaming)
        if summary.resumed_from and done.get("revision") != summary.revision:  # the dataset changed: start over
            done, summary.resumed_from = _resume_state(partial, "", True), 0
            partial.mkdir(parents=True, exist_ok=True)
        if summary.resumed_from:
            rows = rows.skip(summary.resumed_from)
        _write_records(source, rows, partial, summary.revision, summary, show_progress, done)
        if summary.records_written == 0:
            raise ValueError(f"sources[{source.name}]: no usable records in {source.dataset} (split {source.split})")
    except Exception as error:  # datasets and the hub raise many types; the run names the source instead
        summary.failed.append((f"sources[{source.name}] dataset {source.dataset}", f"{type(error).__name__}: {error}"))
        summary.seconds = time.monotonic() - started
        return summary  # what the last checkpoint covers stays in the .partial folder for the next run
    summary.seconds = time.monotonic() - started
    (partial / PROGRESS).unlink(missing_ok=True)
    atomic_write_json(partial / "summary.json", summary.to_dict())
    shutil.rmtree(out_dir, ignore_errors=True)
    os.replace(partial, out_dir)
    return summary
