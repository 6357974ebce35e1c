"""Stage 3: LoRA / QLoRA / DoRA fine-tuning on trl + peft + accelerate.

The entry points are imported lazily, so that importing one module of the package stays light.
"""

from __future__ import annotations

from codemill.common.lazy import lazy_exports

_EXPORTS = {
    "finetune": "codemill.finetune.train",
    "FinetuneError": "codemill.finetune.train",
    "resolve_base_model": "codemill.finetune.base_model",
    "merge_adapter": "codemill.finetune.merge",
}

__all__ = list(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
