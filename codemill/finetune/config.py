"""The recipe's `model` and `finetune` sections."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from codemill.config import StrictModel

NAMED_CHAT_TEMPLATES = ("chatml", "plain")


class TinyModelConfig(StrictModel):
    """A small model built from a config (no download), with a tokenizer trained in-process."""

    architecture: Literal["llama", "qwen2"] = "llama"
    vocab_size: PositiveInt = 2048
    hidden_size: PositiveInt = 64
    intermediate_size: PositiveInt = 128
    num_layers: PositiveInt = 2
    num_heads: PositiveInt = 4
    max_position_embeddings: PositiveInt = 1024


class ModelConfig(StrictModel):
    """The base model: a hub id or local path, or `tiny` to build one from a config."""

    name_or_path: str | None = None
    tiny: TinyModelConfig | None = None
    chat_template: Literal["chatml", "plain"] | None = None  # None: the tokenizer's own template
    trust_remote_code: bool = False
    attn_implementation: Literal["auto", "sdpa", "eager", "flash_attention_2"] = "auto"

    @model_validator(mode="after")
    def _one_source(self) -> "ModelConfig":
        if self.name_or_path and self.tiny:
            raise ValueError("set either name_or_path or tiny, not both")
        return self


class LoraSettings(StrictModel):
    r: PositiveInt = 16
    alpha: PositiveInt = 32
    dropout: float = Field(default=0.05, ge=0, lt=1)
    target_modules: list[str] | Literal["all-linear"] = "all-linear"
    rslora: bool = False
    modules_to_save: list[str] = []  # trained in full and saved with the adapter (e.g. lm_head, embed_tokens)


class WandbSettings(StrictModel):
    """`auto`: online when WANDB_API_KEY is set, disabled otherwise (WANDB_MODE overrides both)."""

    mode: Literal["auto", "online", "offline", "disabled"] = "auto"
    project: str = "codemill"


class FinetuneConfig(StrictModel):
    """Training settings handed to trl's SFTTrainer."""

    method: Literal["lora", "qlora", "dora"] = "lora"
    lora: LoraSettings = LoraSettings()
    seq_len: PositiveInt = 2048
    packing: bool = True
    assistant_only_loss: bool = True
    gradient_checkpointing: bool = True
    batch_size: PositiveInt = 1
    gradient_accumulation: PositiveInt = 8
    optimizer: Literal[
        "adamw_torch", "adamw_torch_fused", "adamw_8bit", "paged_adamw_8bit", "paged_adamw_32bit", "adafactor"
    ] = "adamw_torch"
    learning_rate: float = Field(default=2e-4, gt=0)
    lr_scheduler: Literal["cosine", "linear", "constant", "constant_with_warmup"] = "cosine"
    warmup_ratio: float = Field(default=0.03, ge=0, lt=1)
    weight_decay: float = Field(default=0.0, ge=0)
    max_grad_norm: float = Field(default=1.0, gt=0)
    epochs: float = Field(default=1.0, gt=0)
    max_steps: int = Field(default=-1, ge=-1)
    eval_steps: PositiveInt | None = None  # evaluate on the validation split every N steps
    save_steps: PositiveInt = 100
    save_total_limit: PositiveInt = 3
    logging_steps: PositiveInt = 10
    seed: int = 42
    precision: Literal["auto", "bf16", "fp16", "fp32"] = "auto"
    wandb: WandbSettings = WandbSettings()
    adapter_precision: Literal["fp32", "compute"] = "fp32"  # compute: adapter in bf16 (bf16 runs only; QLoRA always)
    liger_kernel: bool = False  # GPU extra: fused RMSNorm/RoPE/SwiGLU/cross-entropy when liger-kernel is installed
    torch_compile: bool = False
    gpus: PositiveInt = 1
    distributed: Literal["auto", "ddp", "fsdp"] = "auto"  # auto: FSDP for QLoRA, DDP otherwise
    gpu_memory_gb: float | None = Field(default=None, gt=0)  # the GPU you plan to use, for the fit warning
