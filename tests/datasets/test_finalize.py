import json
import random

import orjson
import pyarrow.parquet as pq
import pytest

from codemill.datasets.finalize import FinalizeDataset, FinalizeRecords, GroupSample, validation_test
from codemill.datasets.mix import apply_token_budget, apply_weights, split_groups
from codemill.datasets.plan import BuildPlan
from codemill.datasets.tokens import approximate_tokens


def _shards(groups: list[str], shards: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    spread = [[] for _ in range(shards)]
    for group in groups:
        spread[rng.randrange(shards)].append(group)
    return spread


@pytest.mark.parametrize("count, fraction", [(50, 0.05), (3, 0.01), (4, 0.99), (1, 0.5), (40, 0.0), (2, 0.5), (200, 0.3)])
def test_validation_from_shard_samples_equals_split_over_all_groups(count, fraction):
    groups = [f"thread-{n}" for n in range(count)]
    for seed in range(5):
        samples = set()
        for shard in _shards(groups, 4, seed):
            sample = GroupSample(fraction, seed)
            for group in shard + shard[:3]:  # a group seen twice in a shard counts once
                sample.add(group)
            samples.update(sample.groups())
        in_validation = validation_test(sorted(samples), fraction, seed)
        assert {g for g in groups if in_validation(g)} == split_groups(groups, fraction, seed)


def _documents(count: int) -> list[dict]:
    rng = random.Random(7)
    docs = []
    for n in range(count):
        words = " ".join(rng.choice(["loop", "value", "list", "x", "=", "(", ")", "print"]) for _ in range(rng.randrange(5, 60)))
        question, answer = f"How do I use {words}?", f"Write {words} like this."
        docs.append({"id": f"doc-{n}", "text": question + "\n\n" + answer,
                     "metadata": {"source": "forum" if n % 3 else "book", "group": f"g{n // 2}", "license": f"L{n % 2}",
                                  "turns": [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]}})
    return docs


def _reference(docs: list[dict], data: dict, weights: dict) -> dict[str, list[dict]]:
    """The dataset rows as one in-memory pass over every record computes them."""
    records = [{"id": d["id"], "source": d["metadata"]["source"], "group": d["metadata"]["group"],
                "tokens": approximate_tokens(d["text"]), "metadata": json.dumps({"license": d["metadata"]["license"]}),
                "messages": d["metadata"]["turns"]} for d in docs]
    chosen = split_groups([r["group"] for r in records], data["validation_fraction"], data["seed"])
    train = [r for r in records if r["group"] not in chosen]
    mixed = apply_token_budget(apply_weights(train, weights, data["seed"]), data["token_budget"], data["seed"])
    keep = ("id", "source", "group", "metadata", "messages")
    return {"train": [{k: r[k] for k in keep} for r in mixed],
            "validation": [{k: r[k] for k in keep} for r in records if r["group"] in chosen]}


@pytest.mark.parametrize("budget", [None, 3_000])
def test_sharded_finalize_writes_the_rows_of_one_pass(tmp_path, budget):
    docs, tasks = _documents(300), 3
    data = {"format": "chat", "system_prompt": None, "tokenizer": None, "validation_fraction": 0.1, "seed": 3,
            "token_budget": budget}
    sources = [{"name": "forum", "type": "stackexchange", "weight": 1.5, "license": None, "attribution": None},
               {"name": "book", "type": "pdf", "weight": 0.5, "license": "CC BY", "attribution": "someone"}]
    plan = BuildPlan(run_dir=str(tmp_path / "run"), data=data, sources=sources, recipe_yaml="name: t\n")
    deduped = tmp_path / "deduped"
    deduped.mkdir()
    for rank in range(tasks):  # shard 2 stays empty: a worker may write nothing
        part = docs[: len(docs) // 2] if rank == 0 else docs[len(docs) // 2 :] if rank == 1 else []
        (deduped / f"{rank:05d}.jsonl").write_bytes(b"".join(orjson.dumps(d) + b"\n" for d in part))
    records, summaries = str(tmp_path / "records"), str(tmp_path / "summaries")
    for rank in range(tasks):
        list(FinalizeRecords(plan, str(deduped), records, summaries).run(rank=rank, world_size=tasks))
    list(FinalizeDataset(plan, records, summaries, tasks).run())

    expected = _reference(docs, data, {"forum": 1.5, "book": 0.5})
    out = plan.dataset_dir
    for split, rows in expected.items():
        written = pq.read_table(out / "data" / f"{split}-00000-of-00001.parquet").to_pylist()
        assert [r["id"] for r in written] == [r["id"] for r in rows]
        assert written == rows
    stats = json.loads((out / "stats.json").read_text())
    assert stats["records"] == {"train": len(expected["train"]), "validation": len(expected["validation"])}
    assert stats["licenses_by_source"] == {"book": ["L0", "L1"], "forum": ["L0", "L1"]}
    if budget:  # the budget binds: without it the training split holds more tokens
        unbudgeted = _reference(docs, dict(data, token_budget=None), {"forum": 1.5, "book": 0.5})["train"]
        assert stats["tokens"]["train"] <= budget and len(unbudgeted) > len(expected["train"])


def test_finalize_names_a_missing_shard_summary(tmp_path):
    plan = BuildPlan(run_dir=str(tmp_path), data={}, sources=[], recipe_yaml="")
    (tmp_path / "summaries").mkdir()
    (tmp_path / "summaries" / "00000.json").write_text('{"records": 0, "groups": [], "licenses_by_source": {}}')
    with pytest.raises(FileNotFoundError, match="00001.json: finalize_records of task 1 is missing"):
        list(FinalizeDataset(plan, str(tmp_path / "records"), str(tmp_path / "summaries"), 2).run())
