"""Dedup settings for datatrove: exact-hash config, and MinHash bands chosen from the recipe's threshold."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import xxhash
from datatrove.data import Document
from datatrove.pipeline.dedup.minhash import MinhashDedupSignature
from datatrove.pipeline.dedup.exact_dedup import ExactDedupConfig
from datatrove.pipeline.dedup.minhash import MinhashConfig
from datatrove.utils.hashing import HashConfig
from datatrove.utils.text import simplify_text
from datatrove.utils.word_tokenizers import WordTokenizer

MIN_RECALL_AT_THRESHOLD = 0.95


class CodeWordTokenizer(WordTokenizer):
    """Whitespace words of datatrove's simplified text: code-friendly, and needs no spaCy model."""

    def word_tokenize(self, text: str) -> list[str]:
        return text.split()

    def sent_tokenize(self, text: str) -> list[str]:
        return [line for line in text.splitlines() if line.strip()]

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        spans, start = [], 0
        for line in text.splitlines(keepends=True):
            spans.append((start, start + len(line)))
            start += len(line)
        return spans


class ShingleSignature(MinhashDedupSignature):
    """datatrove's MinHash stage 1, shingling with whitespace words and xxh3 over bytes.

    (The stock step hashes `str` n-grams, which the installed xxhash rejects, and needs spaCy for words.)"""

    def __init__(self, output_folder: str, config: MinhashConfig):
        super().__init__(output_folder, config, language=CodeWordTokenizer())

    def get_shingles(self, text: str) -> np.ndarray:
        words = simplify_text(text, self.config.norm_config).split()
        n = self.config.n_grams
        grams = (" ".join(words[i : i + n]).encode() for i in range(max(len(words) - n + 1, 1 if words else 0)))
        return np.fromiter((xxhash.xxh3_64_intdigest(g) for g in grams), dtype=np.uint64).reshape((-1, 1))


def catch_probability(similarity: float, bands: int, rows: int) -> float:
    """Chance that LSH with `bands` x `rows` puts a pair of this Jaccard similarity in a shared bucket."""
    return 1 - (1 - similarity**rows) ** bands


@lru_cache(maxsize=64)
def band_layout(threshold: float, num_perm: int) -> tuple[int, int]:
    """Bands x rows (at most num_perm hashes) catching >= 95% of pairs at `threshold`, with the fewest
    catches of clearly dissimilar pairs (similarity below threshold - 0.1)."""
    best: tuple[float, int, int] | None = None
    for rows in range(1, num_perm + 1):
        for bands in range(1, num_perm // rows + 1):
            if catch_probability(threshold, bands, rows) < MIN_RECALL_AT_THRESHOLD:
                continue
            steps = max(int((threshold - 0.1) * 100), 1)
            false_area = sum(catch_probability(s / 100, bands, rows) for s in range(steps)) / 100
            if best is None or false_area < best[0]:
                best = (false_area, bands, rows)
            break  # more bands with the same rows only add false catches
    if best is None:
        return num_perm, 1  # even one-row bands miss: use every hash as its own band
    return best[1], best[2]


def minhash_config(dedup) -> MinhashConfig:
    bands, rows = band_layout(dedup.threshold, dedup.num_perm)
    return MinhashConfig(n_grams=dedup.ngram_size, num_buckets=bands, hashes_per_bucket=rows, seed=dedup.seed,
                         hash_config=HashConfig(precision=64))


def dedup_content(doc: Document) -> bytes:
    """What exact dedup compares: the text with whitespace runs collapsed and case folded."""
    return " ".join(doc.text.split()).casefold().encode()


def exact_config() -> ExactDedupConfig:
    return ExactDedupConfig(content_getter=dedup_content, hash_config=HashConfig(precision=64))
