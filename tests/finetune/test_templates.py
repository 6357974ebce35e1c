"""Chat templates: the loss covers assistant tokens (and their end-of-turn token) only."""

from __future__ import annotations

import pytest
from transformers import PreTrainedTokenizerFast

from codemill.finetune.base_model import train_tokenizer
from codemill.finetune.templates import apply_chat_template_choice, turn_end_token
from tests.finetune.conftest import chat_rows

MESSAGES = [{"role": "user", "content": "how to sum a list"}, {"role": "assistant", "content": "use sum of the list"}]


@pytest.fixture(scope="module")
def tokenizer() -> PreTrainedTokenizerFast:
    rows = chat_rows(40)
    return train_tokenizer([m["content"] for row in rows for m in row["messages"]], 400)


def _assistant_text(tokenizer, template_name):
    apply_chat_template_choice(tokenizer, template_name)
    out = tokenizer.apply_chat_template(MESSAGES, tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
    kept = [token for token, keep in zip(out["input_ids"], out["assistant_masks"]) if keep]
    return tokenizer.decode(kept)


def test_chatml_masks_exactly_the_answer_and_its_end_token(tokenizer):
    assert _assistant_text(tokenizer, "chatml") == "use sum of the list<|im_end|>"


def test_plain_masks_the_answer_and_eos(tokenizer):
    assert _assistant_text(tokenizer, "plain") == f"use sum of the list{tokenizer.eos_token}"


def test_chatml_refused_without_its_tokens():
    bare = train_tokenizer(["just some words here"] * 5, 300)
    bare = PreTrainedTokenizerFast(tokenizer_object=bare.backend_tokenizer.__class__.from_str(
        bare.backend_tokenizer.to_str().replace("<|im_start|>", "<|xx|>").replace("<|im_end|>", "<|yy|>")),
        eos_token="<|yy|>")
    with pytest.raises(ValueError, match="use 'plain' instead"):
        apply_chat_template_choice(bare, "chatml")


def test_missing_template_names_the_key(tokenizer):
    tokenizer.chat_template = None
    with pytest.raises(ValueError, match="model.chat_template: .* no chat template"):
        apply_chat_template_choice(tokenizer, None)


LLAMA3_LIKE = (
    "{%- for message in messages -%}"
    "{{- '<|im_start|>' + message['role'] + '\\n\\n' -}}"
    "{%- if message['role'] == 'assistant' -%}{% generation %}{{- message['content'] + '<|endoftext|>' -}}"
    "{% endgeneration %}{%- else -%}{{- message['content'] + '<|endoftext|>' -}}{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n\\n' -}}{%- endif -%}"
)


def test_turn_end_token_is_what_follows_an_answer(tokenizer):
    apply_chat_template_choice(tokenizer, "chatml")
    assert turn_end_token(tokenizer) == "<|im_end|>"
    apply_chat_template_choice(tokenizer, "plain")
    assert turn_end_token(tokenizer) == tokenizer.eos_token == "<|endoftext|>"


def test_template_file_is_installed_and_its_stop_token_found(tokenizer, tmp_path):
    path = tmp_path / "turns.jinja"
    path.write_text(LLAMA3_LIKE)
    apply_chat_template_choice(tokenizer, str(path))
    assert tokenizer.chat_template == LLAMA3_LIKE and turn_end_token(tokenizer) == "<|endoftext|>"
    assert _assistant_text(tokenizer, str(path)) == "use sum of the list<|endoftext|>"
    with pytest.raises(ValueError, match=r"model.chat_template: cannot read the template file .*missing.jinja"):
        apply_chat_template_choice(tokenizer, str(tmp_path / "missing.jinja"))
