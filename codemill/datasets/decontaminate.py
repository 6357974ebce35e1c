"""Decontamination: drop samples sharing word n-grams, signatures or docstrings with HumanEval/MBPP."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import xxhash
from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.filters.base_filter import BaseFilter

from codemill.common.atomic import atomic_write_text
from codemill.datasets.benchmarks import BenchmarkTask

_WORD = re.compile(r"\w+")
_SIGNATURE = re.compile(r"def\s+(\w+)\s*\(([^)]*)\)")
_DOCSTRING = re.compile(r'"""(.*?)"""|\'\'\'(.*?)\'\'\'', re.DOTALL)
_SPACES = re.compile(r"\s+")
MIN_SHORT_PIECE_WORDS = 6  # a whole prompt/solution shorter than n words is matched as one sequence
MAX_TASKS_PER_NGRAM = 2  # an n-gram shared by more tasks is generic test/boilerplate code


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _ngram_hashes(tokens: list[str], n: int) -> list[int]:
    return [xxhash.xxh3_64_intdigest(" ".join(tokens[i : i + n]).encode()) for i in range(len(tokens) - n + 1)]


def _signature_key(name: str, params: str) -> str:
    return f"def {name}({_SPACES.sub('', params)})"


@dataclass
class BenchmarkIndex:
    """Everything a sample is checked against, keyed to the benchmark task it came from."""

    n: int
    ngrams: dict[int, str] = field(default_factory=dict)
    short_pieces: dict[str, str] = field(default_factory=dict)
    signatures: dict[str, str] = field(default_factory=dict)
    docstrings: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, tasks: list[BenchmarkTask], n: int, min_signature_chars: int, min_docstring_chars: int) -> "BenchmarkIndex":
        index = cls(n=n)
        owners: dict[int, set[str]] = defaultdict(set)
        for task in tasks:
            label = f"{task.benchmark}:{task.task_id}"
            for piece in task.pieces:
                tokens = words(piece)
                if len(tokens) >= n:
                    for h in _ngram_hashes(tokens, n):
                        owners[h].add(label)
                elif len(tokens) >= MIN_SHORT_PIECE_WORDS:
                    index.short_pieces.setdefault(" ".join(tokens), label)
            for name, params in _SIGNATURE.findall(task.prompt + "\n" + task.solution):
                key = _signature_key(name, params)
                if len(f"def {name}({params})") >= min_signature_chars:
                    index.signatures.setdefault(key, label)
            for match in _DOCSTRING.finditer(task.prompt):
                doc = _SPACES.sub(" ", match.group(1) or match.group(2) or "").strip()
                first_line = doc.split(">>>")[0].strip()
                if len(first_line) >= min_docstring_chars:
                    index.docstrings.setdefault(first_line, label)
        index.ngrams = {h: sorted(labels)[0] for h, labels in owners.items() if len(labels) <= MAX_TASKS_PER_NGRAM}
        return index

    def matches(self, text: str) -> list[dict]:
        """Every benchmark task the text overlaps, with the kind of match and the matched span."""
        hits: dict[str, dict] = {}
        tokens = words(text)
        for i, h in enumerate(_ngram_hashes(tokens, self.n)):
            if h in self.ngrams and self.ngrams[h] not in hits:
                hits[self.ngrams[h]] = {"match": "ngram", "text": " ".join(tokens[i : i + self.n])}
        joined = f" {' '.join(tokens)} "
        for piece, label in self.short_pieces.items():
            if label not in hits and f" {piece} " in joined:
                hits[label] = {"match": "short_piece", "text": piece}
        for name, params in _SIGNATURE.findall(text):
            label = self.signatures.get(_signature_key(name, params))
            if label and label not in hits:
                hits[label] = {"match": "signature", "text": f"def {name}({params})"}
        flat = _SPACES.sub(" ", text)
        for docstring, label in self.docstrings.items():
            if label not in hits and docstring in flat:
                hits[label] = {"match": "docstring", "text": docstring}
        return [dict(benchmark=label.split(":", 1)[0], task_id=label.split(":", 1)[1], **hit) for label, hit in hits.items()]


class Decontaminate(BaseFilter):
    """Drops samples that overlap a benchmark task and lists every hit in `<hits_folder>/<rank>.jsonl`."""

    name = "decontaminate"

    def __init__(self, index: BenchmarkIndex, hits_folder: str, exclusion_writer=None):
        super().__init__(exclusion_writer)
        self.index, self.hits_folder = index, hits_folder
        self._hits: list[dict] = []

    def filter(self, doc: Document):
        hits = self.index.matches(doc.text)
        if not hits:
            return True
        for hit in hits:
            self._hits.append({"id": doc.id, "source": doc.metadata.get("source"), **hit})
        return False, "benchmark_overlap"

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        self._hits = []
        yield from super().run(data, rank, world_size)
        lines = "".join(json.dumps(hit, ensure_ascii=False) + "\n" for hit in self._hits)
        atomic_write_text(Path(self.hits_folder) / f"{rank:05d}.jsonl", lines)
