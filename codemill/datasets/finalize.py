"""The last two stages, in memory that does not grow with the corpus.

`finalize_records` (one task per shard): each deduplicated shard becomes a parquet file of records
(token counts included) plus a small summary: licences, and the few groups that decide the split's
corner cases. `finalize` (one task): decides the split from the summaries, then streams every shard's
records, batch by batch, through split, mix and token budget into the dataset's parquet files, and
writes stats, reports and the card. Rows and their order are those of a single in-memory pass.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from codemill.common.atomic import atomic_open, atomic_write_json, atomic_write_text
from codemill.datasets.card import render_card
from codemill.datasets.mix import apply_token_budget, apply_weights, split_groups, unit_hash
from codemill.datasets.plan import BuildPlan
from codemill.datasets.shards import read_shard, shard_path
from codemill.datasets.stats import merge_stage_stats, step_counts
from codemill.datasets.tokens import describe_counter, token_counter

_INTERNAL_KEYS = ("turns", "group", "source", "file_path")
_MESSAGES = pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))
_BATCH = 2048  # records held at once by either stage


def _schema(data_format: str) -> pa.Schema:
    body = ("messages", _MESSAGES) if data_format == "chat" else ("text", pa.string())
    return pa.schema([("id", pa.string()), ("source", pa.string()), ("group", pa.string()), ("metadata", pa.string()), body])


def _records_schema(data_format: str) -> pa.Schema:
    return _schema(data_format).append(pa.field("tokens", pa.int64()))


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


def _merge_jsonl(folder: Path, limit: int | None = None) -> list[dict]:
    rows = []
    for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else []:
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows[:limit] if limit is not None else rows


def _jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False, default=str) + "\n" for row in rows)


def _batches(items, size: int = _BATCH):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def records_path(folder: str, rank: int) -> Path:
    return Path(folder) / f"{rank:05d}.parquet"


def summary_path(folder: str, rank: int) -> Path:
    return Path(folder) / f"{rank:05d}.json"


class GroupSample:
    """The few groups of a set that decide `split_groups`' corner cases: lowest and highest hash, the
    two first names, one group under the validation fraction and one over it.

    `split_groups` over the samples of every shard then tells which groups the corner cases move."""

    def __init__(self, fraction: float, seed: int):
        self.fraction, self.seed = fraction, seed
        self.lowest = self.highest = self.chosen = self.unchosen = None
        self.first_two: list[str] = []

    def add(self, group: str) -> None:
        key = (unit_hash(self.seed, group), group)
        if self.lowest is None or key < self.lowest:
            self.lowest = key
        if self.highest is None or key[0] > self.highest[0] or (key[0] == self.highest[0] and group < self.highest[1]):
            self.highest = key  # ties: the first name, as `max` over sorted groups picks
        if key[0] < self.fraction:
            self.chosen = self.chosen or key
        else:
            self.unchosen = self.unchosen or key
        if group not in self.first_two:
            self.first_two = sorted(self.first_two + [group])[:2]

    def groups(self) -> list[str]:
        picked = [key[1] for key in (self.lowest, self.highest, self.chosen, self.unchosen) if key is not None]
        return sorted(set(picked + self.first_two))


def validation_test(samples: list[str], fraction: float, seed: int):
    """`group -> goes to validation`, the same answer `split_groups` gives over all groups, from the
    shards' `GroupSample`s: every group under the fraction, plus or minus the corner cases' moves."""
    chosen = split_groups(samples, fraction, seed)
    if not chosen:
        return lambda group: False
    by_hash = {group for group in samples if unit_hash(seed, group) < fraction}
    added, removed = chosen - by_hash, by_hash - chosen
    return lambda group: group in added or (group not in removed and unit_hash(seed, group) < fraction)


class FinalizeRecords(PipelineStep):
    """One task per shard: `deduped/<rank>.jsonl` -> `records/<rank>.parquet` (rows + tokens) and `summaries/<rank>.json`."""

    type = "codemill"
    name = "finalize records"

    def __init__(self, plan: BuildPlan, input_folder: str, records: str, summaries: str):
        super().__init__()
        self.plan, self.input_folder, self.records, self.summaries = plan, input_folder, records, summaries

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        data_settings = self.plan.data
        count = token_counter(data_settings["tokenizer"])
        sample = GroupSample(data_settings["validation_fraction"], data_settings["seed"])
        licenses: dict[str, set[str]] = {}
        schema, written = _records_schema(data_settings["format"]), 0
        with atomic_open(records_path(self.records, rank), "wb") as handle, pq.ParquetWriter(handle, schema) as writer:
            for batch in _batches(read_shard(shard_path(self.input_folder, rank))):
                with self.track_time(unit="batch"):
                    rows = [_record(doc, data_settings, count) for doc in batch]
                    for row in rows:
                        sample.add(row["group"])
                        licence = json.loads(row["metadata"]).get("license")
                        licenses.setdefault(row["source"], set()).update([licence] if licence else [])
                    writer.write_table(pa.Table.from_pylist(rows, schema=schema))
                    written += len(rows)
        atomic_write_json(summary_path(self.summaries, rank), {
            "records": written, "groups": sample.groups(),
            "licenses_by_source": {source: sorted(names) for source, names in licenses.items()}})
        self.stat_update("records", value=written)
        yield from ()


class _SplitWriter:
    """Appends rows to one split's parquet file (written atomically) and keeps its counts."""

    def __init__(self, path: Path, schema: pa.Schema):
        self.schema, self.rows, self.tokens, self.by_source, self.pending = schema, 0, 0, {}, []
        self._open = atomic_open(path, "wb")
        self._writer = pq.ParquetWriter(self._open.__enter__(), schema)

    def add(self, row: dict) -> None:
        self.rows += 1
        self.tokens += row["tokens"]
        self.by_source[row["source"]] = self.by_source.get(row["source"], 0) + row["tokens"]
        self.pending.append({name: row[name] for name in self.schema.names})
        if len(self.pending) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self._writer.write_table(pa.Table.from_pylist(self.pending, schema=self.schema))
            self.pending = []

    def close(self, error: BaseException | None = None) -> None:
        if error is None:
            self.flush()
        self._writer.close()
        self._open.__exit__(type(error) if error else None, error, error.__traceback__ if error else None)


class FinalizeDataset(PipelineStep):
    """Single task: streams `records/` into `<run_dir>/dataset/` (every file atomically)."""

    type = "codemill"
    name = "finalize"

    def __init__(self, plan: BuildPlan, records: str, summaries: str, tasks: int):
        super().__init__()
        self.plan, self.records, self.summaries, self.tasks = plan, records, summaries, tasks

    def _summaries(self) -> list[dict]:
        found = []
        for rank in range(self.tasks):
            path = summary_path(self.summaries, rank)
            if not path.exists():
                raise FileNotFoundError(f"{path}: finalize_records of task {rank} is missing; rerun the build to redo that task")
            found.append(json.loads(path.read_text(encoding="utf-8")))
        return found

    def _rows(self, columns: list[str] | None = None):
        """Every record, shard after shard, in order."""
        for rank in range(self.tasks):
            for batch in pq.ParquetFile(records_path(self.records, rank)).iter_batches(batch_size=_BATCH, columns=columns):
                yield from batch.to_pylist()

    def _mixed_train(self, in_validation, rows):
        """The training records after the source weights: (record, copy) in order."""
        data = self.plan.data
        weights = {s["name"]: s["weight"] for s in self.plan.sources}
        for row in rows:
            if not in_validation(row["group"]):
                yield from apply_weights([row], weights, data["seed"])

    def _budget_kept(self, in_validation) -> set[int] | None:
        """Positions in the mixed training records that the token budget keeps; None when it keeps all.

        Only when the budget binds does this hold something per record (its position, id and tokens)."""
        data = self.plan.data
        if data["token_budget"] is None:
            return None
        light = [{"id": row["id"], "tokens": row["tokens"], "at": at}
                 for at, row in enumerate(self._mixed_train(in_validation, self._rows(["id", "source", "group", "tokens"])))]
        kept = apply_token_budget(light, data["token_budget"], data["seed"])
        return None if len(kept) == len(light) else {row["at"] for row in kept}

    def _write_splits(self, in_validation, kept: set[int] | None) -> tuple[dict[str, _SplitWriter], dict]:
        out, schema = self.plan.dataset_dir / "data", _schema(self.plan.data["format"])
        writers = {name: _SplitWriter(out / f"{name}-00000-of-00001.parquet", schema) for name in ("train", "validation")}
        counts = {"in": 0, "train": 0}
        error = None
        try:
            weights = {s["name"]: s["weight"] for s in self.plan.sources}
            at = 0
            for row in self._rows():
                counts["in"] += 1
                if in_validation(row["group"]):
                    writers["validation"].add(row)
                    continue
                counts["train"] += 1
                for copy in apply_weights([row], weights, self.plan.data["seed"]):
                    if kept is None or at in kept:
                        writers["train"].add(copy)
                    at += 1
        except BaseException as failure:
            error = failure
            raise
        finally:
            for writer in writers.values():
                writer.close(error)
        return writers, counts

    def _stats(self, writers: dict[str, _SplitWriter], counts: dict, licenses: dict, hits: list[dict], malformed: list[dict]) -> dict:
        steps = {}
        for stage in self.plan.stages:
            for name, counters in merge_stage_stats(self.plan.logs(stage)):
                entry = step_counts(name, counters)
                if entry is not None:
                    steps[name] = entry
                elif name in ("read", "normalize", "format", "synthesize", "check_code", "redact"):
                    steps[name] = {k: int(v) for k, v in counters.items() if not k.startswith("time")}
        trained = writers["train"]
        steps["split"] = {"in": counts["in"], "train": counts["train"], "validation": writers["validation"].rows}
        steps["mix"] = {"in": counts["train"], "out": trained.rows}
        return {"steps": steps, "records": {name: writer.rows for name, writer in writers.items()},
                "tokens": {name: writer.tokens for name, writer in writers.items()},
                "train_tokens_by_source": trained.by_source, "licenses_by_source": licenses,
                "token_counter": describe_counter(self.plan.data["tokenizer"]),
                "decontamination_hits": len(hits), "decontamination_sources": self.plan.benchmark_sources,
                "malformed": malformed}

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        out, work, settings = self.plan.dataset_dir, self.plan.work_dir, self.plan.data
        summaries = self._summaries()
        samples = sorted({group for summary in summaries for group in summary["groups"]})
        in_validation = validation_test(samples, settings["validation_fraction"], settings["seed"])
        writers, counts = self._write_splits(in_validation, self._budget_kept(in_validation))
        licenses: dict[str, set[str]] = {}
        for summary in summaries:
            for source, names in summary["licenses_by_source"].items():
                licenses.setdefault(source, set()).update(names)
        hits = _merge_jsonl(work / "decont")
        atomic_write_text(out / "decontamination.jsonl", _jsonl(hits))
        for folder in sorted((work / "drops").glob("*")):
            atomic_write_text(out / "drops" / f"{folder.name}.jsonl", _jsonl(_merge_jsonl(folder, limit=20)))
        licenses_by_source = {source: sorted(names) for source, names in licenses.items()}
        stats = self._stats(writers, counts, licenses_by_source, hits, _merge_jsonl(work / "malformed"))
        atomic_write_json(out / "stats.json", stats)
        atomic_write_text(out / "README.md", render_card(self.plan, stats))
        self.stat_update("train", value=writers["train"].rows)
        self.stat_update("validation", value=writers["validation"].rows)
        yield from ()


def finalize_stages(plan: BuildPlan, source: str, tasks: int) -> list[tuple[str, list, int]]:
    """(name, pipeline, tasks) of the two finalize stages reading the deduplicated shards in `source`."""
    records, summaries = plan.folder("final/records"), plan.folder("final/summaries")
    return [("finalize_records", [FinalizeRecords(plan, source, records, summaries)], tasks),
            ("finalize", [FinalizeDataset(plan, records, summaries, tasks)], 1)]
