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
from codemill.benchmarks import Problem

_WORD = re.compile(r"\w+")
_SIGNATURE = re.compile(r"def\s+(\w+)\s*\(([^)]*)\)")
_DOCSTRING = re.compile(r'"""(.*?)"""|\'\'\'(.*?)\'\'\'', re.DOTALL)
_SPACES = re.compile(r"\s+")
MIN_SHORT_PIECE_WORDS = 5  # a whole prompt/solution shorter than n words is matched as one sequence


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _ngram_hashes(tokens: list[str], n: int) -> list[int]:
    return [xxhash.xxh3_64_intdigest(" ".join(tokens[i : i + n]).encode()) for i in range(len(tokens) - n + 1)]


def _anchor(docstring: str) -> str:
    """The longest word with a non-word character on each side inside `docstring`, lower-cased: any
    text containing the docstring has it as a whole word. "" when there is none."""
    inner = [m.group(0) for m in _WORD.finditer(docstring) if m.start() > 0 and m.end() < len(docstring)]
    return max(inner, key=len).lower() if inner and docstring.isascii() else ""


def _signature_key(name: str, params: str) -> str:
    return f"def {name}({_SPACES.sub('', params)})"


@dataclass
class BenchmarkIndex:
    """Everything a sample is checked against, keyed to the benchmark task it came from."""

    n: int
    ngrams: dict[int, tuple[str, ...]] = field(default_factory=dict)
    short_pieces: dict[str, tuple[str, ...]] = field(default_factory=dict)
    signatures: dict[str, tuple[str, ...]] = field(default_factory=dict)
    docstrings: dict[str, tuple[str, ...]] = field(default_factory=dict)
    short_piece_sizes: tuple[int, ...] = ()
    vocabulary: frozenset = frozenset()  # every word of every indexed n-gram: an n-gram holding another word cannot match
    short_piece_starts: dict[int, frozenset] = field(default_factory=dict)  # piece size -> first words of those pieces
    docstring_anchors: dict[str, str] = field(default_factory=dict)  # docstring -> a lower-cased word inside it, "" if none

    @classmethod
    def build(cls, tasks: list[Problem], n: int, min_signature_chars: int, min_docstring_chars: int) -> "BenchmarkIndex":
        owners = {kind: defaultdict(set) for kind in ("ngrams", "short_pieces", "signatures", "docstrings")}
        for task in tasks:
            label = f"{task.benchmark}:{task.task_id}"
            for piece in task.pieces:
                tokens = words(piece)
                if len(tokens) >= n:
                    for h in _ngram_hashes(tokens, n):
                        owners["ngrams"][h].add(label)
                elif len(tokens) >= MIN_SHORT_PIECE_WORDS:
                    owners["short_pieces"][" ".join(tokens)].add(label)
            for name, params in _SIGNATURE.findall(task.description + "\n" + task.code):
                if len(f"def {name}({params})") >= min_signature_chars:
                    owners["signatures"][_signature_key(name, params)].add(label)
            for match in _DOCSTRING.finditer(task.description):
                first_line = _SPACES.sub(" ", match.group(1) or match.group(2) or "").split(">>>")[0].strip()
                if len(first_line) >= min_docstring_chars:
                    owners["docstrings"][first_line].add(label)
        frozen = {kind: {key: tuple(sorted(labels)) for key, labels in table.items()} for kind, table in owners.items()}
        starts = defaultdict(set)
        for piece in frozen["short_pieces"]:
            starts[piece.count(" ") + 1].add(piece.split(" ", 1)[0])
        vocabulary = frozenset(word for task in tasks for piece in task.pieces if len(tokens := words(piece)) >= n for word in tokens)
        return cls(n=n, short_piece_sizes=tuple(sorted(starts)), vocabulary=vocabulary,
                   short_piece_starts={size: frozenset(firsts) for size, firsts in starts.items()},
                   docstring_anchors={docstring: _anchor(docstring) for docstring in frozen["docstrings"]}, **frozen)

    def _ngram_positions(self, tokens: list[str]) -> list[int]:
        """Starts of the n-grams made only of indexed words; only those can hash to an indexed n-gram."""
        positions, run = [], 0
        for i, token in enumerate(tokens):
            run = run + 1 if token in self.vocabulary else 0
            if run >= self.n:
                positions.append(i - self.n + 1)
        return positions

    def _candidates(self, text: str):
        """(task labels, kind of match, matched text) for every overlap found in `text`."""
        tokens = words(text)
        for i in self._ngram_positions(tokens):
            gram = " ".join(tokens[i : i + self.n])
            if (labels := self.ngrams.get(xxhash.xxh3_64_intdigest(gram.encode()))) is not None:
                yield labels, "ngram", gram
        any_first = frozenset().union(*self.short_piece_starts.values())
        starts = [i for i, token in enumerate(tokens) if token in any_first]
        for size in self.short_piece_sizes:
            firsts = self.short_piece_starts[size]
            for i in starts:
                if i + size <= len(tokens) and tokens[i] in firsts and (piece := " ".join(tokens[i : i + size])) in self.short_pieces:
                    yield self.short_pieces[piece], "short_piece", piece
        for name, params in _SIGNATURE.findall(text):
            if (labels := self.signatures.get(_signature_key(name, params))) is not None:
                yield labels, "signature", f"def {name}({params})"
        flat = _SPACES.sub(" ", text)
        present = set(tokens) if text.isascii() else None  # for ASCII text, a word inside a match is one of its words
        for docstring, labels in self.docstrings.items():
            anchor = self.docstring_anchors.get(docstring, "")
            if (present is None or not anchor or anchor in present) and docstring in flat:
                yield labels, "docstring", docstring

    def matches(self, text: str) -> list[dict]:
        """Every benchmark task the text overlaps (first match per task), with the kind of match and the span."""
        hits: dict[str, dict] = {}
        for labels, kind, matched in self._candidates(text):
            for label in labels:
                if label not in hits:
                    benchmark, task_id = label.split(":", 1)
                    hits[label] = {"benchmark": benchmark, "task_id": task_id, "match": kind, "text": matched}
        return list(hits.values())


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
