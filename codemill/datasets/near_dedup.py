"""MinHash-LSH near-dedup as datatrove steps: signatures (riding along a stage that reads the
documents anyway), clusters (one task), and datatrove's own filter reading the removal lists.

Files: `<signatures>/<rank:05d>.npy`, uint32, shape (1 + hashes, documents): row 0 is each signed
document's index in its shard, then the hashes band by band. `<removals>/<rank:06d>.remove`: the
sorted uint32 indices to drop, the format `MinhashDedupFilter` reads. Every file is written atomically.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.dedup.minhash import MinhashDedupFilter

from codemill.common.atomic import atomic_open
from codemill.datasets.minhash import MinHasher, MinHashSettings, band_edges, duplicates_to_remove

_BATCH = 256  # documents signed together


def signature_path(folder: str, rank: int) -> Path:
    return Path(folder) / f"{rank:05d}.npy"


def removal_path(folder: str, rank: int) -> Path:
    return Path(folder) / f"{rank:06d}.remove"


class NearDedupSignatures(PipelineStep):
    """Passes documents through unchanged while signing them; writes the task's signature file at the end."""

    type = "🫂 - DEDUP"
    name = "near-dedup signatures"

    def __init__(self, folder: str, settings: MinHashSettings):
        super().__init__()
        self.folder, self.settings = folder, settings

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        hasher, parts, batch, first = MinHasher(self.settings), [], [], 0
        for index, doc in enumerate(data):
            batch.append(doc.text)
            yield doc
            if len(batch) == _BATCH:
                parts.append(self._sign(hasher, batch, first))
                batch, first = [], index + 1
        parts.append(self._sign(hasher, batch, first))
        with atomic_open(signature_path(self.folder, rank), "wb") as handle:
            np.save(handle, np.concatenate(parts, axis=1))

    def _sign(self, hasher: MinHasher, texts: list[str], first: int) -> np.ndarray:
        with self.track_time(unit="batch"):
            signatures, positions = hasher.signatures(texts)
            self.stat_update("signed", value=len(positions))
            return np.vstack([(positions + first).astype(np.uint32)[np.newaxis, :], signatures])


class NearDedupClusters(PipelineStep):
    """One task: buckets every band of all tasks' signatures, joins buckets into clusters, and lists
    for each task the documents to drop (all but the first of each cluster, in task then shard order)."""

    type = "🫂 - DEDUP"
    name = "near-dedup clusters"

    def __init__(self, signatures: str, removals: str, settings: MinHashSettings, tasks: int):
        super().__init__()
        self.signatures, self.removals, self.settings, self.tasks = signatures, removals, settings, tasks

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> None:
        with self.track_time(unit="build"):
            tables = [self._load(task) for task in range(self.tasks)]
            documents = sum(table.shape[1] for table in tables)
            rows = self.settings.rows
            edges = [band_edges(np.concatenate([t[1 + b * rows : 1 + (b + 1) * rows] for t in tables], axis=1))
                     for b in range(self.settings.bands)]
            removed = duplicates_to_remove(edges, documents)
            self.stat_update("signed", value=documents)
            self.stat_update("to_remove", value=len(removed))
            self._write_removals(tables, removed)

    def _load(self, task: int) -> np.ndarray:
        path = signature_path(self.signatures, task)
        if not path.exists():
            raise FileNotFoundError(f"{path}: near-dedup signatures of task {task} are missing; rerun the build to redo that task")
        table = np.load(path, mmap_mode="r")
        expected = 1 + self.settings.num_hashes
        if table.dtype != np.uint32 or table.ndim != 2 or table.shape[0] != expected:
            raise ValueError(f"{path}: expected uint32 signatures with {expected} rows, found {table.dtype} {table.shape}; "
                             "delete the build's dataset.work folder and rerun")
        return table

    def _write_removals(self, tables: list[np.ndarray], removed: np.ndarray) -> None:
        starts = np.cumsum([0] + [table.shape[1] for table in tables])
        for task, table in enumerate(tables):
            mine = removed[(removed >= starts[task]) & (removed < starts[task + 1])] - starts[task]
            indices = np.sort(np.asarray(table[0])[mine]).astype("<u4")
            with atomic_open(removal_path(self.removals, task), "wb") as handle:
                handle.write(indices.tobytes())


def near_dedup_filter(removals: str, exclusion_writer=None) -> MinhashDedupFilter:
    """datatrove's filter step: drops the listed indices of each task's shard, counts them as `near_dedup`."""
    return MinhashDedupFilter(removals, exclusion_writer)
