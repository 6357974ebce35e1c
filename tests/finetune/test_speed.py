"""Per-step extras are opt-in: trl's token entropy/accuracy run only with `finetune.token_metrics`."""

from __future__ import annotations

import json

import pytest
from transformers import TrainerCallback

from codemill.finetune.train import finetune
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


@pytest.mark.parametrize("attention", ["sdpa", "eager", pytest.param("flex_attention", marks=pytest.mark.gpu)])
def test_no_attention_across_samples_of_a_packed_training_batch(tiny_run, attention):
    """Each sample of a real padding-free batch (several conversations in one flattened row) gets the
    logits it gets alone, for every attention kernel codemill can pick."""
    import torch

    from codemill.finetune.base_model import resolve_base_model
    from codemill.finetune.data import load_training_data
    from codemill.finetune.model_loading import load_model, load_tokenizer
    from codemill.finetune.speed import LeanSFTTrainer
    from codemill.finetune.train import sft_config

    if attention == "flex_attention" and not torch.cuda.is_available():
        pytest.skip("flex attention compiles for minutes on CPU; checked on the GPU (scripts/gpu_checks.sh)")
    recipe = tiny_recipe(tiny_run)
    recipe.model.attn_implementation = attention
    train, _ = load_training_data(tiny_run / "dataset")
    path = resolve_base_model(recipe)
    model = load_model(recipe, path, "fp32")
    trainer = LeanSFTTrainer(model=model, args=sft_config(recipe, tiny_run / "finetune", "fp32", True, False),
                             train_dataset=train, processing_class=load_tokenizer(recipe, path, True))
    batch = next(iter(trainer.get_train_dataloader()))
    device = next(model.parameters()).device
    ids, positions = batch["input_ids"].to(device), batch["position_ids"].to(device)
    starts = (positions[0] == 0).nonzero().flatten().tolist() + [ids.size(1)]
    assert len(starts) > 3
    model.eval()
    with torch.no_grad():
        packed = model(input_ids=ids, position_ids=positions).logits
        for start, end in zip(starts, starts[1:]):
            alone = model(input_ids=ids[:, start:end]).logits
            torch.testing.assert_close(packed[:, start:end], alone, rtol=1e-4, atol=1e-4)


class _CheckpointFlags(TrainerCallback):
    """Records which decoder layers checkpoint during training."""

    def on_step_begin(self, args, state, control, model=None, **kwargs):
        from codemill.finetune.speed import checkpoint_blocks

        self.flags = [block.gradient_checkpointing for block in checkpoint_blocks(model)]


def test_selective_checkpointing_recomputes_only_the_named_layers_with_the_same_loss(tmp_path):
    runs = {}
    for layers in (None, 1):
        run_dir = tmp_path / f"layers-{layers}"
        write_dataset(run_dir, chat_rows(32))
        flags = _CheckpointFlags()
        out = finetune(tiny_recipe(run_dir, max_steps=2, save_steps=100, gradient_checkpointing=True,
                                   checkpoint_layers=layers), callbacks=(flags,))
        rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
        runs[layers] = (flags.flags, [row["loss"] for row in rows if "loss" in row])
    assert runs[None][0] == [True, True] and runs[1][0] == [True, False]
    assert runs[1][1] == pytest.approx(runs[None][1], rel=1e-5)


def test_layers_are_spread_evenly():
    from codemill.finetune.speed import spread

    assert spread(4, 28) == [0, 7, 14, 21] and spread(0, 28) == [] and spread(28, 28) == list(range(28))
