"""Fold a trained adapter into its base weights: one plain transformers model folder, no peft needed.

The merged folder carries the adapter's generation config (every stop id), so vLLM, Ollama and plain
transformers stop where the fine-tune learned to. The base is loaded on the CPU in its own dtype;
the RAM it needs is checked first, so a Colab session is told before it is killed.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from peft import PeftModel
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

from codemill.models.saved import load_saved_generation_config
from codemill.finetune.outputs import staged_dir
from codemill.recipe.layout import RunLayout

GIB = 1024**3
RAM_MARGIN = 1.15  # the merged copy of one linear at a time, the tokenizer, Python itself


def adapter_base(adapter_dir: Path) -> str:
    """The base model the adapter was trained on, as recorded next to it (run_info.json, else peft config)."""
    run_info = adapter_dir.parent / "run_info.json"
    if run_info.exists():
        return json.loads(run_info.read_text(encoding="utf-8"))["base_model"]
    return json.loads((adapter_dir / "adapter_config.json").read_text(encoding="utf-8"))["base_model_name_or_path"]


def find_adapter(run_dir: Path) -> Path:
    """The adapter of a run folder (its finetune/adapter), or an adapter folder (or its parent) given directly."""
    adapter = RunLayout(run_dir).adapter
    for candidate in (adapter, run_dir / "adapter", run_dir):
        if (candidate / "adapter_config.json").exists():
            return candidate
    raise FileNotFoundError(f"{run_dir}: no trained adapter found (expected {adapter / 'adapter_config.json'})")


def base_bytes(base: str) -> int:
    """The base's size in memory at its own dtype, from its config alone (parameters counted on `meta`)."""
    config = AutoConfig.from_pretrained(base)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    dtype = getattr(config, "dtype", None) or getattr(config, "torch_dtype", None) or torch.float32
    if isinstance(dtype, str):
        dtype = getattr(torch, dtype)
    return sum(p.numel() for p in model.parameters()) * dtype.itemsize


def available_ram() -> int:
    import psutil

    return psutil.virtual_memory().available


def check_ram(needed: int, available: int, base: str) -> None:
    """Refuse before loading when the base cannot fit in RAM (the kernel would kill the merge half-way)."""
    if needed * RAM_MARGIN > available:
        raise ValueError(
            f"merging into {base} needs about {needed * RAM_MARGIN / GIB:.1f} GiB of RAM and {available / GIB:.1f} GiB "
            "is available; free memory or merge on a machine with more RAM (the adapter alone loads with peft)"
        )


def load_base(base: str, dequantized: bool):
    """The base in its own dtype on the CPU, or (dequantized) the 4-bit NF4 base the QLoRA adapter saw,
    dequantized back to 16-bit on the GPU: the merge then matches the weights training used."""
    if not dequantized:
        return AutoModelForCausalLM.from_pretrained(base, dtype="auto")
    if not torch.cuda.is_available():
        raise ValueError("--dequantized: loading the 4-bit base needs a CUDA GPU (bitsandbytes)")
    from codemill.models.saved import nf4_config

    dtype = torch.bfloat16 if torch.cuda.get_device_capability(0)[0] >= 8 else torch.float16
    model = AutoModelForCausalLM.from_pretrained(base, quantization_config=nf4_config(dtype), device_map={"": 0})
    return model.dequantize()


def merge_adapter(run_dir: str | Path, out_dir: str | Path, base_model: str | None = None,
                  dequantized: bool = False) -> Path:
    """Load base + adapter, `merge_and_unload`, save model, tokenizer and generation config to `out_dir`."""
    adapter_dir = find_adapter(Path(run_dir))
    base = base_model or adapter_base(adapter_dir)
    if not dequantized:
        check_ram(base_bytes(base), available_ram(), base)
    model = load_base(base, dequantized)
    merged = PeftModel.from_pretrained(model, str(adapter_dir)).merge_and_unload()
    saved = load_saved_generation_config(adapter_dir)
    if saved is not None:
        merged.generation_config = saved
    tokenizer = AutoTokenizer.from_pretrained(str(adapter_dir))
    out_dir = Path(out_dir)
    with staged_dir(out_dir) as staging:
        merged.save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)
    return out_dir
