"""The generation config saved with every adapter and merged model: it stops on every end-of-turn id.

A base model's own config stops on its end-of-text token only; a chat template ends assistant turns
with another token (`<|im_end|>` for chatml on a Qwen base). Without both ids, every sample of the
fine-tuned model runs to `max_new_tokens` in transformers, vLLM and Ollama alike.
"""

from __future__ import annotations

from transformers import GenerationConfig


def stop_token_ids(tokenizer, turn_end: str | None, base: GenerationConfig | None) -> list[int]:
    """The template's end-of-turn id first, then the tokenizer's EOS and the base config's own stop ids."""
    ids = []
    for token in (turn_end, tokenizer.eos_token):
        if token is not None and token in tokenizer.get_vocab():
            ids.append(tokenizer.convert_tokens_to_ids(token))
    base_ids = base.eos_token_id if base is not None else None
    ids += [base_ids] if isinstance(base_ids, int) else list(base_ids or [])
    return list(dict.fromkeys(ids))


def base_generation_config(model_path: str, trust_remote_code: bool = False) -> GenerationConfig | None:
    """The base model's generation config, or None when it ships none (a bare config)."""
    try:
        return GenerationConfig.from_pretrained(model_path, trust_remote_code=trust_remote_code)
    except OSError:
        return None


def generation_config(tokenizer, turn_end: str | None, base: GenerationConfig | None) -> GenerationConfig:
    """The base's settings (sampling defaults, bos) with every stop id and the tokenizer's pad id."""
    config = GenerationConfig.from_dict(base.to_dict()) if base is not None else GenerationConfig()
    config._from_model_config = False  # else generate() may rebuild it from the model config's single EOS
    stops = stop_token_ids(tokenizer, turn_end, base)
    if stops:
        config.eos_token_id = stops if len(stops) > 1 else stops[0]
    if tokenizer.pad_token_id is not None:
        config.pad_token_id = tokenizer.pad_token_id
    return config

