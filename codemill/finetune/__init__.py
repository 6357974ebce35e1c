"""Stage 3: LoRA / QLoRA / DoRA fine-tuning on trl + peft + accelerate.

The package face holds the stage entry points only; the training code (torch, transformers) is in
`codemill.finetune.train`, `base_model`, `merge`, imported where used.
"""

from codemill.finetune.stage import run_base_model, run_finetune

__all__ = ["run_base_model", "run_finetune"]
