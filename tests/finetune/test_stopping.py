"""A chatml fine-tune of a base whose EOS is end-of-text stops at `<|im_end|>`: the stop ids travel
with the adapter (generation_config.json), into the eval's generation and into the merged model."""

from __future__ import annotations

import json

from transformers import AutoModelForCausalLM, AutoTokenizer

from codemill.evals.generate import GenerationSettings, generate_batch, load_model
from codemill.finetune.merge import merge_adapter
from codemill.finetune.train import finetune
from tests.finetune.conftest import chat_rows, tiny_recipe, write_dataset

ANSWER = "Use sum."


def test_fine_tune_ends_its_answer_in_eval_and_after_merge(tmp_path):
    rows = chat_rows(64)
    for row in rows:
        row["messages"][1]["content"] = ANSWER
    write_dataset(tmp_path, rows)
    out = finetune(tiny_recipe(tmp_path, max_steps=8, save_steps=8, learning_rate=1e-2))
    adapter = out / "adapter"
    tokenizer = AutoTokenizer.from_pretrained(adapter)
    base = json.loads((out / "run_info.json").read_text())["base_model"]
    base_eos = AutoTokenizer.from_pretrained(base).eos_token
    assert base_eos == "<|endoftext|>"  # the base stops on end-of-text only, like Qwen's
    stops = json.loads((adapter / "generation_config.json").read_text())["eos_token_id"]
    assert set(stops) >= {tokenizer.convert_tokens_to_ids("<|im_end|>"), tokenizer.convert_tokens_to_ids(base_eos)}

    lm, tok = load_model(base, str(adapter))
    prompt = tok.apply_chat_template([{"role": "user", "content": "How do I add numbers?"}], tokenize=False,
                                     add_generation_prompt=True)
    settings = GenerationSettings(max_new_tokens=40)
    encoded = tok(prompt, return_tensors="pt", add_special_tokens=False)
    generated = lm.generate(**encoded, max_new_tokens=40, do_sample=False)[0, encoded["input_ids"].shape[1]:]
    assert len(generated) < 40 and tok.convert_ids_to_tokens(int(generated[-1])) == "<|im_end|>"
    assert generate_batch(lm, tok, [prompt], None, settings, 1) == [[ANSWER]]

    merged = AutoModelForCausalLM.from_pretrained(merge_adapter(tmp_path, tmp_path / "merged"))
    assert merged.generation_config.eos_token_id == stops
