"""benchmarks/finetune_throughput.py's bookkeeping on CPU: the baseline each ratio is taken against, and the
FLOPs per token behind MFU. The timings themselves are GPU work (scripts/gpu_checks.sh)."""

from __future__ import annotations

import pytest
from transformers import AutoModelForCausalLM, LlamaConfig

from tests.bench_script import load

bench = load("finetune_throughput")


def test_config_names():
    assert bench.parse_config("trl-lora:4") == ("trl", "lora", 4, set())
    assert bench.parse_config("codemill-lora-liger-ckpt14:auto") == ("codemill", "lora", "auto", {"liger", "ckpt14"})
    assert bench.parse_config("base-qlora")[2] == 8
    with pytest.raises(ValueError, match="WHO codemill/trl/base"):
        bench.parse_config("peft-lora:2")


def test_ratios_are_taken_against_trl_packing_at_the_same_and_at_its_best_batch():
    rows = [{"config": "trl-lora:2", "tokens_per_s": 1000.0, "peak_reserved_gib": 20.0},
            {"config": "trl-lora:4", "tokens_per_s": 1250.0, "peak_reserved_gib": 30.0},
            {"config": "base-lora:8", "tokens_per_s": 500.0, "peak_reserved_gib": 40.0},
            {"config": "codemill-lora:2", "tokens_per_s": 1500.0, "peak_reserved_gib": 16.0, "batch": 2}]
    line = next(row for row in bench.report(rows) if row.startswith("| codemill-lora:2 "))
    same, best, off = [cell.strip() for cell in line.strip("|").split("|")[-3:]]
    assert same == "1.50x tokens/s, 0.80x peak"
    assert best == "1.20x tokens/s, 0.53x peak (trl-lora:4)"
    assert off == "3.00x tokens/s, 0.40x peak"


def test_model_flops_count_every_matmul_weight_but_the_input_embeddings():
    config = LlamaConfig(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                         vocab_size=300, tie_word_embeddings=False)
    model = AutoModelForCausalLM.from_config(config)
    linear = sum(m.weight.numel() for m in model.modules() if m.__class__.__name__ == "Linear")
    norms = sum(p.numel() for name, p in model.named_parameters() if "norm" in name)
    flops = bench.flops_per_token(config, adapter_params=1000, mean_sq_over_mean=10.0)
    assert flops["n_matmul"] == linear + norms  # norm weights ride along (a rounding error at 7B)
    assert flops["model"] == 4 * flops["n_matmul"] + 6 * 1000 + 3 * 2 * 64 * 2 * 10.0
    assert flops["recompute"] == 2 * flops["n_matmul"] + 2 * 64 * 2 * 10.0
