import pytest

from codemill.datasets.dedup import ShingleSignature, band_layout, catch_probability, minhash_config
from codemill.datasets.config import DedupConfig


@pytest.mark.parametrize("threshold", [0.7, 0.8, 0.9])
def test_band_layout_catches_pairs_at_the_threshold(threshold):
    bands, rows = band_layout(threshold, 128)
    assert bands * rows <= 128
    assert catch_probability(threshold, bands, rows) >= 0.95
    assert catch_probability(threshold - 0.3, bands, rows) < 0.2


def test_signatures_are_similar_for_near_duplicates(tmp_path):
    step = ShingleSignature(str(tmp_path), minhash_config(DedupConfig()))
    vocabulary = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma".split()
    base = " ".join(vocabulary[(i * 7 + i // 3) % len(vocabulary)] + vocabulary[i % 5] for i in range(300))
    words = base.split()
    edited = " ".join(words[:150] + ["changed"] + words[151:])
    sig_a, sig_b = (step.get_signature(step.get_shingles(t)) for t in (base, edited))
    shared = sum(a == b for a, b in zip(sig_a, sig_b))
    assert shared >= len(sig_a) // 2
    other = step.get_signature(step.get_shingles(" ".join(reversed(words))))
    assert sum(a == b for a, b in zip(sig_a, other)) == 0
