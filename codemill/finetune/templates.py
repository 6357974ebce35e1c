"""Named chat templates for bases that ship none; both mark assistant turns with {% generation %}.

`chatml` needs `<|im_start|>`/`<|im_end|>` in the vocabulary (Qwen, the tiny model); `plain` uses text
headers and the tokenizer's own end-of-sequence token, so it fits any base model without new tokens.
"""

from __future__ import annotations

CHATML = (
    "{%- for message in messages -%}"
    "{{- '<|im_start|>' + message['role'] + '\\n' -}}"
    "{%- if message['role'] == 'assistant' -%}"
    "{% generation %}{{- message['content'] + '<|im_end|>' -}}{% endgeneration %}{{- '\\n' -}}"
    "{%- else -%}"
    "{{- message['content'] + '<|im_end|>\\n' -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}"
)

PLAIN = (
    "{%- if bos_token is defined and bos_token -%}{{- bos_token -}}{%- endif -%}"
    "{%- for message in messages -%}"
    "{%- if message['role'] == 'system' -%}{{- message['content'] + '\\n\\n' -}}"
    "{%- elif message['role'] == 'user' -%}{{- '### Question:\\n' + message['content'] + '\\n\\n' -}}"
    "{%- else -%}"
    "{{- '### Answer:\\n' -}}{% generation %}{{- message['content'] + eos_token -}}{% endgeneration %}{{- '\\n\\n' -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '### Answer:\\n' -}}{%- endif -%}"
)

CHAT_TEMPLATES = {"chatml": CHATML, "plain": PLAIN}
CHATML_TOKENS = ("<|im_start|>", "<|im_end|>")


def apply_chat_template_choice(tokenizer, name: str | None) -> None:
    """Install the named template on `tokenizer`, or check that it has one of its own."""
    if name is None:
        if not tokenizer.chat_template:
            raise ValueError(
                "model.chat_template: the base model's tokenizer has no chat template; "
                f"set it to one of: {', '.join(CHAT_TEMPLATES)}"
            )
        return
    if name == "chatml":
        missing = [token for token in CHATML_TOKENS if token not in tokenizer.get_vocab()]
        if missing:
            raise ValueError(
                f"model.chat_template: 'chatml' needs the tokens {', '.join(missing)}, which this tokenizer lacks; "
                "use 'plain' instead"
            )
    tokenizer.chat_template = CHAT_TEMPLATES[name]
