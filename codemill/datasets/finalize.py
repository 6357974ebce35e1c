"""The last stage: merge deduplicated shards, split, mix, and write parquet, stats, reports and the card."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from codemill.common.atomic import atomic_write_bytes, atomic_write_json, atomic_write_text
from codemill.datasets.card import render_card
from codemill.datasets.mix import apply_token_budget, apply_weights, split_groups
from codemill.datasets.plan import BuildPlan
from codemill.datasets.shards import read_shard
from codemill.datasets.stats import merge_stage_stats, step_counts
from codemill.datasets.tokens import describe_counter, token_counter

_INTERNAL_KEYS = ("turns", "group", "source", "file_path")
_MESSAGES = pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))


def _schema(data_format: str) -> pa.Schema:
    body = ("messages", _MESSAGES) if data_format == "chat" else ("text", pa.string())
    return pa.schema([("id", pa.string()), ("source", pa.string()), ("group", pa.string()), ("metadata", pa.string()), body])


def _record(doc, data: dict, count) -> dict:
    meta = doc.metadata
    record = {"id": doc.id, "source": meta["source"], "group": meta["group"], "tokens": count(doc.text),
              "metadata": json.dumps({k: v for k, v in meta.items() if k not in _INTERNAL_KEYS}, ensure_ascii=False, default=str)}
    if data["format"] == "chat":
        system = [{"role": "system", "content": data["system_prompt"]}] if data.get("system_prompt") else []
        record["messages"] = system + [{"role": t["role"], "content": t["content"]} for t in meta["turns"]]
    else:
        record["text"] = doc.text
    return record


def _licenses(records: list[dict]) -> dict[str, list[str]]:
    """Every licence named in each source's records (StackExchange posts carry their own)."""
    found: dict[str, set[str]] = {}
    for record in records:
        licence = json.loads(record["metadata"]).get("license")
        found.setdefault(record["source"], set()).update([licence] if licence else [])
    return {source: sorted(names) for source, names in found.items()}


def _merge_jsonl(folder: Path, limit: int | None = None) -> list[dict]:
    rows = []
    for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows[:limit] if limit is not None else rows


def _jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False, default=str) + "\n" for row in rows)


def _write_parquet(path: Path, rows: list[dict], schema: pa.Schema) -> None:
    table = pa.Table.from_pylist([{name: row[name] for name in schema.names} for row in rows], schema=schema)
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    atomic_write_bytes(path, buffer.getvalue())


class FinalizeDataset(PipelineStep):
    """Single task: reads `deduped/`, writes `<run_dir>/dataset/` (every file atomically)."""

    type = "codemill"
    name = "finalize"

    def __init__(self, plan: BuildPlan, input_folder: str):
        super().__init__()
        self.plan, self.input_folder = plan, input_folder

    def _records(self, count) -> list[dict]:
        records = []
        for path in sorted(Path(self.input_folder).glob("*.jsonl")):
            records += [_record(doc, self.plan.data, count) for doc in read_shard(path)]
        return records

    def _splits(self, records: list[dict]) -> tuple[dict[str, list[dict]], int]:
        data = self.plan.data
        validation_groups = split_groups([r["group"] for r in records], data["validation_fraction"], data["seed"])
        train = [r for r in records if r["group"] not in validation_groups]
        validation = [r for r in records if r["group"] in validation_groups]
        weights = {s["name"]: s["weight"] for s in self.plan.sources}
        mixed = apply_token_budget(apply_weights(train, weights, data["seed"]), data["token_budget"], data["seed"])
        return {"train": mixed, "validation": validation}, len(train)

    def _stats(self, records: list[dict], splits: dict[str, list[dict]], unmixed_train: int, hits: list[dict], malformed: list[dict]) -> dict:
        steps = {}
        for stage in self.plan.stages:
            for name, counters in merge_stage_stats(self.plan.logs(stage)):
                entry = step_counts(name, counters)
                if entry is not None:
                    steps[name] = entry
                elif name in ("read", "normalize", "format", "synthesize", "check_code", "redact"):
                    steps[name] = {k: int(v) for k, v in counters.items() if not k.startswith("time")}
        trained = splits["train"]
        steps["split"] = {"in": len(records), "train": unmixed_train, "validation": len(splits["validation"])}
        steps["mix"] = {"in": unmixed_train, "out": len(trained)}
        tokens = {name: sum(r["tokens"] for r in rows) for name, rows in splits.items()}
        by_source = {}
        for row in trained:
            by_source[row["source"]] = by_source.get(row["source"], 0) + row["tokens"]
        return {"steps": steps, "records": {k: len(v) for k, v in splits.items()}, "tokens": tokens,
                "train_tokens_by_source": by_source, "licenses_by_source": _licenses(records),
                "token_counter": describe_counter(self.plan.data["tokenizer"]),
                "decontamination_hits": len(hits), "decontamination_sources": self.plan.benchmark_sources,
                "malformed": malformed}

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        out, work = self.plan.dataset_dir, self.plan.work_dir
        records = self._records(token_counter(self.plan.data["tokenizer"]))
        splits, unmixed_train = self._splits(records)
        schema = _schema(self.plan.data["format"])
        for name, rows in splits.items():
            _write_parquet(out / "data" / f"{name}-00000-of-00001.parquet", rows, schema)
        hits = _merge_jsonl(work / "decont")
        atomic_write_text(out / "decontamination.jsonl", _jsonl(hits))
        for folder in sorted((work / "drops").glob("*")):
            atomic_write_text(out / "drops" / f"{folder.name}.jsonl", _jsonl(_merge_jsonl(folder, limit=20)))
        stats = self._stats(records, splits, unmixed_train, hits, _merge_jsonl(work / "malformed"))
        atomic_write_json(out / "stats.json", stats)
        atomic_write_text(out / "README.md", render_card(self.plan, stats))
        self.stat_update("train", value=len(splits["train"]))
        self.stat_update("validation", value=len(splits["validation"]))
        yield from ()
