"""Fold a trained adapter into its base weights: one plain transformers model folder, no peft needed."""

from __future__ import annotations

import json
from pathlib import Path

from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer

from codemill.finetune.outputs import staged_dir


def adapter_base(adapter_dir: Path) -> str:
    """The base model the adapter was trained on, as recorded next to it (run_info.json, else peft config)."""
    run_info = adapter_dir.parent / "run_info.json"
    if run_info.exists():
        return json.loads(run_info.read_text(encoding="utf-8"))["base_model"]
    return json.loads((adapter_dir / "adapter_config.json").read_text(encoding="utf-8"))["base_model_name_or_path"]


def find_adapter(run_dir: Path) -> Path:
    for candidate in (run_dir / "finetune" / "adapter", run_dir / "adapter", run_dir):
        if (candidate / "adapter_config.json").exists():
            return candidate
    raise FileNotFoundError(f"{run_dir}: no trained adapter found (expected finetune/adapter/adapter_config.json)")


def merge_adapter(run_dir: str | Path, out_dir: str | Path, base_model: str | None = None) -> Path:
    """Load base + adapter, `merge_and_unload`, save model and tokenizer to `out_dir` (16-bit or the base's dtype)."""
    adapter_dir = find_adapter(Path(run_dir))
    base = base_model or adapter_base(adapter_dir)
    model = AutoModelForCausalLM.from_pretrained(base, dtype="auto")
    merged = PeftModel.from_pretrained(model, str(adapter_dir)).merge_and_unload()
    tokenizer = AutoTokenizer.from_pretrained(str(adapter_dir))
    out_dir = Path(out_dir)
    with staged_dir(out_dir) as staging:
        merged.save_pretrained(staging, safe_serialization=True)
        tokenizer.save_pretrained(staging)
    return out_dir
