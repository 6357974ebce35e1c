"""The two model stages of `codemill run`: the tiny base model built once from the dataset, then training on it."""

from __future__ import annotations

import json

from codemill.finetune import run_base_model, run_finetune
from tests.finetune.conftest import tiny_recipe


def test_the_base_model_is_built_once_then_kept_and_force_sets_it_aside(tiny_run):
    recipe = tiny_recipe(tiny_run)
    layout = recipe.layout
    built = run_base_model(recipe.model, layout.dataset, layout.base_model, force=False, seed=1)
    assert built.outputs == [layout.base_model] and built.counts["vocab size"] > 0
    weights = next(layout.base_model.glob("*.safetensors"))
    stamp = weights.stat().st_mtime_ns
    run_base_model(recipe.model, layout.dataset, layout.base_model, force=False, seed=1)
    assert weights.stat().st_mtime_ns == stamp  # resumed: already built, not rebuilt
    run_base_model(recipe.model, layout.dataset, layout.base_model, force=True, seed=1)
    assert (tiny_run / "base_model.previous" / weights.name).exists() and weights.exists()


def test_finetune_trains_on_the_base_model_it_is_given(tiny_run):
    recipe = tiny_recipe(tiny_run, max_steps=2, save_steps=2)
    layout = recipe.layout
    run_base_model(recipe.model, layout.dataset, layout.base_model, force=False, seed=1)
    done = run_finetune(recipe, layout.dataset, layout.finetune, force=True, model=str(layout.base_model))
    assert done.counts["global step"] == 2 and done.outputs == [layout.finetune]
    info = json.loads((layout.finetune / "run_info.json").read_text())
    assert info["base_model"] == str(layout.base_model) and (layout.finetune / "adapter").is_dir()
