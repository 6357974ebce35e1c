"""The recipe's `model` and `finetune` sections."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, field_validator, model_validator
from pydantic_core import PydanticCustomError

from codemill.recipe.base import StrictModel

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
    chat_template: str | None = None  # chatml, plain, or a .jinja/.j2 file; None: the tokenizer's own template
    trust_remote_code: bool = False
    # flex_attention: block-sparse over packed samples (compiled on first use); auto: flash_attention_2 when
    # installed on a GPU, sdpa otherwise
    attn_implementation: Literal["auto", "sdpa", "eager", "flash_attention_2", "flex_attention"] = "auto"

    @model_validator(mode="after")
    def _one_source(self) -> "ModelConfig":
        if self.name_or_path and self.tiny:
            raise ValueError("set either name_or_path or tiny, not both")
        return self

    @field_validator("chat_template")
    @classmethod
    def _template_name_or_file(cls, value: str | None) -> str | None:
        if value is not None and value not in NAMED_CHAT_TEMPLATES and not value.endswith((".jinja", ".j2")):
            raise PydanticCustomError("chat_template", "must be one of chatml, plain or a .jinja/.j2 template file")
        return value


class LoraSettings(StrictModel):
    r: PositiveInt = 16
    alpha: PositiveInt = 32
    dropout: float = Field(default=0.05, ge=0, lt=1)
    target_modules: list[str] | Literal["all-linear"] = "all-linear"
    rslora: bool = False
    modules_to_save: list[str] = []  # trained in full and saved with the adapter (e.g. lm_head, embed_tokens)
    init: Literal["default", "gaussian", "pissa", "olora", "loftq"] = "default"  # peft init_lora_weights


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
    # selective checkpointing: only N decoder layers (spread evenly), or `auto`: the fewest that fit the memory
    checkpoint_layers: PositiveInt | Literal["auto"] | None = None
    batch_size: PositiveInt | Literal["auto"] = 1  # auto: the largest packed batch the memory estimate fits
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
    token_metrics: bool = False  # trl's per-step token entropy and accuracy (an extra pass over the vocabulary)
    gpus: PositiveInt = 1
    distributed: Literal["auto", "ddp", "fsdp"] = "auto"  # auto: FSDP for QLoRA, DDP otherwise
    gpu_memory_gb: float | None = Field(default=None, gt=0)  # the GPU you plan to use, for the fit warning
    neftune_noise_alpha: float | None = Field(default=None, gt=0)  # NEFTune: noise on the input embeddings
    activation_offloading: bool = False  # GPU only: keep checkpointed activations in CPU memory
    load_best_checkpoint: bool = False  # end with the checkpoint of lowest eval_loss (needs eval_steps)
    early_stopping_patience: PositiveInt | None = None  # stop after N evaluations without a better eval_loss
    early_stopping_threshold: float = Field(default=0.0, ge=0)  # the improvement that counts as better

    @model_validator(mode="after")
    def _one_automatic_size(self) -> "FinetuneConfig":
        if self.checkpoint_layers == "auto" and self.batch_size == "auto":
            raise ValueError("checkpoint_layers: auto fits the layers to a given batch; give batch_size as a number")
        return self

    @model_validator(mode="after")
    def _selection_needs_evaluation(self) -> "FinetuneConfig":
        wanted = [key for key, on in (("load_best_checkpoint", self.load_best_checkpoint),
                                      ("early_stopping_patience", self.early_stopping_patience)) if on]
        if wanted and self.eval_steps is None:
            raise ValueError(f"{wanted[0]}: needs eval_steps (checkpoints are compared on eval_loss)")
        if wanted and self.save_steps % self.eval_steps:
            raise ValueError(f"{wanted[0]}: save_steps ({self.save_steps}) must be a multiple of eval_steps "
                             f"({self.eval_steps}) so every compared evaluation has a checkpoint")
        if self.lora.init == "loftq" and self.method != "qlora":
            raise ValueError("lora.init: loftq initialises the adapter against the 4-bit base; use it with method: qlora")
        return self
