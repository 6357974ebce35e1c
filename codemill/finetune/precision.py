"""Pick the training precision: bf16 where the GPU supports it, fp16 on older GPUs (T4), fp32 on CPU.

Some model families were trained in bf16 and produce activations beyond fp16's range (65,504): in fp16
their loss turns to NaN/inf within a few steps. On a GPU without bf16 (T4, V100) `auto` trains those in
fp32 instead, and an explicit `fp16` is honoured with a warning.
"""

from __future__ import annotations

import torch

# model_type values (config.json) of families reported to overflow in fp16
FP16_OVERFLOW_FAMILIES = frozenset({"qwen2", "qwen2_moe", "qwen3", "qwen3_moe", "gemma", "gemma2", "gemma3",
                                    "gemma3_text"})


def choose_precision(setting: str, has_cuda: bool, bf16_ok: bool, model_type: str | None = None) -> tuple[str, str | None]:
    """The precision for `finetune.precision` on a machine like this one, and a warning to print (or None)."""
    overflows = model_type in FP16_OVERFLOW_FAMILIES
    if setting == "auto":
        if bf16_ok:
            return "bf16", None
        if not has_cuda:
            return "fp32", None
        if overflows:
            return "fp32", (f"finetune.precision: auto chose fp32, not fp16: {model_type} models overflow in fp16 and "
                            "this GPU has no bf16; expect slower steps and more activation memory")
        return "fp16", None
    if setting == "bf16" and not bf16_ok:
        raise ValueError("finetune.precision: bf16 needs a GPU of compute capability 8.0 or newer; use 'auto'")
    if setting == "fp16" and not has_cuda:
        raise ValueError("finetune.precision: fp16 training needs a CUDA GPU; use 'auto' (fp32 on CPU)")
    if setting == "fp16" and overflows:
        return "fp16", (f"finetune.precision: fp16 with a {model_type} model is known to overflow (loss NaN/inf); "
                        "the run stops at the first non-finite loss. Use 'auto' (fp32 here) or a GPU with bf16")
    return setting, None


def resolve_precision(setting: str, model_type: str | None = None) -> str:
    """Turn `finetune.precision` ('auto' or explicit) into 'bf16', 'fp16' or 'fp32' for this machine."""
    has_cuda = torch.cuda.is_available()
    bf16_ok = has_cuda and torch.cuda.get_device_capability(0)[0] >= 8
    precision, warning = choose_precision(setting, has_cuda, bf16_ok, model_type)
    if warning:
        from codemill.common.console import console

        console.print(f"warning: {warning}")
    return precision


def model_family(model_path: str, trust_remote_code: bool = False) -> str | None:
    """The base's `model_type` from its config.json alone."""
    from transformers import AutoConfig

    return AutoConfig.from_pretrained(model_path, trust_remote_code=trust_remote_code).model_type

