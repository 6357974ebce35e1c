"""Dedup settings for datatrove: exact-hash config, and MinHash bands chosen from the recipe's threshold."""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import xxhash
from datatrove.data import Document
from datatrove.pipeline.dedup.minhash import MinhashDedupSignature
from datatrove.pipeline.dedup.exact_dedup import ExactDedupConfig
from datatrove.pipeline.dedup.minhash import MinhashConfig
from datatrove.utils.hashing import HashConfig
from datatrove.utils.word_tokenizers import WordTokenizer

MIN_RECALL_AT_THRESHOLD = 0.95


class CodeWordTokenizer(WordTokenizer):
    """Lower-cased `\\w+` words: code-friendly (`foo.bar(x)` -> foo, bar, x), and needs no spaCy model."""

    def word_tokenize(self, text: str) -> list[str]:
        return _WORD.findall(text.lower())

    def sent_tokenize(self, text: str) -> list[str]:
        return [line for line in text.splitlines() if line.strip()]

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        spans, start = [], 0
        for line in text.splitlines(keepends=True):
            spans.append((start, start + len(line)))
            start += len(line)
        return spans


_WORD = re.compile(r"\w+")
# Odd 64-bit multipliers that mix the word hashes of an n-gram into one shingle hash.
_MIXERS = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93,
                    0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 0x94D049BB133111EB, 0xBF58476D1CE4E5B9], dtype=np.uint64)


def shingle_hashes(text: str, n: int) -> np.ndarray:
    """64-bit hashes of the word n-grams of lower-cased `\\w+` words, shape (count, 1).

    Words are hashed once with xxh3, then each n-gram's hash is a position-weighted sum of its word
    hashes (vectorised), instead of hashing every joined n-gram string."""
    words = _WORD.findall(text.lower())
    if not words:
        return np.empty((0, 1), dtype=np.uint64)
    word_hashes = np.fromiter(map(xxhash.xxh3_64_intdigest, map(str.encode, words)), dtype=np.uint64, count=len(words))
    size = min(n, len(words))
    count = len(words) - size + 1
    mixers = np.resize(_MIXERS, size)
    combined = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(size):
            combined += word_hashes[offset : offset + count] * mixers[offset]
    return combined.reshape((-1, 1))


class ShingleSignature(MinhashDedupSignature):
    """datatrove's MinHash stage 1 with code-friendly, vectorised shingling (lower-cased `\\w+` words).

    (The stock step hashes `str` n-grams, which the installed xxhash rejects, needs spaCy for
    English words, and strips punctuation character by character, which dominates its run time.)"""

    def __init__(self, output_folder: str, config: MinhashConfig):
        super().__init__(output_folder, config, language=CodeWordTokenizer())

    def get_shingles(self, text: str) -> np.ndarray:
        return shingle_hashes(text, self.config.n_grams)

    def get_signature(self, shingles: np.ndarray) -> list[list[int]]:
        """Min over `a*x + b mod 2**64` (odd a: a bijection on 64-bit values) instead of datatrove's
        `mod (2**61 - 1)`: the shingles are already well-mixed hashes and this skips a slow modulo."""
        a, b = self.parameters
        with np.errstate(over="ignore"):
            permuted = shingles * (a | np.uint64(1)) + b
        return permuted.min(axis=0).reshape(self.config.num_buckets, -1).tolist()


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
