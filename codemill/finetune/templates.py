"""Named chat templates for bases that ship none; both mark assistant turns with {% generation %}.

`chatml` needs `<|im_start|>`/`<|im_end|>` in the vocabulary (Qwen, the tiny model); `plain` uses text
headers and the tokenizer's own end-of-sequence token, so it fits any base model without new tokens.
"""

from __future__ import annotations

from jinja2 import TemplateError

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
TEMPLATE_FILE_SUFFIXES = (".jinja", ".j2")
_PROBE = [{"role": "user", "content": "ping"}, {"role": "assistant", "content": "pong-answer-marker"}]


def read_template_file(path: str) -> str:
    """A Jinja chat template from a file named in `model.chat_template`."""
    try:
        return open(path, encoding="utf-8").read()
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"model.chat_template: cannot read the template file {path}: {error}") from None


def apply_chat_template_choice(tokenizer, name: str | None) -> None:
    """Install the named template (or the one in a .jinja file) on `tokenizer`, or check that it has its own."""
    if name is not None and name.endswith(TEMPLATE_FILE_SUFFIXES):
        tokenizer.chat_template = read_template_file(name)
        return
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


def turn_end_token(tokenizer) -> str:
    """The special token the chat template puts right after an assistant answer (the token to stop on).

    Found by rendering a probe conversation, so it works for any template: `<|im_end|>` for chatml,
    `<|eot_id|>` for Llama 3, the tokenizer's EOS for `plain`. Falls back to the EOS when the answer
    is followed by ordinary text.
    """
    try:
        text = tokenizer.apply_chat_template(_PROBE, tokenize=False)
    except (TemplateError, ValueError):  # a template that rejects the probe conversation: the EOS is the stop
        return tokenizer.eos_token
    answer = _PROBE[-1]["content"]
    rest = text[text.index(answer) + len(answer):] if answer in text else ""
    specials = sorted({str(token) for token in tokenizer.all_special_tokens} |
                      {t.content for t in tokenizer.added_tokens_decoder.values() if t.special}, key=len, reverse=True)
    for token in specials:
        if token and rest.startswith(token):
            return token
    return tokenizer.eos_token
