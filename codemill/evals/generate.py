"""Generation: transformers, batched with left padding and stop strings (greedy by default); vLLM optional."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from codemill.benchmarks import Problem
from codemill.evals.postprocess import STOP_SEQUENCES, stop_family
from codemill.recipe.eval import EvalConfig

_DEFAULTS = EvalConfig()


@dataclass(frozen=True)
class GenerationSettings:
    """How completions are sampled; the defaults are the recipe's `eval` defaults."""

    n_samples: int = _DEFAULTS.n_samples
    temperature: float = _DEFAULTS.temperature
    top_p: float = 0.95
    max_new_tokens: int = _DEFAULTS.max_new_tokens
    batch_size: int = _DEFAULTS.batch_size
    seed: int = _DEFAULTS.seed


def load_model(model: str, adapter: str | None = None, trust_remote_code: bool = False):
    """A causal LM and its tokenizer from a hub id or local folder, with an optional peft adapter."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    has_own_tokenizer = adapter is not None and (Path(adapter) / "tokenizer_config.json").exists()
    tokenizer = AutoTokenizer.from_pretrained(adapter if has_own_tokenizer else model, trust_remote_code=trust_remote_code)
    from codemill.models.saved import attach_for_generation, base_load_options

    dtype = torch.bfloat16 if torch.cuda.is_available() else torch.float32
    options = base_load_options(adapter, torch.cuda.is_available())  # QLoRA runs: the 4-bit base, as trained
    lm = AutoModelForCausalLM.from_pretrained(model, dtype=dtype, trust_remote_code=trust_remote_code, **options)
    if adapter:
        lm = attach_for_generation(lm, adapter)  # with the stop ids saved next to the adapter
    if torch.cuda.is_available() and "device_map" not in options:
        lm = lm.to("cuda")
    lm.eval()
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return lm, tokenizer


def choose_prompt_format(tokenizer, requested: str) -> str:
    """`auto`: chat prompts when the tokenizer has a chat template, completion prompts otherwise."""
    if requested != "auto":
        return requested
    return "chat" if getattr(tokenizer, "chat_template", None) else "completion"


def render_prompt(problem: Problem, prompt_format: str, tokenizer) -> str:
    if prompt_format == "completion":
        return problem.prompt
    messages = [{"role": "user", "content": problem.instruction}]
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def generate_batch(lm, tokenizer, prompts: list[str], stops: list[str] | None, settings: GenerationSettings,
                   num_return: int) -> list[list[str]]:
    """Raw continuations (special tokens dropped) for each prompt, `num_return` per prompt."""
    import torch

    encoded = tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False).to(lm.device)
    sample = settings.temperature > 0
    options = dict(max_new_tokens=settings.max_new_tokens, do_sample=sample, num_return_sequences=num_return,
                   pad_token_id=tokenizer.pad_token_id)
    if sample:
        options.update(temperature=settings.temperature, top_p=settings.top_p)
    if stops:
        options.update(stop_strings=stops, tokenizer=tokenizer)
    with torch.inference_mode():
        output = lm.generate(**encoded, **options)
    new_tokens = output[:, encoded["input_ids"].shape[1]:]
    texts = tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
    return [texts[i * num_return:(i + 1) * num_return] for i in range(len(prompts))]


def generate_transformers(lm, tokenizer, problems: list[Problem], prompt_format: str, settings: GenerationSettings,
                          on_done: Callable[[Problem, str, list[str], str], None]) -> None:
    """Generate for `problems` in batches, calling `on_done(problem, prompt, raw_outputs, prompt_format)`.

    Greedy decoding is deterministic, so with temperature 0 one sequence is generated and repeated.
    """
    import torch

    torch.manual_seed(settings.seed)
    first = problems[0] if problems else None
    completion = first is not None and prompt_format == "completion"
    stops = STOP_SEQUENCES[stop_family(first.benchmark, first.prompt)] if completion else None
    num_return = settings.n_samples if settings.temperature > 0 else 1
    for start in range(0, len(problems), settings.batch_size):
        batch = problems[start:start + settings.batch_size]
        prompts = [render_prompt(problem, prompt_format, tokenizer) for problem in batch]
        outputs = generate_batch(lm, tokenizer, prompts, stops, settings, num_return)
        for problem, prompt, raw in zip(batch, prompts, outputs):
            on_done(problem, prompt, (raw * settings.n_samples)[:settings.n_samples], prompt_format)


def vllm_available() -> bool:
    try:
        import torch
        import vllm  # noqa: F401
    except ImportError:
        return False
    return torch.cuda.is_available()


def generate_vllm(model: str, adapter: str | None, problems: list[Problem], prompt_format: str,
                  settings: GenerationSettings, on_done: Callable[[Problem, str, list[str], str], None]) -> None:
    """The same contract as `generate_transformers`, on vLLM (GPU only; needs the `vllm` extra)."""
    from vllm import LLM, SamplingParams
    from vllm.lora.request import LoRARequest

    llm = LLM(model=model, enable_lora=bool(adapter), seed=settings.seed)
    tokenizer = llm.get_tokenizer()
    prompt_format = choose_prompt_format(tokenizer, prompt_format)
    first = problems[0]
    stops = STOP_SEQUENCES[stop_family(first.benchmark, first.prompt)] if prompt_format == "completion" else None
    params = SamplingParams(n=settings.n_samples, temperature=settings.temperature,
                            top_p=settings.top_p if settings.temperature > 0 else 1.0,
                            max_tokens=settings.max_new_tokens, stop=stops, seed=settings.seed)
    prompts = [render_prompt(problem, prompt_format, tokenizer) for problem in problems]
    lora = LoRARequest("adapter", 1, adapter) if adapter else None
    for problem, prompt, result in zip(problems, prompts, llm.generate(prompts, params, lora_request=lora)):
        on_done(problem, prompt, [choice.text for choice in result.outputs], prompt_format)
