"""Stage 3: LoRA / QLoRA / DoRA fine-tuning on trl + peft + accelerate.

The entry points are imported lazily, so that reading a recipe (which loads `config.py`) stays light.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "finetune": "codemill.finetune.train",
    "FinetuneError": "codemill.finetune.train",
    "resolve_base_model": "codemill.finetune.base_model",
    "merge_adapter": "codemill.finetune.merge",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
