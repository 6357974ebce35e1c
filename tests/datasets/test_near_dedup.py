import numpy as np
import pytest
from datatrove.data import Document
from datatrove.executor.local import LocalPipelineExecutor

from codemill.recipe.data import DedupConfig
from codemill.datasets.dedup import minhash_settings
from codemill.datasets.near_dedup import NearDedupClusters, NearDedupSignatures, near_dedup_filter, removal_path, signature_path
from codemill.datasets.shards import ShardReader, read_shard, shard_path, shard_writer
from tests.datasets.test_dedup import document, edited

SETTINGS = minhash_settings(DedupConfig(threshold=0.8))


def run_stage(pipeline, tasks, logs):
    LocalPipelineExecutor(pipeline, tasks=tasks, workers=1, logging_dir=str(logs)).run()


@pytest.fixture()
def shards(tmp_path):
    """Task 0: a, b, an empty text, c. Task 1: a near copy of a, d, an exact copy of b."""
    a, b, c, d = (document(seed) for seed in (1, 2, 3, 4))
    texts = {0: [a, b, "", c], 1: [edited(a, 100), d, b]}
    sigs = tmp_path / "sigs"
    for rank, docs in texts.items():
        stream = (Document(text=t, id=f"{rank}-{i}") for i, t in enumerate(docs))
        signer = NearDedupSignatures(str(sigs), SETTINGS)
        writer = shard_writer(str(tmp_path / "prepared"))
        passed = list(signer.run(writer.run(stream, rank=rank), rank=rank))
        assert [doc.text for doc in passed] == docs
    return tmp_path


def test_signature_files_list_each_signed_document_by_its_shard_index(shards):
    table = np.load(signature_path(str(shards / "sigs"), 0))
    assert table.dtype == np.uint32 and table.shape == (1 + SETTINGS.num_hashes, 3)
    assert table[0].tolist() == [0, 1, 3]  # the empty text has no shingles and no signature


def test_clusters_and_filter_drop_later_copies_across_tasks(shards):
    run_stage([NearDedupClusters(str(shards / "sigs"), str(shards / "remove"), SETTINGS, tasks=2)], 1, shards / "logs1")
    assert removal_path(str(shards / "remove"), 0).read_bytes() == b""
    assert np.frombuffer(removal_path(str(shards / "remove"), 1).read_bytes(), dtype="<u4").tolist() == [0, 2]
    pipeline = [ShardReader(str(shards / "prepared")), near_dedup_filter(str(shards / "remove")), shard_writer(str(shards / "kept"))]
    run_stage(pipeline, 2, shards / "logs2")
    kept = [doc.id for rank in (0, 1) for doc in read_shard(shard_path(shards / "kept", rank))]
    assert kept == ["0-0", "0-1", "0-2", "0-3", "1-1"]


def test_missing_or_foreign_signatures_are_named(shards):
    clusters = NearDedupClusters(str(shards / "sigs"), str(shards / "remove"), SETTINGS, tasks=3)
    with pytest.raises(FileNotFoundError, match="00002.npy: near-dedup signatures of task 2 are missing"):
        clusters.run()
    other = minhash_settings(DedupConfig(threshold=0.6))
    with pytest.raises(ValueError, match="00000.npy: expected uint32 signatures with"):
        NearDedupClusters(str(shards / "sigs"), str(shards / "remove"), other, tasks=2).run()
    assert not (shards / "remove").exists()
