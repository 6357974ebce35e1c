"""Rank-aligned intermediate shards: worker `rank` always reads the file worker `rank` wrote."""

from __future__ import annotations

from pathlib import Path

import orjson
from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.writers.jsonl import JsonlWriter


def _as_record(writer, document: Document) -> dict:
    """text, id and metadata as they are (datatrove's default adapter deep-copies via `asdict`)."""
    return {"text": document.text, "id": document.id, "metadata": document.metadata}


def shard_writer(folder: str) -> JsonlWriter:
    """Intermediate shards are plain JSONL: gzip would cost more time than the disk it saves here."""
    return JsonlWriter(folder, output_filename="${rank}.jsonl", compression=None, adapter=_as_record)


def shard_path(folder: str | Path, rank: int) -> Path:
    return Path(folder) / f"{rank:05d}.jsonl"


def read_shard(path: Path):
    """Documents of one shard, in order; a shard a worker left empty may simply not exist."""
    if not path.exists():
        return
    with open(path, "rb") as handle:
        for line in handle:
            record = orjson.loads(line)
            yield Document(text=record.get("text", ""), id=record["id"], metadata=record.get("metadata", {}))


class ShardReader(PipelineStep):
    """Reads `<folder>/<rank>.jsonl`, so index-based dedup removal lists line up with the data.

    (datatrove's JsonlReader shards the *existing* files across ranks, which shifts when a worker
    wrote nothing.)"""

    type = "codemill"
    name = "shard reader"

    def __init__(self, folder: str):
        super().__init__()
        self.folder = folder

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in read_shard(shard_path(self.folder, rank)):
            self.stat_update("documents")
            yield doc
