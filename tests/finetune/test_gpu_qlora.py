"""QLoRA on a real GPU: 4-bit NF4 base, adapter trains, loss falls, the adapter reloads on the 4-bit base."""

from __future__ import annotations

import json

import pytest
import torch

from tests.finetune.conftest import tiny_recipe

pytestmark = pytest.mark.gpu


def test_qlora_trains_tiny_model_in_4bit(tiny_run):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from codemill.finetune.train import finetune
    from codemill.finetune.model_loading import quantization_config

    recipe = tiny_recipe(tiny_run, method="qlora", max_steps=12, save_steps=6, learning_rate=2e-2)
    out = finetune(recipe)
    history = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    losses = [entry["loss"] for entry in history if "loss" in entry]
    assert all(torch.isfinite(torch.tensor(losses)))
    assert min(losses[-3:]) < losses[0]
    info = json.loads((out / "run_info.json").read_text())
    assert info["precision"] in ("bf16", "fp16")
    base = AutoModelForCausalLM.from_pretrained(info["base_model"],
                                                quantization_config=quantization_config("qlora", info["precision"]))
    assert any("Linear4bit" in type(module).__name__ for module in base.modules())
    model = PeftModel.from_pretrained(base, str(out / "adapter"))
    ids = torch.tensor([[1, 2, 3, 4]], device=model.device)
    assert torch.isfinite(model(input_ids=ids).logits).all()


def test_bf16_chosen_on_ampere_or_newer():
    from codemill.finetune.precision import resolve_precision

    major = torch.cuda.get_device_capability(0)[0]
    assert resolve_precision("auto") == ("bf16" if major >= 8 else "fp16")
