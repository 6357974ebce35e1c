"""MinHash signatures and LSH duplicate clusters with numpy, a batch of documents at a time.

Shingles are word n-grams of lower-cased `\\w+` words. Signatures are 32-bit: each of the
bands x rows hash functions is `a*x + b mod 2**32` (odd `a`, a bijection) over 32-bit shingle hashes,
computed for a whole batch in one array operation instead of one small operation per document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain

import numpy as np
import xxhash
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

_WORD = re.compile(r"\w+")


def _word_byte_table(keep_non_ascii: bool) -> bytes:
    """`bytes.translate` table: ASCII `\\w` characters kept (upper case lowered), other ASCII bytes
    become spaces, bytes of non-ASCII characters kept or made spaces."""
    def mapped(code: int) -> str:
        if code >= 128:
            return chr(code) if keep_non_ascii else " "
        return chr(code).lower() if chr(code).isalnum() or chr(code) == "_" else " "
    return bytes(ord(mapped(code)) for code in range(256))


_ASCII_WORD_BYTES = _word_byte_table(keep_non_ascii=False)
_UTF8_WORD_BYTES = _word_byte_table(keep_non_ascii=True)
_SHINGLES_PER_CHUNK = 4_096  # keeps the (hashes x shingles) work array, 1.5 MB at 91 hashes, in cache


def words(text: str) -> list[bytes]:
    """Lower-cased `\\w+` words as UTF-8 bytes.

    Splitting happens on bytes (`bytes.translate` + `split`); only the pieces holding non-ASCII
    characters go through the regex, which decides which of those characters are word characters."""
    if text.isascii():
        return text.encode().translate(_ASCII_WORD_BYTES).split()
    found = []
    for piece in text.lower().encode("utf-8", "surrogatepass").translate(_UTF8_WORD_BYTES).split():
        if piece.isascii():
            found.append(piece)
        else:
            found += [w.encode("utf-8", "surrogatepass") for w in _WORD.findall(piece.decode("utf-8", "surrogatepass"))]
    return found


def shingle_hashes(texts: list[str], n: int) -> tuple[np.ndarray, np.ndarray]:
    """(hashes, counts): the 32-bit hashes of every text's word n-grams, text after text, and how many
    each text has (one n-gram of all its words when it has fewer than n, none when it has no word).

    Words are hashed once with xxh3; an n-gram's hash is a position-weighted sum of its word hashes,
    computed for all texts at once."""
    found = [words(text) for text in texts]
    lengths = np.array([len(w) for w in found], dtype=np.int64)
    hashes = np.fromiter(map(xxhash.xxh3_64_intdigest, chain.from_iterable(found)), dtype=np.uint64, count=int(lengths.sum()))
    grams = _mix(hashes, n)
    ends = np.cumsum(lengths)
    fits = np.arange(grams.size) + n <= np.repeat(ends, lengths)[: grams.size]  # the n-gram stays inside its text
    selected = grams[fits]
    short = np.flatnonzero((lengths > 0) & (lengths < n))
    if short.size:
        whole = np.concatenate([_mix(hashes[end - size : end], size) for end, size in zip(ends[short], lengths[short])])
        selected = np.insert(selected, np.cumsum(np.maximum(lengths - n + 1, 0))[short], whole)
    counts = np.where(lengths >= n, lengths - n + 1, np.minimum(lengths, 1))
    return (selected >> np.uint64(32)).astype(np.uint32), counts


def _mix(word_hashes: np.ndarray, n: int) -> np.ndarray:
    """64-bit hash of the n words starting at every position that has n words."""
    count = max(word_hashes.size - n + 1, 0)
    combined = np.zeros(count, dtype=np.uint64)
    for offset, mixer in enumerate(_mixers(n)):
        combined += word_hashes[offset : offset + count] * mixer
    return combined


@lru_cache(maxsize=None)
def _mixers(n: int) -> np.ndarray:
    """n fixed odd 64-bit multipliers, one per word position of an n-gram (the same in every process)."""
    return np.random.default_rng(0x5EED).integers(0, 2**64, size=n, dtype=np.uint64, endpoint=False) | np.uint64(1)


@dataclass(frozen=True)
class MinHashSettings:
    """Shingle size, LSH layout and seed; every task of one build must use the same."""

    n_grams: int
    bands: int
    rows: int
    seed: int

    @property
    def num_hashes(self) -> int:
        return self.bands * self.rows


class MinHasher:
    """Computes signatures, shape (num_hashes, documents), for batches of texts."""

    def __init__(self, settings: MinHashSettings):
        self.settings = settings
        generator = np.random.default_rng(settings.seed)
        shape = (settings.num_hashes, 1)
        self.multipliers = generator.integers(0, 2**32, size=shape, dtype=np.uint32) | np.uint32(1)
        self.offsets = generator.integers(0, 2**32, size=shape, dtype=np.uint32)

    def signatures(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(signatures, positions): one column per text that has at least one word, and its index in `texts`."""
        shingles, counts = shingle_hashes(texts, self.settings.n_grams)
        positions = np.flatnonzero(counts)
        starts = np.cumsum(counts) - counts
        columns = [self._chunk_signatures(shingles, starts[chunk], counts[chunk]) for chunk in _chunks(counts, positions)]
        if not columns:
            return np.empty((self.settings.num_hashes, 0), dtype=np.uint32), positions
        return np.concatenate(columns, axis=1), positions

    def _chunk_signatures(self, shingles: np.ndarray, starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """Min over each document's shingles of every hash function, for consecutive documents at once."""
        piece = shingles[starts[0] : starts[-1] + counts[-1]]
        permuted = np.multiply(self.multipliers, piece[np.newaxis, :])
        permuted += self.offsets
        return np.minimum.reduceat(permuted, starts - starts[0], axis=1)


def _chunks(counts: np.ndarray, positions: np.ndarray):
    """Runs of consecutive non-empty documents holding about `_SHINGLES_PER_CHUNK` shingles together."""
    chunk, size = [], 0
    for position in positions:
        chunk.append(position)
        size += counts[position]
        if size >= _SHINGLES_PER_CHUNK:
            yield np.array(chunk)
            chunk, size = [], 0
    if chunk:
        yield np.array(chunk)


def band_edges(band: np.ndarray) -> np.ndarray:
    """Pairs (first, other), shape (2, pairs), linking every document of a band bucket to its first one.

    `band` holds one band of all documents, shape (rows, documents); a bucket is a set of identical columns."""
    rows = np.ascontiguousarray(band.T)
    keys = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()
    _, first, bucket = np.unique(keys, return_index=True, return_inverse=True)
    firsts = first[bucket]
    others = np.flatnonzero(firsts != np.arange(len(keys)))
    return np.stack([firsts[others], others])


def duplicates_to_remove(edges: list[np.ndarray], documents: int) -> np.ndarray:
    """Sorted ids of the documents to drop: all but the lowest id of every connected cluster."""
    pairs = np.concatenate(edges, axis=1) if edges else np.empty((2, 0), dtype=np.int64)
    graph = coo_matrix((np.ones(pairs.shape[1], dtype=np.int32), (pairs[0], pairs[1])), shape=(documents, documents))
    _, labels = connected_components(graph, directed=False)
    _, keep = np.unique(labels, return_index=True)
    removed = np.ones(documents, dtype=bool)
    removed[keep] = False
    return np.flatnonzero(removed)
