"""Pick the training precision: bf16 where the GPU supports it, fp16 on older GPUs (T4), fp32 on CPU."""

from __future__ import annotations

import torch


def resolve_precision(setting: str) -> str:
    """Turn `finetune.precision` ('auto' or explicit) into 'bf16', 'fp16' or 'fp32' for this machine."""
    has_cuda = torch.cuda.is_available()
    bf16_ok = has_cuda and torch.cuda.get_device_capability(0)[0] >= 8
    if setting == "auto":
        return "bf16" if bf16_ok else ("fp16" if has_cuda else "fp32")
    if setting == "bf16" and not bf16_ok:
        raise ValueError("finetune.precision: bf16 needs a GPU of compute capability 8.0 or newer; use 'auto'")
    if setting == "fp16" and not has_cuda:
        raise ValueError("finetune.precision: fp16 training needs a CUDA GPU; use 'auto' (fp32 on CPU)")
    return setting


def torch_dtype(precision: str) -> torch.dtype:
    return {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[precision]
