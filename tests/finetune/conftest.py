"""Fixtures: a tiny chat dataset in the layout `codemill data build` writes, and a recipe training on it."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from codemill.recipe.loader import Recipe

WORDS = "def return list dict for while if else import print value index string loop count sum range key".split()


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def chat_rows(count: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        messages = [
            {"role": "user", "content": "How do I " + _sentence(rng, rng.randint(3, 12)) + "?"},
            {"role": "assistant", "content": "Use " + _sentence(rng, rng.randint(5, 40)) + "."},
        ]
        rows.append({"id": f"ex-{i}", "source": "test", "group": f"g{i}", "metadata": json.dumps({}),
                     "messages": messages})
    return rows


def write_dataset(run_dir: Path, rows: list[dict], split: str = "train") -> None:
    folder = run_dir / "dataset" / "data"
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), folder / f"{split}-00000-of-00001.parquet")


def tiny_recipe(run_dir: Path, **finetune) -> Recipe:
    settings = {"seq_len": 128, "batch_size": 2, "gradient_accumulation": 1, "max_steps": 6, "save_steps": 2,
                "logging_steps": 1, "learning_rate": 5e-3, "gradient_checkpointing": False, "warmup_ratio": 0.0,
                "lora": {"r": 4, "alpha": 8, "dropout": 0.0}, "wandb": {"mode": "disabled"}}
    settings.update(finetune)
    return Recipe.model_validate({
        "name": "tiny-test", "output_dir": str(run_dir),
        "model": {"tiny": {"vocab_size": 400, "hidden_size": 64, "intermediate_size": 128, "num_layers": 2,
                           "num_heads": 4, "max_position_embeddings": 256}},
        "finetune": settings,
    })


@pytest.fixture
def tiny_run(tmp_path: Path) -> Path:
    """A run folder with train and validation splits of a small chat dataset."""
    write_dataset(tmp_path, chat_rows(64))
    write_dataset(tmp_path, chat_rows(8, seed=1), split="validation")
    return tmp_path
