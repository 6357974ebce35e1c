"""Generation on a tiny random model: batching with left padding changes nothing, evaluate runs end to end."""

import json

from codemill.evals.generate import GenerationSettings, generate_batch, load_model, render_prompt
from codemill.benchmarks import load_benchmark
from codemill.evals.runner import evaluate


def test_batched_greedy_equals_one_at_a_time(tiny_model_dir, tiny_problem_file):
    lm, tokenizer = load_model(str(tiny_model_dir))
    assert tokenizer.padding_side == "left"
    problems = load_benchmark("humaneval", tiny_problem_file).problems
    prompts = [render_prompt(p, "completion", tokenizer) for p in problems]
    settings = GenerationSettings(max_new_tokens=12)
    batched = generate_batch(lm, tokenizer, prompts, None, settings, 1)
    single = [generate_batch(lm, tokenizer, [prompt], None, settings, 1)[0] for prompt in prompts]
    assert batched == single


def test_sampling_returns_n_samples_per_prompt(tiny_model_dir, tiny_problem_file):
    lm, tokenizer = load_model(str(tiny_model_dir))
    prompt = load_benchmark("humaneval", tiny_problem_file).problems[0].prompt
    outputs = generate_batch(lm, tokenizer, [prompt], None, GenerationSettings(temperature=1.0, max_new_tokens=4), 3)
    assert len(outputs) == 1 and len(outputs[0]) == 3


def test_evaluate_with_a_local_model_writes_the_documented_outputs(tiny_model_dir, tiny_problem_file, tmp_path,
                                                                    monkeypatch):
    results = evaluate(tmp_path, "humaneval", model=str(tiny_model_dir), data_file=tiny_problem_file,
                       n_samples=2, max_new_tokens=8, batch_size=2, workers=1)
    assert results["num_tasks"] == 3 and results["n_samples"] == 2
    assert set(results["pass_at_k"]) == {"pass@1"}
    assert results["settings"]["prompt_format"] == "completion"
    assert set(results["settings"]["timeouts"]["per_task"]) == {"Tiny/0", "Tiny/1", "Tiny/2"}
    rows = [json.loads(line) for line in (tmp_path / "samples.jsonl").read_text().splitlines()]
    assert len(rows) == 6
    assert set(rows[0]) == {"task_id", "sample_index", "completion", "status", "error", "runtime_s"}
    generation = (tmp_path / "generation.manifest.jsonl").read_text().splitlines()
    assert len(generation) == 1 + 3  # fingerprint + one line per task

    def no_model(*_args, **_kwargs):
        raise AssertionError("a resumed run must not generate again")

    monkeypatch.setattr("codemill.evals.generate.load_model", no_model)
    again = evaluate(tmp_path, "humaneval", model=str(tiny_model_dir), data_file=tiny_problem_file,
                     n_samples=2, max_new_tokens=8, batch_size=2, workers=1)
    assert again["per_task"] == results["per_task"]


def test_evaluate_loads_a_peft_adapter_on_top_of_the_model(tiny_model_dir, tiny_problem_file, tmp_path):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    adapter_dir = tmp_path / "adapter"
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(tiny_model_dir),
                           LoraConfig(r=2, target_modules=["q_proj", "v_proj"]))
    model.save_pretrained(adapter_dir)
    results = evaluate(tmp_path / "out", "humaneval", model=str(tiny_model_dir), adapter=str(adapter_dir),
                       data_file=tiny_problem_file, max_new_tokens=4, workers=1, limit=2)
    assert results["adapter"] == str(adapter_dir) and results["num_tasks"] == 2


def test_a_tokenizer_with_a_chat_template_gets_chat_prompts(tiny_model_dir, tiny_problem_file, tmp_path):
    import shutil

    from transformers import AutoTokenizer

    chat_model = tmp_path / "chat-model"
    shutil.copytree(tiny_model_dir, chat_model)
    tokenizer = AutoTokenizer.from_pretrained(chat_model)
    tokenizer.chat_template = "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}<assistant>"
    tokenizer.save_pretrained(chat_model)
    results = evaluate(tmp_path / "out", "humaneval", model=str(chat_model), data_file=tiny_problem_file,
                       max_new_tokens=6, workers=1, limit=1)
    assert results["settings"]["prompt_format"] == "chat"
    manifest = (tmp_path / "out" / "generation.manifest.jsonl").read_text().splitlines()
    entry = json.loads(manifest[1])["info"]
    assert entry["prompt"].startswith("<user>Complete the following Python function")
    assert entry["completions"][0].startswith("\n")
