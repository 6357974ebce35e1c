"""How to load a trained run: on the base it was trained on, in the precision it used, stopping where it was taught to.

A QLoRA adapter was trained against the 4-bit base, and a 16 GB GPU cannot hold the 16-bit one next
to the activations of generation: its evaluation loads the base in 4-bit on the GPU, like training.
"""

from __future__ import annotations

import json
from pathlib import Path

GENERATION_CONFIG = "generation_config.json"


def torch_dtype(precision: str):
    """The torch dtype of a precision name: bf16, fp16 or fp32."""
    import torch

    return {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[precision]


def nf4_config(dtype):
    """4-bit NF4 with double quantisation (the constants quantised too: ~0.4 bit/param saved)."""
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=dtype,
        bnb_4bit_quant_storage=dtype,
    )


def load_saved_generation_config(folder: str | Path):
    """The generation config codemill wrote next to an adapter, or None for folders without one."""
    if not (Path(folder) / GENERATION_CONFIG).exists():
        return None
    from transformers import GenerationConfig

    return GenerationConfig.from_pretrained(str(folder))


def run_info(adapter: str | Path) -> dict:
    """The run_info.json written next to an adapter by `finetune`, or {} for adapters from elsewhere."""
    path = Path(adapter).parent / "run_info.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def base_load_options(adapter: str | Path | None, cuda: bool) -> dict:
    """Extra `from_pretrained` arguments for the base under `adapter`: 4-bit NF4 on one GPU for QLoRA runs."""
    if adapter is None or not cuda:
        return {}
    info = run_info(adapter)
    if info.get("method") != "qlora":
        return {}
    return {"quantization_config": nf4_config(torch_dtype(info.get("precision", "bf16"))), "device_map": {"": 0}}


def attach_for_generation(lm, adapter: str | Path):
    """Wrap `lm` with the adapter and use the generation config (every stop id) saved with it."""
    from peft import PeftModel

    model = PeftModel.from_pretrained(lm, str(adapter))
    saved = load_saved_generation_config(adapter)
    if saved is not None:
        model.generation_config = saved
    return model
