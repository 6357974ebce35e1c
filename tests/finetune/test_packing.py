"""Packing: trl's padding-free batches carry restarting position ids, and attention never crosses samples."""

from __future__ import annotations

import torch
from trl import SFTTrainer

from codemill.finetune.base_model import resolve_base_model
from codemill.finetune.model_loading import load_model, load_tokenizer, lora_config
from codemill.finetune.train import sft_config
from tests.finetune.conftest import tiny_recipe


def _trainer(run):
    from codemill.finetune.data import load_training_data

    recipe = tiny_recipe(run)
    train, _ = load_training_data(run / "dataset")
    path = resolve_base_model(recipe)
    return SFTTrainer(model=load_model(recipe, path, "fp32"), args=sft_config(recipe, run / "finetune", "fp32", True, False),
                      train_dataset=train, processing_class=load_tokenizer(recipe, path, True),
                      peft_config=lora_config(recipe.finetune)), path


def test_packed_batches_restart_positions_and_mask_prompts(tiny_run):
    trainer, _ = _trainer(tiny_run)
    batch = next(iter(trainer.get_train_dataloader()))
    assert trainer.padding_free and "attention_mask" not in batch
    starts = (batch["position_ids"][0] == 0).nonzero().flatten()
    assert len(starts) > 2  # several conversations share one row
    labels = batch["labels"][0]
    assert (labels == -100).any() and (labels != -100).any()  # prompts masked, answers trained
    assert (labels[starts] == -100).all()  # no loss across a sample boundary


def test_packed_forward_equals_separate_forwards(tiny_run):
    recipe = tiny_recipe(tiny_run)
    model = load_model(recipe, resolve_base_model(recipe), "fp32").eval()
    first, second = torch.randint(5, 300, (1, 9)), torch.randint(5, 300, (1, 13))
    packed_ids = torch.cat([first, second], dim=1)
    positions = torch.cat([torch.arange(9), torch.arange(13)]).unsqueeze(0)
    with torch.no_grad():
        packed = model(input_ids=packed_ids, position_ids=positions).logits
        alone = model(input_ids=second).logits
    torch.testing.assert_close(packed[:, 9:], alone, rtol=1e-4, atol=1e-4)
