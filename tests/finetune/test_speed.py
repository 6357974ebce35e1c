"""Per-step extras are opt-in: trl's token entropy/accuracy run only with `finetune.token_metrics`."""

from __future__ import annotations

import json

import pytest

from codemill.finetune import finetune
from tests.finetune.conftest import chat_rows, tiny_recipe, write_dataset


def _train(run_dir, **settings) -> list[dict]:
    write_dataset(run_dir, chat_rows(32))
    out = finetune(tiny_recipe(run_dir, max_steps=3, save_steps=100, **settings))
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return {on: _train(tmp_path_factory.mktemp(f"metrics-{on}"), token_metrics=on) for on in (False, True)}


def test_token_metrics_are_not_computed_by_default(runs):
    steps = [row for row in runs[False] if "loss" in row]
    assert steps and not any("entropy" in row or "mean_token_accuracy" in row for row in steps)


def test_token_metrics_are_logged_when_asked_for(runs):
    steps = [row for row in runs[True] if "loss" in row]
    assert steps and all("entropy" in row and "mean_token_accuracy" in row for row in steps)


def test_the_loss_is_the_same_with_and_without_them(runs):
    def losses(rows):
        return [row["loss"] for row in rows if "loss" in row]

    assert losses(runs[False]) == pytest.approx(losses(runs[True]), rel=1e-5)
    assert len(losses(runs[False])) == 3


def test_the_fused_head_is_not_asked_for_them(tiny_run):
    """The trainer's model returns no entropy or top-1 hits unless the recipe asks."""
    import torch

    from codemill.finetune.base_model import resolve_base_model
    from codemill.finetune.data import load_training_data
    from codemill.finetune.model_loading import load_model, load_tokenizer, lora_config
    from codemill.finetune.speed import LeanSFTTrainer
    from codemill.finetune.train import sft_config

    recipe = tiny_recipe(tiny_run)
    train, _ = load_training_data(tiny_run / "dataset")
    path = resolve_base_model(recipe)
    outputs = {}
    for on in (False, True):
        trainer = LeanSFTTrainer(model=load_model(recipe, path, "fp32"),
                                 args=sft_config(recipe, tiny_run / "finetune", "fp32", True, False),
                                 train_dataset=train, processing_class=load_tokenizer(recipe, path, True),
                                 peft_config=lora_config(recipe.finetune), token_metrics=on)
        batch = next(iter(trainer.get_train_dataloader()))
        with torch.no_grad():
            outputs[on] = trainer.model(**batch, fused_lm_head=True)
    assert outputs[False].entropy is None and outputs[False].is_top1 is None
    assert outputs[True].entropy is not None and outputs[True].is_top1 is not None
    torch.testing.assert_close(outputs[False].log_probs, outputs[True].log_probs)
