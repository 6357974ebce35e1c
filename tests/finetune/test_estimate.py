"""The memory estimate: parameter counts from the meta device, and the terms move the right way."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModelForCausalLM, LlamaConfig, Qwen2Config

from codemill.finetune.config import FinetuneConfig
from codemill.finetune.estimate import GIB, count_parameters, estimate_memory, meta_model, smallest_fitting_gpu

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
