"""Fixtures for the eval tests: a tiny random Llama model with its own tokenizer, and a small problem file."""

from __future__ import annotations

import json

import pytest

TINY_PROBLEMS = [
    {"task_id": "Tiny/0", "prompt": "def add(a, b):\n    \"\"\"Return a + b.\"\"\"\n", "entry_point": "add",
     "canonical_solution": "    return a + b\n", "test": "def check(f):\n    assert f(1, 2) == 3\n"},
    {"task_id": "Tiny/1", "prompt": "def neg(x):\n    \"\"\"Return -x.\"\"\"\n", "entry_point": "neg",
     "canonical_solution": "    return -x\n", "test": "def check(f):\n    assert f(4) == -4\n"},
    {"task_id": "Tiny/2", "prompt": "def first(xs):\n    \"\"\"Return the first item.\"\"\"\n", "entry_point": "first",
     "canonical_solution": "    return xs[0]\n", "test": "def check(f):\n    assert f([7, 8]) == 7\n"},
]


@pytest.fixture(scope="session")
def tiny_problem_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "tiny-humaneval.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in TINY_PROBLEMS))
    return path


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory):
    """A 2-layer random Llama and a byte-level BPE tokenizer trained on a few lines of Python."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    out = tmp_path_factory.mktemp("tiny-model")
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=320, special_tokens=["<eos>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator([record["prompt"] + record["canonical_solution"] for record in TINY_PROBLEMS] * 5,
                                  trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token="<eos>", pad_token="<eos>")
    fast.save_pretrained(out)
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(fast), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=512,
                         eos_token_id=fast.eos_token_id, pad_token_id=fast.pad_token_id)
    LlamaForCausalLM(config).save_pretrained(out)
    return out
