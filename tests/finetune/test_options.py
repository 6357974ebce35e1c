"""Settings that must reach training: assistant-only labels, non-reentrant checkpointing, the schedule,
NEFTune, early stopping with the best checkpoint, DoRA's magnitude, NF4 double quantisation."""

from __future__ import annotations

import json
import re

import pytest
import torch
from safetensors.torch import load_file
from transformers import TrainerCallback
from trl import SFTTrainer

from codemill.finetune.train import FinetuneError, finetune
from codemill.finetune.base_model import resolve_base_model
from codemill.finetune.data import load_training_data
from codemill.finetune.model_loading import load_model, load_tokenizer, lora_config
from codemill.models.saved import base_load_options, nf4_config
from codemill.finetune.train import sft_config
from tests.finetune.conftest import tiny_recipe


def _losses(out, key="loss"):
    history = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    return {entry["step"]: entry[key] for entry in history if key in entry}


def test_trainer_batches_train_on_answers_and_their_end_token_only(tiny_run):
    recipe = tiny_recipe(tiny_run)
    train, _ = load_training_data(tiny_run / "dataset")
    path = resolve_base_model(recipe)
    tokenizer = load_tokenizer(recipe, path, True)
    trainer = SFTTrainer(model=load_model(recipe, path, "fp32"), train_dataset=train, processing_class=tokenizer,
                         args=sft_config(recipe, tiny_run / "finetune", "fp32", True, False, eos_token="<|im_end|>"),
                         peft_config=lora_config(recipe.finetune))
    batch = next(iter(trainer.get_train_dataloader()))
    for ids, labels, positions in zip(batch["input_ids"], batch["labels"], batch["position_ids"]):
        starts = (positions == 0).nonzero().flatten().tolist() + [len(ids)]
        for start, end in zip(starts, starts[1:]):
            kept = ids[start:end][labels[start:end] != -100]
            assert re.fullmatch(r"Use [a-z ]+\.<\|im_end\|>", tokenizer.decode(kept)), tokenizer.decode(ids[start:end])


class _Inspect(TrainerCallback):
    def __init__(self):
        self.seen = {}

    def on_step_begin(self, args, state, control, model=None, **kwargs):
        funcs = [m._gradient_checkpointing_func for m in model.modules() if hasattr(m, "_gradient_checkpointing_func")]
        self.seen.setdefault("checkpoint_kwargs", [getattr(f, "keywords", None) for f in funcs])
        embeddings = model.get_input_embeddings()
        self.seen.setdefault("noise", (getattr(embeddings, "neftune_noise_alpha", None),
                                       [getattr(h, "__name__", "") for h in embeddings._forward_hooks.values()]))


def test_gradient_checkpointing_on_is_non_reentrant_and_trains_with_neftune(tiny_run):
    inspect = _Inspect()
    out = finetune(tiny_recipe(tiny_run, gradient_checkpointing=True, max_steps=3, save_steps=3, neftune_noise_alpha=5.0),
                   callbacks=(inspect,))
    assert inspect.seen["checkpoint_kwargs"] and all(k == {"use_reentrant": False}
                                                      for k in inspect.seen["checkpoint_kwargs"])
    alpha, hooks = inspect.seen["noise"]  # NEFTune's noise hook sits on the input embeddings
    assert alpha == 5.0 and "neftune_post_forward_hook" in hooks
    losses = _losses(out)
    assert len(losses) == 3 and losses[3] < losses[1]


def test_early_stopping_ends_on_the_best_checkpoint(tiny_run):
    out = finetune(tiny_recipe(tiny_run, max_steps=8, eval_steps=1, save_steps=1, save_total_limit=8,
                               early_stopping_patience=2, early_stopping_threshold=100.0))
    info = json.loads((out / "run_info.json").read_text())
    assert info["global_step"] == 3  # the first evaluation sets the best; two more cannot beat it by 100
    evals = _losses(out, "eval_loss")
    best = info["best_checkpoint"]
    assert best.endswith(f"checkpoint-{min(evals, key=evals.get)}")
    final, kept = load_file(out / "adapter" / "adapter_model.safetensors"), load_file(f"{best}/adapter_model.safetensors")
    assert final.keys() == kept.keys() and all(torch.equal(final[k], kept[k]) for k in final)


def test_early_stopping_without_validation_is_refused(tmp_path):
    from tests.finetune.conftest import chat_rows, write_dataset

    write_dataset(tmp_path, chat_rows(16))
    with pytest.raises(FinetuneError, match="finetune.early_stopping_patience: the dataset has no validation split"):
        finetune(tiny_recipe(tmp_path, eval_steps=2, early_stopping_patience=1))


def test_activation_offloading_is_refused_without_a_gpu(tiny_run):
    if torch.cuda.is_available():
        pytest.skip("checks the CPU refusal")
    with pytest.raises(FinetuneError, match="finetune.activation_offloading: .*CUDA GPU"):
        finetune(tiny_recipe(tiny_run, activation_offloading=True))


def test_qlora_uses_nf4_with_double_quantisation_in_training_and_eval(tmp_path):
    config = nf4_config(torch.float16)
    assert (config.load_in_4bit, config.bnb_4bit_quant_type, config.bnb_4bit_use_double_quant) == (True, "nf4", True)
    assert config.bnb_4bit_compute_dtype == config.bnb_4bit_quant_storage == torch.float16
    (tmp_path / "adapter").mkdir()
    (tmp_path / "run_info.json").write_text(json.dumps({"method": "qlora", "precision": "fp16"}))
    options = base_load_options(tmp_path / "adapter", cuda=True)
    assert options["quantization_config"].bnb_4bit_use_double_quant and options["device_map"] == {"": 0}
    assert base_load_options(tmp_path / "adapter", cuda=False) == {}


class _FinalLogits(TrainerCallback):
    ids = torch.tensor([[5, 6, 7, 8, 9]])

    def on_train_end(self, args, state, control, model=None, **kwargs):
        with torch.no_grad():
            self.logits = model(input_ids=self.ids).logits


def test_pissa_adapter_is_saved_for_the_original_base(tiny_run):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    final = _FinalLogits()
    out = finetune(tiny_recipe(tiny_run, max_steps=2, save_steps=2, lora={"r": 4, "alpha": 4, "dropout": 0.0,
                                                                          "init": "pissa"}), callbacks=(final,))
    config = json.loads((out / "adapter" / "adapter_config.json").read_text())
    assert config["r"] == 8 and config["init_lora_weights"] is True  # converted: plain LoRA of twice the rank
    base = json.loads((out / "run_info.json").read_text())["base_model"]
    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base), str(out / "adapter")).eval()
    with torch.no_grad():
        torch.testing.assert_close(model(input_ids=_FinalLogits.ids).logits, final.logits, rtol=1e-4, atol=1e-4)
