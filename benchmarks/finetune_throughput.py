"""Training throughput and peak memory: codemill's finetune vs a plain trl SFTTrainer + peft baseline.

Both train the same randomly initialised model on the same synthetic chat data (lengths spread like
StackExchange answers). The baseline keeps trl's defaults (no packing, padded batches); codemill runs
its recipe path (packing without cross-sample attention, LoRA on all linear layers).

CPU:  .venv/bin/python benchmarks/finetune_throughput.py --size tiny
GPU:  python3 benchmarks/finetune_throughput.py --size 7b --configs base-lora,codemill-lora,codemill-qlora
Each configuration runs in its own process so that peak-memory figures do not bleed into each other.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("WANDB_MODE", "disabled")

import torch  # noqa: E402
from transformers import TrainerCallback  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

H100_BF16_PEAK = 989e12
SIZES = {
    "tiny": dict(architecture="qwen2", hidden_size=256, intermediate_size=688, num_layers=4, num_heads=4,
                 num_kv_heads=4, vocab_size=4000, seq_len=512, rows=600),
    "7b": dict(architecture="qwen2", hidden_size=3584, intermediate_size=18944, num_layers=28, num_heads=28,
               num_kv_heads=4, vocab_size=152064, seq_len=2048, rows=1200),
}


class StepTimer(TrainerCallback):
    """Wall time and non-padding tokens between the end of the warm-up steps and the last step."""

    def __init__(self, warmup: int):
        self.warmup, self.start, self.start_tokens, self.step_times = warmup, None, 0, []
        self.last = None

    def on_step_end(self, args, state, control, **kwargs):
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        now = time.perf_counter()
        if state.global_step == self.warmup:
            self.start, self.start_tokens = now, state.num_input_tokens_seen
        elif self.last is not None and state.global_step > self.warmup:
            self.step_times.append(now - self.last)
        self.last, self.end, self.end_tokens = now, now, state.num_input_tokens_seen


def synthetic_rows(count: int, seq_len: int, seed: int = 0) -> list[dict]:
    """Chat rows whose answer lengths follow a log-normal spread (median seq_len/16 words, capped)."""
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(3000)]
    rows = []
    for i in range(count):
        answer_words = min(int(rng.lognormvariate(math.log(seq_len / 16), 0.8)), seq_len // 2)
        messages = [{"role": "user", "content": " ".join(rng.choices(words, k=rng.randint(10, 60)))},
                    {"role": "assistant", "content": " ".join(rng.choices(words, k=max(answer_words, 5)))}]
        rows.append({"id": str(i), "source": "bench", "group": str(i), "metadata": "{}", "messages": messages})
    return rows


def prepare(work: Path, size: str) -> Path:
    """Write the dataset and a random base model (with a trained tokenizer) once; returns the model folder."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from codemill.finetune.base_model import tiny_model_config, train_tokenizer
    from codemill.finetune.config import TinyModelConfig

    spec = SIZES[size]
    model_dir = work / "base_model"
    if (model_dir / "config.json").exists():
        return model_dir
    rows = synthetic_rows(spec["rows"], spec["seq_len"])
    (work / "dataset" / "data").mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), work / "dataset" / "data" / "train-00000-of-00001.parquet")
    texts = [m["content"] for row in rows[:200] for m in row["messages"]]
    tokenizer = train_tokenizer(texts, 4000)
    tiny = TinyModelConfig(architecture=spec["architecture"], vocab_size=spec["vocab_size"], hidden_size=spec["hidden_size"],
                           intermediate_size=spec["intermediate_size"], num_layers=spec["num_layers"],
                           num_heads=spec["num_heads"], max_position_embeddings=32768)
    config = tiny_model_config(tiny, tokenizer)
    config.vocab_size = spec["vocab_size"]
    config.num_key_value_heads = spec["num_kv_heads"]
    from transformers import AutoModelForCausalLM

    device = "cuda" if torch.cuda.is_available() else "cpu"
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(config, dtype=dtype)
    model.save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)
    return model_dir


def recipe_for(work: Path, model_dir: Path, size: str, method: str, steps: int, batch: int):
    from codemill.recipe import Recipe

    return Recipe.model_validate({
        "name": f"bench-{method}", "output_dir": str(work),
        "model": {"name_or_path": str(model_dir), "chat_template": "chatml"},
        "finetune": {"method": method, "seq_len": SIZES[size]["seq_len"], "batch_size": batch,
                     "gradient_accumulation": 1, "max_steps": steps, "save_steps": 10_000, "logging_steps": 1,
                     "warmup_ratio": 0.0, "lora": {"r": 16, "alpha": 32, "dropout": 0.05},
                     "wandb": {"mode": "disabled"}},
    })


def run_codemill(work: Path, model_dir: Path, size: str, method: str, steps: int, batch: int, timer,
                 options: set[str]) -> dict:
    import shutil

    from codemill.finetune import finetune
    from codemill.finetune.estimate import GIB, estimate_recipe

    recipe = recipe_for(work, model_dir, size, method, steps, batch)
    recipe.finetune.liger_kernel = "liger" in options
    recipe.finetune.gradient_checkpointing = "nockpt" not in options
    recipe.finetune.adapter_precision = "compute" if "bf16ad" in options else "fp32"
    shutil.rmtree(work / "finetune", ignore_errors=True)
    estimate = estimate_recipe(recipe, str(model_dir), gpus=1)
    finetune(recipe, callbacks=(timer,))
    return {"estimate_gib": round(estimate.per_gpu / GIB, 2), "estimate": estimate.lines()}


def run_baseline(work: Path, model_dir: Path, size: str, method: str, steps: int, batch: int, timer,
                 options: set[str]) -> dict:
    """trl's documented recipe at its defaults: SFTTrainer + LoraConfig, no packing."""
    from datasets import load_dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig
    from trl import SFTConfig, SFTTrainer

    from codemill.finetune.templates import CHATML

    data = load_dataset("parquet", data_files=str(work / "dataset" / "data" / "train-*.parquet"), split="train")
    data = data.select_columns(["messages"])
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    tokenizer.chat_template = CHATML
    quant = None
    if method == "qlora":
        quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                                   bnb_4bit_compute_dtype=torch.bfloat16)
    on_gpu = torch.cuda.is_available()
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.bfloat16 if on_gpu else torch.float32,
                                                 quantization_config=quant)
    if on_gpu and quant is None:
        model.to("cuda")
    args = SFTConfig(output_dir=str(work / "baseline"), per_device_train_batch_size=batch, max_steps=steps,
                     max_length=SIZES[size]["seq_len"], logging_steps=1, save_strategy="no", report_to="none",
                     include_num_input_tokens_seen="non_padding", bf16=on_gpu, use_cpu=not on_gpu)
    lora = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, target_modules="all-linear", task_type="CAUSAL_LM")
    trainer = SFTTrainer(model=model, args=args, train_dataset=data, processing_class=tokenizer, peft_config=lora,
                         callbacks=[timer])
    trainer.train()
    return {}


def parse_config(name: str) -> tuple[str, str, int, set[str]]:
    """`codemill-lora-liger:2` -> ('codemill', 'lora', 2, {'liger'}): who, method, per-device batch, options."""
    head, _, batch = name.partition(":")
    kind, method, *options = head.split("-")
    return kind, method, int(batch or (2 if kind == "codemill" else 8)), set(options)


def measure(args) -> dict:
    """Run one configuration in this process and return its figures as a dict."""
    work = Path(args.work)
    model_dir = prepare(work, args.size)
    kind, method, batch, options = parse_config(args.one)
    timer = StepTimer(args.warmup)
    runner = run_codemill if kind == "codemill" else run_baseline
    extra = runner(work, model_dir, args.size, method, args.steps, batch, timer, options)
    seconds = timer.end - timer.start
    tokens = timer.end_tokens - timer.start_tokens
    from transformers import AutoConfig

    from codemill.finetune.estimate import count_parameters, meta_model

    config = AutoConfig.from_pretrained(model_dir)
    counts = count_parameters(meta_model(config), "all-linear", 16, False)
    params = counts["linear"] + counts["other"]
    timed_steps = max(len(timer.step_times), 1)
    result = {"config": args.one, "tokens": tokens, "seconds": seconds, "tokens_per_s": tokens / seconds,
              "tokens_per_step": tokens / timed_steps,
              "median_step_s": statistics.median(timer.step_times) if timer.step_times else None, "params": params}
    if torch.cuda.is_available():
        result["peak_allocated_gib"] = torch.cuda.max_memory_allocated() / 2**30
        result["peak_reserved_gib"] = torch.cuda.max_memory_reserved() / 2**30
        result["mfu"] = result["tokens_per_s"] * 4 * params / H100_BF16_PEAK
        result["device"] = torch.cuda.get_device_name(0)
    result.update(extra)
    result["step_times"] = [round(t, 3) for t in timer.step_times]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=list(SIZES), default="tiny")
    parser.add_argument("--configs", default="base-lora:8,codemill-lora:2",
                        help="comma-separated WHO-METHOD[:BATCH]; codemill batches are packed rows of seq_len")
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--work", default="/tmp/codemill-bench")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--out", help="also write the results as JSON here")
    args = parser.parse_args()
    if args.one:
        print("RESULT " + json.dumps(measure(args)), flush=True)
        return
    results = [run_in_subprocess(args, name) for name in args.configs.split(",")]
    report(results)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def run_in_subprocess(args, name: str) -> dict:
    command = [sys.executable, __file__, "--one", name, "--size", args.size, "--steps", str(args.steps),
               "--warmup", str(args.warmup), "--work", args.work]
    done = subprocess.run(command, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        tail = (done.stdout + done.stderr)[-3000:]
        print(f"{name}: FAILED (exit {done.returncode})\n{tail}", flush=True)
        return {"config": name, "failed": True, "error": tail[-500:]}
    result = json.loads(lines[-1][len("RESULT "):])
    print(json.dumps(result), flush=True)
    return result


def report(results: list[dict]) -> None:
    ok = {r["config"]: r for r in results if not r.get("failed")}
    print("\nconfig              tokens/s   peak GiB (alloc/reserved)   MFU    estimate GiB")
    for name, r in ok.items():
        peak = f"{r.get('peak_allocated_gib', float('nan')):6.2f} / {r.get('peak_reserved_gib', float('nan')):6.2f}"
        print(f"{name:<18}{r['tokens_per_s']:10.0f}   {peak:<26}  {r.get('mfu', float('nan')):.3f}  {r.get('estimate_gib', '')}")
    for base_name, base in ok.items():
        for name, ours in ok.items():
            if not (base_name.startswith("base-") and name.startswith("codemill-")):
                continue
            method = parse_config(name)[1]
            if parse_config(base_name)[1] != method:
                continue
            speed = ours["tokens_per_s"] / base["tokens_per_s"]
            line = f"{name} vs {base_name}: tokens/s = {speed:.2f}x"
            if "peak_reserved_gib" in ours:
                line += f", peak memory = {ours['peak_reserved_gib'] / base['peak_reserved_gib']:.2f}x"
            print(line)
    for name, r in ok.items():
        if "estimate_gib" in r and "peak_reserved_gib" in r:
            error = r["estimate_gib"] / r["peak_reserved_gib"] - 1
            print(f"{name}: estimate {r['estimate_gib']:.2f} GiB vs measured peak {r['peak_reserved_gib']:.2f} GiB ({error:+.1%})")


if __name__ == "__main__":
    main()
