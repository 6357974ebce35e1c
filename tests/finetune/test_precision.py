"""Precision: fp32 on CPU, and 16-bit requests refused without a GPU that can run them."""

from __future__ import annotations

import pytest
import torch

from codemill.finetune.precision import resolve_precision


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU choice")
def test_cpu_trains_in_fp32():
    assert resolve_precision("auto") == "fp32"
    assert resolve_precision("fp32") == "fp32"


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU refusal")
@pytest.mark.parametrize("setting", ["bf16", "fp16"])
def test_16_bit_needs_a_gpu(setting):
    with pytest.raises(ValueError, match="finetune.precision"):
        resolve_precision(setting)
