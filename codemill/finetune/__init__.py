"""Stage 3: LoRA / QLoRA / DoRA fine-tuning on trl + peft + accelerate."""
