import gzip
import json
import shutil

import pytest
from datasets import load_dataset

from codemill.datasets.build import build_dataset
from codemill.datasets.finalize import FinalizeDataset
from codemill.recipe.loader import load_recipe
from tests.datasets.fixtures import write_fixture_run


@pytest.fixture(scope="module")
def humaneval_prompt(shared_data):
    with gzip.open(shared_data / "evals" / "HumanEval.jsonl.gz", "rt") as handle:
        return json.loads(handle.readline())["prompt"]


@pytest.fixture(scope="module")
def built(tmp_path_factory, shared_data, humaneval_prompt):
    recipe = load_recipe(write_fixture_run(tmp_path_factory.mktemp("run"), humaneval_prompt, shared_data / "evals"))
    return recipe, build_dataset(recipe)


def test_dataset_loads_with_both_splits_and_groups_never_straddle(built):
    _, out = built
    data = load_dataset(str(out))
    assert set(data) == {"train", "validation"} and data["validation"].num_rows > 0
    assert not set(data["train"]["group"]) & set(data["validation"]["group"])
    ids = list(data["train"]["id"]) + list(data["validation"]["id"])
    assert len(ids) == len(set(ids))


def test_records_are_chat_with_attribution_and_redaction(built):
    _, out = built
    rows = load_dataset(str(out), split="train").to_list() + load_dataset(str(out), split="validation").to_list()
    thread = next(r for r in rows if r["source"] == "forum")
    meta = json.loads(thread["metadata"])
    assert [m["role"] for m in thread["messages"]] == ["user", "assistant"]
    assert thread["messages"][1]["content"].startswith("The usual way")  # the accepted answer, not the top-scored one
    assert "CC BY-SA 4.0" in meta["attribution"] and meta["url"].startswith("https://")
    chunks = [r for r in rows if r["source"] == "book"]
    assert all(json.loads(r["metadata"])["heading_path"][0] == "Loops" for r in chunks)
    assert not any("author@example.com" in m["content"] for r in rows for m in r["messages"])


def test_stats_explain_every_drop(built):
    _, out = built
    stats = json.loads((out / "stats.json").read_text())
    steps = stats["steps"]
    assert steps["exact_dedup"]["dropped"] == 1  # thread 50 repeats thread 1
    assert steps["decontaminate"]["dropped"] == 1
    assert steps["near_dedup"]["dropped"] >= 1  # the templated fixture threads are near-duplicates
    assert stats["malformed"][0]["line"] == 4 and stats["malformed"][0]["file"].endswith("threads-00000.jsonl.gz")
    hits = [json.loads(line) for line in (out / "decontamination.jsonl").read_text().splitlines()]
    assert {h["task_id"] for h in hits} == {"HumanEval/0"}
    card = (out / "README.md").read_text()
    assert "## Steps" in card and "| forum | stackexchange | 1 | CC BY-SA 4.0 |" in card


def test_rerun_after_a_crash_gives_the_same_records(built, monkeypatch, tmp_path):
    recipe, out = built
    expected = sorted(load_dataset(str(out), split="train")["id"])
    copy = load_recipe_copy(recipe, tmp_path)
    shutil.copytree(recipe.run_dir / "extract", copy.run_dir / "extract")

    def crash(self, data=None, rank=0, world_size=1):
        raise RuntimeError("killed")

    monkeypatch.setattr(FinalizeDataset, "run", crash)
    with pytest.raises(RuntimeError):
        build_dataset(copy)
    work = copy.run_dir / "dataset.work"
    (work / "logs" / "minhash_filter" / "completions" / "00000").unlink()  # task 0 "died" mid-write
    (work / "deduped" / "00000.jsonl").write_text('{"text": "torn', encoding="utf-8")
    monkeypatch.undo()
    build_dataset(copy)
    assert sorted(load_dataset(str(copy.run_dir / "dataset"), split="train")["id"]) == expected


def load_recipe_copy(recipe, folder):
    return recipe.model_copy(update={"output_dir": folder})
