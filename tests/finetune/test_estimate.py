"""The memory estimate: parameter counts from the meta device, the terms move the right way, the constants
reproduce the measured table in benchmarks/RESULTS.md, and `batch_size: auto` fills a stated budget."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModelForCausalLM, LlamaConfig, Qwen2Config

from codemill.recipe.finetune import FinetuneConfig
from codemill.finetune.estimate import (
    AUTO_BATCH_FILL,
    FITTED,
    GIB,
    Constants,
    choose_batch_size,
    count_parameters,
    estimate_memory,
    meta_model,
    resolve_batch_size,
    smallest_fitting_gpu,
)

QWEN_7B = Qwen2Config(hidden_size=3584, intermediate_size=18944, num_hidden_layers=28, num_attention_heads=28,
                      num_key_value_heads=4, vocab_size=152064, tie_word_embeddings=False)


def test_parameter_count_matches_a_real_model():
    config = LlamaConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                         vocab_size=300)
    real = AutoModelForCausalLM.from_config(config)
    counts = count_parameters(meta_model(config), "all-linear", 4, dora=False)
    assert counts["linear"] + counts["other"] == sum(p.numel() for p in real.parameters())
    linears = [m for name, m in real.named_modules() if isinstance(m, torch.nn.Linear) and not name.endswith("lm_head")]
    assert counts["adapter"] == sum(4 * (m.in_features + m.out_features) for m in linears)


def test_qwen_7b_size_is_right():
    counts = count_parameters(meta_model(QWEN_7B), "all-linear", 16, dora=False)
    assert 7.5e9 < counts["linear"] + counts["other"] < 7.7e9  # Qwen2.5-7B: 7.62B parameters


def test_qlora_at_2k_fits_a_t4_and_bf16_lora_does_not():
    qlora = estimate_memory(QWEN_7B, FinetuneConfig(method="qlora", seq_len=2048, batch_size=1))
    lora = estimate_memory(QWEN_7B, FinetuneConfig(method="lora", seq_len=2048, batch_size=1))
    assert qlora.fits_on == "T4 16GB"
    assert lora.fits_on not in ("T4 16GB", None)
    assert 4 * GIB < qlora.weights < 6 * GIB and 14 * GIB < lora.weights < 15 * GIB


def test_checkpointing_longer_sequences_and_sharding_move_the_estimate():
    base = FinetuneConfig(method="qlora", seq_len=2048)
    with_ckpt = estimate_memory(QWEN_7B, base)
    without = estimate_memory(QWEN_7B, base.model_copy(update={"gradient_checkpointing": False}))
    longer = estimate_memory(QWEN_7B, base.model_copy(update={"seq_len": 4096}))
    sharded = estimate_memory(QWEN_7B, base, gpus=2)
    assert without.activations > 5 * with_ckpt.activations
    assert longer.activations > with_ckpt.activations
    assert sharded.weights == pytest.approx(with_ckpt.weights / 2)


def test_smallest_gpu():
    assert smallest_fitting_gpu(10 * GIB) == "T4 16GB"
    assert smallest_fitting_gpu(30 * GIB) == "A100 40GB"
    assert smallest_fitting_gpu(200 * GIB) is None


# benchmarks/RESULTS.md, "--estimate against the measured peak": one H100 80GB, Qwen2.5-Coder-7B shape, seq_len 2048,
# LoRA r 16 on all linear layers, adamw_torch; (method, batch, checkpointing, liger, adapter_precision) ->
# (estimate GiB as printed there, measured peak reserved GiB)
MEASURED_H100 = {
    ("lora", 2, True, True, "fp32"): (17.88, 17.86),
    ("lora", 2, True, False, "fp32"): (18.15, 18.42),
    ("lora", 1, True, True, "fp32"): (16.59, 16.48),
    ("lora", 3, True, True, "fp32"): (19.17, 21.31),
    ("lora", 1, False, True, "fp32"): (29.11, 28.70),
    ("qlora", 1, True, True, "fp32"): (7.25, 6.90),
    ("qlora", 2, True, True, "fp32"): (8.88, 8.72),
    ("qlora", 4, True, True, "fp32"): (12.14, 12.29),
    ("qlora", 1, False, True, "fp32"): (19.41, 19.30),
    ("lora", 2, True, True, "compute"): (16.99, 17.72),
}


def _measured_point(key, constants=FITTED):
    method, batch, ckpt, liger, adapter = key
    finetune = FinetuneConfig(method=method, seq_len=2048, batch_size=batch, gradient_checkpointing=ckpt,
                              liger_kernel=liger, adapter_precision=adapter)
    return estimate_memory(QWEN_7B, finetune, fused_loss=liger, constants=constants).per_gpu / GIB


@pytest.mark.parametrize("key", list(MEASURED_H100), ids=lambda key: "-".join(map(str, key)))
def test_estimate_reproduces_the_recorded_table_within_15_percent_of_the_measured_peak(key):
    recorded, measured = MEASURED_H100[key]
    estimate = _measured_point(key)
    assert estimate == pytest.approx(recorded, abs=0.006)  # the table's estimate column, as printed (2 decimals)
    assert abs(estimate / measured - 1) <= 0.15


@pytest.mark.parametrize("field", ["allocator_overhead", "qlora_slack_per_token", "logits_bytes"])
def test_scaling_any_constant_by_5_percent_leaves_the_recorded_table(field):
    """A pin that notices a changed constant: with one constant 5% off, some row no longer matches RESULTS.md."""
    changed = Constants(**{field: getattr(FITTED, field) * 1.05})
    assert any(abs(_measured_point(key, changed) - MEASURED_H100[key][0]) > 0.006 for key in MEASURED_H100)


def test_modules_to_save_count_as_trained_copies_on_qwen():
    plain = estimate_memory(QWEN_7B, FinetuneConfig(seq_len=2048, batch_size=1), fused_loss=True)
    saved = estimate_memory(QWEN_7B, FinetuneConfig(seq_len=2048, batch_size=1,
                                                    lora={"modules_to_save": ["embed_tokens", "lm_head"]}),
                            fused_loss=True)
    extra = 2 * 152064 * 3584  # Qwen2.5-7B's embeddings and output layer, untied: 1.09 B parameters
    assert saved.trainable_params - plain.trainable_params == extra
    # a trainable bf16 copy + its gradient (4 bytes) and Adam's two moments in bf16 (4 bytes), the originals stay
    assert saved.per_gpu - plain.per_gpu == pytest.approx(extra * 8 * FITTED.allocator_overhead, rel=1e-6)
    assert saved.weights + saved.saved_modules / 3 == pytest.approx(plain.weights)  # the frozen originals stay


@pytest.mark.parametrize("tied", [False, True])
def test_trainable_count_matches_peft(tied):
    from peft import LoraConfig, get_peft_model

    config = LlamaConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                         vocab_size=300, tie_word_embeddings=tied)
    modules = ["embed_tokens", "lm_head"]
    model = get_peft_model(AutoModelForCausalLM.from_config(config),
                           LoraConfig(r=4, target_modules="all-linear", modules_to_save=modules, task_type="CAUSAL_LM"))
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    finetune = FinetuneConfig(seq_len=64, lora={"r": 4, "modules_to_save": modules})
    assert estimate_memory(config, finetune).trainable_params == trainable


def test_auto_batch_is_the_largest_within_the_budget():
    finetune = FinetuneConfig(method="lora", seq_len=2048, batch_size="auto", liger_kernel=True)
    for budget_gib in (24, 40, 80):
        budget = budget_gib * GIB
        batch = choose_batch_size(QWEN_7B, finetune, budget, fused_loss=True)
        assert batch >= 1
        at = estimate_memory(QWEN_7B, finetune, batch_size=batch, fused_loss=True).per_gpu
        above = estimate_memory(QWEN_7B, finetune, batch_size=batch + 1, fused_loss=True).per_gpu
        assert at <= AUTO_BATCH_FILL * budget < above
    assert choose_batch_size(QWEN_7B, finetune, 16 * GIB, fused_loss=True) == 0  # bf16 LoRA-7B does not fit a T4


def test_auto_batch_reads_the_budget_key_and_says_why():
    finetune = FinetuneConfig(method="qlora", seq_len=2048, batch_size="auto", gpu_memory_gb=16)
    batch, why = resolve_batch_size(QWEN_7B, finetune)
    assert batch == choose_batch_size(QWEN_7B, finetune, 16 * GIB)
    assert "finetune.gpu_memory_gb" in why and str(batch) in why
    assert resolve_batch_size(QWEN_7B, FinetuneConfig(batch_size=3))[0] == 3


def test_auto_batch_without_a_budget_or_room_is_a_clear_error():
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="finetune.gpu_memory_gb"):
            resolve_batch_size(QWEN_7B, FinetuneConfig(batch_size="auto"))
    with pytest.raises(ValueError, match="finetune.batch_size: auto: batch 1 already needs"):
        resolve_batch_size(QWEN_7B, FinetuneConfig(method="lora", batch_size="auto", gpu_memory_gb=16))


def _cli_estimate(run_dir, **finetune):
    import yaml
    from typer.testing import CliRunner

    from codemill.cli import app
    from tests.finetune.conftest import tiny_recipe

    recipe = tiny_recipe(run_dir, **finetune)
    path = run_dir / "r.yaml"
    path.write_text(yaml.safe_dump(recipe.model_dump(mode="json", exclude_none=True)))
    return CliRunner().invoke(app, ["finetune", str(path), "--estimate"])


def test_estimate_command_shows_the_auto_batch(tiny_run):
    result = _cli_estimate(tiny_run, batch_size="auto", gpu_memory_gb=0.005)
    assert result.exit_code == 0, result.output
    chosen = int(result.output.split("batch auto -> ")[1].split(",")[0])
    assert 1 <= chosen < 64


@pytest.mark.skipif(torch.cuda.is_available(), reason="the budget comes from the GPU there")
def test_estimate_command_without_a_budget_names_the_key(tiny_run):
    result = _cli_estimate(tiny_run, batch_size="auto")
    assert result.exit_code == 2 and "finetune.gpu_memory_gb" in result.output and "Traceback" not in result.output


def test_training_uses_the_auto_batch(tiny_run):
    import json

    from codemill.finetune.train import finetune
    from codemill.finetune.base_model import resolve_base_model
    from codemill.finetune.estimate import recipe_batch_size
    from tests.finetune.conftest import tiny_recipe

    recipe = tiny_recipe(tiny_run, batch_size="auto", gpu_memory_gb=0.0024, max_steps=1, save_steps=1)
    expected, _ = recipe_batch_size(recipe, resolve_base_model(recipe))
    assert expected != tiny_recipe(tiny_run).finetune.batch_size
    out = finetune(recipe)
    state = json.loads((out / "checkpoints" / "checkpoint-1" / "trainer_state.json").read_text())
    assert state["train_batch_size"] == expected


def test_checkpointing_fewer_layers_costs_memory_between_all_and_none():
    base = FinetuneConfig(method="lora", seq_len=2048, batch_size=2)
    every = estimate_memory(QWEN_7B, base, fused_loss=True).per_gpu
    none = estimate_memory(QWEN_7B, base.model_copy(update={"gradient_checkpointing": False}), fused_loss=True).per_gpu
    partial = [estimate_memory(QWEN_7B, base.model_copy(update={"checkpoint_layers": k}), fused_loss=True).per_gpu
               for k in (7, 14, 28)]
    assert partial[2] == every and none > partial[0] > partial[1] > partial[2]


def test_auto_checkpoint_layers_are_the_fewest_that_fit():
    from codemill.finetune.estimate import resolve_checkpoint_layers

    finetune = FinetuneConfig(method="lora", seq_len=2048, batch_size=2, checkpoint_layers="auto", gpu_memory_gb=30)
    layers, why = resolve_checkpoint_layers(QWEN_7B, finetune, fused_loss=True)
    assert 0 < layers < 28 and f"checkpointing {layers} of 28 layers" in why

    def peak(k):
        return estimate_memory(QWEN_7B, finetune, checkpoint_layers=k, fused_loss=True).per_gpu

    assert peak(layers) <= AUTO_BATCH_FILL * 30 * GIB < peak(layers - 1)
    with pytest.raises(ValueError, match="finetune.checkpoint_layers: auto: even with every layer"):
        resolve_checkpoint_layers(QWEN_7B, finetune.model_copy(update={"gpu_memory_gb": 16}), fused_loss=True)


def test_two_automatic_sizes_are_refused_by_key(tmp_path):
    from codemill.recipe.base import RecipeError
    from codemill.recipe.loader import load_recipe

    path = tmp_path / "r.yaml"
    path.write_text("name: x\nfinetune:\n  batch_size: auto\n  checkpoint_layers: auto\n")
    with pytest.raises(RecipeError, match="checkpoint_layers: auto fits the layers to a given batch"):
        load_recipe(path)


def test_estimate_command_says_how_many_layers_are_checkpointed(tiny_run):
    result = _cli_estimate(tiny_run, gradient_checkpointing=True, checkpoint_layers=1)
    assert result.exit_code == 0, result.output
    assert "checkpointing 1 of 2 layers" in result.output
