"""Precision: fp32 on CPU, and 16-bit requests refused without a GPU that can run them."""

from __future__ import annotations

import pytest
import torch

from codemill.finetune.precision import choose_precision, resolve_precision


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU choice")
def test_cpu_trains_in_fp32():
    assert resolve_precision("auto") == "fp32"
    assert resolve_precision("fp32") == "fp32"


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU refusal")
@pytest.mark.parametrize("setting", ["bf16", "fp16"])
def test_16_bit_needs_a_gpu(setting):
    with pytest.raises(ValueError, match="finetune.precision"):
        resolve_precision(setting)


@pytest.mark.parametrize("model_type, expected", [("qwen2", "fp32"), ("gemma2", "fp32"), ("llama", "fp16")])
def test_auto_on_a_gpu_without_bf16_avoids_fp16_for_families_that_overflow(model_type, expected):
    precision, warning = choose_precision("auto", has_cuda=True, bf16_ok=False, model_type=model_type)
    assert precision == expected and (warning is not None) == (expected == "fp32")
    assert choose_precision("auto", has_cuda=True, bf16_ok=True, model_type=model_type) == ("bf16", None)


def test_explicit_fp16_on_qwen2_is_honoured_with_a_warning():
    precision, warning = choose_precision("fp16", has_cuda=True, bf16_ok=False, model_type="qwen2")
    assert precision == "fp16" and "overflow" in warning
