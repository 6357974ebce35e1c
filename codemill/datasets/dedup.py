"""Dedup settings: the exact-hash config for datatrove, and the MinHash bands x rows chosen from the recipe's threshold."""

from __future__ import annotations

from functools import lru_cache

from datatrove.data import Document
from datatrove.pipeline.dedup.exact_dedup import ExactDedupConfig
from datatrove.utils.hashing import HashConfig

from codemill.datasets.minhash import MinHashSettings

MIN_RECALL_AT_THRESHOLD = 0.95


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


def minhash_settings(dedup) -> MinHashSettings:
    """The recipe's `data.dedup` section as the settings every near-dedup task shares."""
    bands, rows = band_layout(dedup.threshold, dedup.num_perm)
    return MinHashSettings(n_grams=dedup.ngram_size, bands=bands, rows=rows, seed=dedup.seed)


def dedup_content(doc: Document) -> bytes:
    """What exact dedup compares: the text with whitespace runs collapsed and case folded."""
    return " ".join(doc.text.split()).casefold().encode()


def exact_config() -> ExactDedupConfig:
    return ExactDedupConfig(content_getter=dedup_content, hash_config=HashConfig(precision=64))
