"""The recipe's `model` and `finetune` sections."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt

from codemill.config import StrictModel


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
    chat_template: str | None = None
    trust_remote_code: bool = False


class LoraSettings(StrictModel):
    r: PositiveInt = 16
    alpha: PositiveInt = 32
    dropout: float = Field(default=0.05, ge=0, lt=1)
    target_modules: list[str] | Literal["all-linear"] = "all-linear"
    rslora: bool = False


class FinetuneConfig(StrictModel):
    """Training settings handed to trl's SFTTrainer."""

    method: Literal["lora", "qlora", "dora"] = "lora"
    lora: LoraSettings = LoraSettings()
    seq_len: PositiveInt = 2048
    packing: bool = True
    gradient_checkpointing: bool = True
    batch_size: PositiveInt = 1
    gradient_accumulation: PositiveInt = 8
    learning_rate: float = Field(default=2e-4, gt=0)
    epochs: float = Field(default=1.0, gt=0)
    max_steps: int = -1
    seed: int = 42
