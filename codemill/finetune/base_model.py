"""Where the base model comes from: a hub id or local path, or a tiny model built here from a config."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import AutoModelForCausalLM, LlamaConfig, PreTrainedTokenizerFast, Qwen2Config

from codemill.recipe.finetune import TinyModelConfig
from codemill.finetune.data import iter_texts, load_training_data
from codemill.finetune.templates import CHATML

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|pad|>"]
BUILT_MARKER = "codemill-tiny.json"


def resolve_base_model(recipe) -> str:
    """The hub id or local path of the base model; builds the run folder's base_model/ once for `model.tiny`."""
    model = recipe.model
    if model.tiny is None:
        if not model.name_or_path:
            raise ValueError("model: set name_or_path (hub id or local folder) or tiny")
        return model.name_or_path
    layout = recipe.layout
    return str(ensure_tiny_model(model.tiny, layout.dataset, layout.base_model, seed=recipe.finetune.seed))


def ensure_tiny_model(tiny: TinyModelConfig, dataset_dir: Path, target: Path, seed: int = 42) -> Path:
    """`target`, built from `tiny` with a tokenizer trained on the dataset's training split unless already built."""
    if not (target / BUILT_MARKER).exists():
        train, _ = load_training_data(dataset_dir)
        build_tiny_model(tiny, list(iter_texts(train)), target, seed=seed)
    return target


def train_tokenizer(texts: list[str], vocab_size: int) -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer trained on `texts`, with chatml tokens and template (a base model's layout)."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    fast = PreTrainedTokenizerFast(  # like a Qwen base: EOS is end-of-text, chat turns end with <|im_end|>
        tokenizer_object=tokenizer, eos_token="<|endoftext|>", pad_token="<|pad|>", unk_token=None
    )
    fast.chat_template = CHATML
    return fast


def tiny_model_config(tiny: TinyModelConfig, tokenizer: PreTrainedTokenizerFast):
    """A llama- or qwen2-shaped config sized by the recipe, its vocabulary matching the tokenizer."""
    config_class = {"llama": LlamaConfig, "qwen2": Qwen2Config}[tiny.architecture]
    return config_class(
        vocab_size=len(tokenizer),
        hidden_size=tiny.hidden_size,
        intermediate_size=tiny.intermediate_size,
        num_hidden_layers=tiny.num_layers,
        num_attention_heads=tiny.num_heads,
        num_key_value_heads=tiny.num_heads,
        max_position_embeddings=tiny.max_position_embeddings,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
        tie_word_embeddings=False,
    )


def build_tiny_model(tiny: TinyModelConfig, texts: list[str], target: Path, seed: int = 42) -> Path:
    """Train a tokenizer, initialise a model from a config and save both to `target` in one rename."""
    tokenizer = train_tokenizer(texts, tiny.vocab_size)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(tiny_model_config(tiny, tokenizer), dtype=torch.float32)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".base_model.", dir=target.parent))
    try:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        (staging / BUILT_MARKER).write_text(json.dumps(tiny.model_dump(), indent=2) + "\n", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
