import re

import numpy as np
import pytest

from codemill.recipe.data import DedupConfig
from codemill.datasets.dedup import band_layout, catch_probability, minhash_settings
from codemill.datasets.minhash import MinHasher, band_edges, duplicates_to_remove, shingle_hashes, words

VOCABULARY = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma".split()


def document(seed: int, length: int = 300) -> str:
    rng = np.random.default_rng(seed)
    return " ".join(VOCABULARY[i] + str(j) for i, j in zip(rng.integers(0, len(VOCABULARY), length), rng.integers(0, 9, length)))


def edited(text: str, every: int) -> str:
    return " ".join("changed" if i % every == 0 else w for i, w in enumerate(text.split()))


@pytest.mark.parametrize("threshold", [0.7, 0.8, 0.9])
def test_band_layout_catches_pairs_at_the_threshold(threshold):
    bands, rows = band_layout(threshold, 128)
    assert bands * rows <= 128
    assert catch_probability(threshold, bands, rows) >= 0.95
    assert catch_probability(threshold - 0.3, bands, rows) < 0.2


@pytest.mark.parametrize("text", ["Foo.bar(x_1) + BAZ", "naïve café’s Größe — ΣΙΓΜΑ 42", "", "...", "tab\there\nnew_line"])
def test_words_are_lowercased_regex_words_on_both_paths(text):
    assert words(text) == [w.encode() for w in re.findall(r"\w+", text.lower())]


def test_shingles_of_a_batch_are_each_texts_shingles_in_order():
    texts = [document(1, 40), "", "too short", document(2, 12), "one two three four five", "x"]
    flat, counts = shingle_hashes(texts, 5)
    assert list(counts) == [36, 0, 1, 8, 1, 1]
    alone = [shingle_hashes([t], 5)[0] for t in texts]
    assert np.array_equal(flat, np.concatenate(alone))
    assert len(set(alone[0].tolist())) == 36


def test_signatures_do_not_depend_on_the_batch():
    hasher = MinHasher(minhash_settings(DedupConfig()))
    texts = [document(i, 50 + 40 * i) for i in range(6)] + [""]
    together, positions = hasher.signatures(texts)
    assert list(positions) == list(range(6)) and together.dtype == np.uint32
    for i, text in enumerate(texts[:6]):
        assert np.array_equal(hasher.signatures([text])[0][:, 0], together[:, i])


def test_signatures_agree_in_proportion_to_similarity():
    hasher = MinHasher(minhash_settings(DedupConfig()))
    base = document(7)
    signatures, _ = hasher.signatures([base, edited(base, 60), document(8)])
    near = np.mean(signatures[:, 0] == signatures[:, 1])
    far = np.mean(signatures[:, 0] == signatures[:, 2])
    assert near > 0.7 and far < 0.05


def test_band_buckets_link_identical_columns_to_their_first():
    band = np.array([[5, 1, 5, 2, 5, 1], [7, 3, 7, 3, 8, 3]], dtype=np.uint32)  # columns 3 and 4 share one row only
    pairs = sorted(map(tuple, band_edges(band).T.tolist()))
    assert pairs == [(0, 2), (1, 5)]


def test_clusters_keep_their_lowest_id_only():
    edges = [np.array([[3, 7], [4, 9]]), np.array([[4], [7]])]  # 3-4, 7-9, 4-7: one cluster {3, 4, 7, 9}
    assert duplicates_to_remove(edges, 10).tolist() == [4, 7, 9]
    assert duplicates_to_remove([], 4).tolist() == []
    assert duplicates_to_remove([np.array([[0], [1]])] * 256, 3).tolist() == [1]  # the same pair from every band
