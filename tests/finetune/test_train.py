"""End to end on a tiny model: outputs, assistant-only labels, packing without leakage, resume, NaN stop."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from transformers import AutoModelForCausalLM, TrainerCallback

from codemill.finetune.train import FinetuneError, finetune
from codemill.recipe.loader import load_recipe
from tests.finetune.conftest import chat_rows, tiny_recipe, write_dataset


def _losses(out):
    history = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    return {entry["step"]: entry["loss"] for entry in history if "loss" in entry}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    run = tmp_path_factory.mktemp("trained")
    write_dataset(run, chat_rows(64))
    write_dataset(run, chat_rows(8, seed=1), split="validation")
    return finetune(tiny_recipe(run, eval_steps=3))


def test_run_folder_holds_every_output(trained):
    adapter = trained / "adapter"
    assert (adapter / "adapter_model.safetensors").exists() and (adapter / "tokenizer.json").exists()
    assert (trained / "loss.png").read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in (trained / "checkpoints").iterdir())[-1] == "checkpoint-6"
    assert load_recipe(trained / "recipe.yaml").finetune.max_steps == 6
    info = json.loads((trained / "run_info.json").read_text())
    assert info["precision"] == "fp32" and info["format"] == "chat"


def test_loss_falls_and_validation_is_logged(trained):
    losses = _losses(trained)
    assert list(losses) == [1, 2, 3, 4, 5, 6]
    assert losses[6] < losses[1]
    history = [json.loads(line) for line in (trained / "metrics.jsonl").read_text().splitlines()]
    rates = [entry["learning_rate"] for entry in history if "learning_rate" in entry]
    assert rates[0] == pytest.approx(5e-3) and all(a > b for a, b in zip(rates, rates[1:]))  # cosine, no warmup
    lines = (trained / "metrics.jsonl").read_text()
    assert "eval_loss" in lines


def test_adapter_loads_with_peft(trained):
    from peft import PeftModel

    info = json.loads((trained / "run_info.json").read_text())
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(info["base_model"]), str(trained / "adapter"))
    assert torch.isfinite(model(input_ids=torch.tensor([[5, 6, 7]])).logits).all()


def test_rerun_without_resume_is_refused(trained):
    recipe = load_recipe(trained / "recipe.yaml")
    with pytest.raises(FinetuneError, match="pass --resume"):
        finetune(recipe)


class _Interrupt(TrainerCallback):
    def on_save(self, args, state, control, **kwargs):
        if state.global_step == 4:
            raise KeyboardInterrupt


def test_resume_continues_with_the_same_data_order(trained, tmp_path):
    run = trained.parent
    shutil.copytree(run / "dataset", tmp_path / "dataset")
    shutil.copytree(run / "base_model", tmp_path / "base_model")
    recipe = tiny_recipe(tmp_path, eval_steps=3)
    with pytest.raises(KeyboardInterrupt):
        finetune(recipe, callbacks=(_Interrupt(),))
    assert not (tmp_path / "finetune" / "adapter").exists()
    out = finetune(recipe, resume=True)
    resumed, straight = _losses(out), _losses(trained)
    assert list(resumed) == [1, 2, 3, 4, 5, 6]
    assert [resumed[s] for s in (5, 6)] == pytest.approx([straight[s] for s in (5, 6)], rel=1e-4)


class _Poison(TrainerCallback):
    def on_step_end(self, args, state, control, model=None, **kwargs):
        if state.global_step == 3:
            next(p for p in model.parameters() if p.requires_grad).data.fill_(float("nan"))


def test_nan_stops_and_keeps_the_last_good_checkpoint(tiny_run):
    recipe = tiny_recipe(tiny_run)
    with pytest.raises(FinetuneError, match=r"stopped at step 3: .*NaN.*checkpoint-2.*--resume --reset-optimizer"):
        finetune(recipe, callbacks=(_Poison(),))
    checkpoints = sorted(p.name for p in (tiny_run / "finetune" / "checkpoints").glob("checkpoint-*"))
    assert checkpoints == ["checkpoint-2"]
    assert not (tiny_run / "finetune" / "adapter").exists()


def test_completion_format_trains_on_text(tmp_path):
    rows = [{"id": str(i), "source": "t", "group": str(i), "metadata": "{}",
             "text": " ".join(m["content"] for m in row["messages"])} for i, row in enumerate(chat_rows(32))]
    write_dataset(tmp_path, rows)
    out = finetune(tiny_recipe(tmp_path, max_steps=3, save_steps=3))
    assert json.loads((out / "run_info.json").read_text())["format"] == "completion"
    assert len(_losses(out)) == 3


def test_dora_with_rslora_trains_a_magnitude_vector(tiny_run):
    from peft import get_peft_model, get_peft_model_state_dict
    from safetensors.torch import load_file

    from codemill.finetune.model_loading import lora_config

    recipe = tiny_recipe(tiny_run, method="dora", max_steps=2, save_steps=2,
                         lora={"r": 4, "alpha": 8, "dropout": 0.0, "rslora": True})
    out = finetune(recipe)
    config = json.loads((out / "adapter" / "adapter_config.json").read_text())
    assert config["use_dora"] and config["use_rslora"]
    base = json.loads((out / "run_info.json").read_text())["base_model"]
    initial = get_peft_model(AutoModelForCausalLM.from_pretrained(base), lora_config(recipe.finetune))
    start = {k: v for k, v in get_peft_model_state_dict(initial).items() if "lora_magnitude_vector" in k}
    trained = {k: v for k, v in load_file(out / "adapter" / "adapter_model.safetensors").items() if k in start}
    assert len(trained) == len(start) > 0
    assert all(not torch.allclose(start[key], value) for key, value in trained.items())  # the magnitudes learned
