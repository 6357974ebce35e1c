"""Every shipped recipe loads and validates; the tiny CPU recipe trains for real."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codemill.recipe.loader import load_recipe

RECIPES = sorted((Path(__file__).resolve().parents[2] / "recipes").glob("*.yaml"))
REQUIRED = {"qwen2.5-coder-7b-lora", "qwen2.5-coder-7b-qlora-t4", "deepseek-coder-6.7b-base", "codellama-7b",
            "llama-3.1-8b", "qwen2.5-coder-7b-fsdp-qlora-2gpu", "tiny-cpu"}


def test_the_promised_recipes_ship():
    assert REQUIRED <= {path.stem for path in RECIPES}


@pytest.mark.parametrize("path", RECIPES, ids=lambda p: p.stem)
def test_recipe_validates(path):
    recipe = load_recipe(path)
    assert recipe.name == path.stem or path.stem == "demo"
    assert (recipe.model.name_or_path is None) != (recipe.model.tiny is None)


def test_t4_recipe_fits_a_t4_by_the_estimate():
    from transformers import Qwen2Config

    from codemill.finetune.estimate import estimate_memory

    qwen_7b = Qwen2Config(hidden_size=3584, intermediate_size=18944, num_hidden_layers=28, num_attention_heads=28,
                          num_key_value_heads=4, vocab_size=152064, tie_word_embeddings=False)
    recipe = load_recipe(next(p for p in RECIPES if p.stem == "qwen2.5-coder-7b-qlora-t4"))
    assert estimate_memory(qwen_7b, recipe.finetune).fits_on == "T4 16GB"


def test_tiny_cpu_recipe_trains(tmp_path):
    from codemill.finetune.train import finetune
    from tests.finetune.conftest import chat_rows, write_dataset

    recipe = load_recipe(next(p for p in RECIPES if p.stem == "tiny-cpu"))
    recipe.output_dir = tmp_path
    write_dataset(tmp_path, chat_rows(48))
    write_dataset(tmp_path, chat_rows(8, seed=1), split="validation")
    out = finetune(recipe)
    history = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    losses = [entry["loss"] for entry in history if "loss" in entry]
    assert len(losses) == recipe.finetune.max_steps and losses[-1] < losses[0]
    assert any("eval_loss" in entry for entry in history)
    assert (out / "adapter" / "adapter_model.safetensors").exists()


@pytest.mark.parametrize("path", [p for p in RECIPES if p.stem not in ("demo", "tiny-cpu")], ids=lambda p: p.stem)
def test_7b_recipes_read_public_sources_with_their_licences(path):
    sources = load_recipe(path).sources
    book = next(s for s in sources if s.url is not None)
    assert book.sha256 and book.license and book.attribution
    assert any(s.site and s.site.endswith("stackexchange.com") for s in sources)
    assert all(s.path is None for s in sources)
