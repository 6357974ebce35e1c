"""Training throughput and peak memory: codemill's finetune against trl's SFTTrainer with `packing=True`.

Every configuration trains the same randomly initialised model on the same synthetic chat data (answer
lengths spread like StackExchange answers) in its own process, so peak-memory figures do not bleed
into each other. Configurations are `WHO-METHOD[-option...]:BATCH`:

  trl-lora:2        THE baseline: trl SFTTrainer + peft LoraConfig with `packing=True` (trl's best-fit,
                    padding-free packing), everything else at trl's defaults; BATCH packed rows
  base-lora:8       the second column: the same with packing off (padded batches of BATCH samples)
  codemill-lora:2   codemill's recipe path (`codemill.finetune.finetune`); BATCH packed rows or `auto`
options: liger (finetune.liger_kernel), nockpt (checkpointing off), bf16ad (adapter_precision: compute),
metrics (token_metrics on), ckptN (finetune.checkpoint_layers: N), fa2 / sdpa / eager / flex
(model.attn_implementation).

Speed-ups are reported against the trl-packing row of the same method and batch, and against the
best trl-packing batch in the same run; the packing-off row is shown as a second column only.

MFU = tokens/s x model FLOPs per token / the GPU's dense bf16 peak, where model FLOPs per token =
4 x N_matmul (forward 2N, backward through the frozen weights 2N) + 6 x N_adapter + attention
(3 x 2 x d x layers x E[n^2]/E[n] for causal attention within samples of n tokens). Recomputation under
gradient checkpointing (another 2 x N_matmul + attention forward) is not in the MFU; it is reported
as HFU (hardware FLOPs utilisation).

CPU:  .venv/bin/python benchmarks/finetune_throughput.py --size tiny
GPU:  python3 benchmarks/finetune_throughput.py --size 7b --configs trl-lora:2,base-lora:8,codemill-lora-liger-bf16ad:2
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

# dense bf16 peak FLOP/s by device name (SXM parts; the PCIe/NVL variants are lower and named separately)
PEAK_BF16 = {"H200": 989e12, "H100 NVL": 835e12, "H100 PCIe": 756e12, "H100": 989e12, "A100": 312e12,
             "L4": 121e12, "A10": 125e12, "T4": 65e12}
SIZES = {
    "tiny": dict(architecture="qwen2", hidden_size=256, intermediate_size=688, num_layers=4, num_heads=4,
                 num_kv_heads=4, vocab_size=4000, seq_len=512, rows=600),
    "tiny-llama": dict(architecture="llama", hidden_size=128, intermediate_size=344, num_layers=2, num_heads=4,
                       num_kv_heads=4, vocab_size=4000, seq_len=256, rows=300),
    "7b": dict(architecture="qwen2", hidden_size=3584, intermediate_size=18944, num_layers=28, num_heads=28,
               num_kv_heads=4, vocab_size=152064, seq_len=2048, rows=1200),
    # CodeLlama-7B's shape: full multi-head attention, 32k vocabulary
    "llama7b": dict(architecture="llama", hidden_size=4096, intermediate_size=11008, num_layers=32, num_heads=32,
                    num_kv_heads=32, vocab_size=32016, seq_len=2048, rows=1200),
}
ATTENTION = {"fa2": "flash_attention_2", "sdpa": "sdpa", "eager": "eager", "flex": "flex_attention"}


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


class StepProfiler(TrainerCallback):
    """torch.profiler over `steps` steps after the warm-up; the breakdown lands in `self.breakdown`."""

    def __init__(self, warmup: int, steps: int):
        self.first, self.last, self.profiler, self.breakdown = warmup + 1, warmup + steps, None, None

    def on_step_begin(self, args, state, control, **kwargs):
        if state.global_step + 1 == self.first:
            activities = [torch.profiler.ProfilerActivity.CPU]
            if torch.cuda.is_available():
                activities.append(torch.profiler.ProfilerActivity.CUDA)
            self.profiler = torch.profiler.profile(activities=activities)
            self.profiler.__enter__()
            self.started = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        if self.profiler is not None and state.global_step == self.last:
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            wall = time.perf_counter() - self.started
            self.profiler.__exit__(None, None, None)
            self.breakdown = profile_breakdown(self.profiler.key_averages(), wall, self.last - self.first + 1)
            self.profiler = None


KERNEL_GROUPS = [  # first match wins; lower-case substrings of kernel names
    ("attention", ("flash", "fmha", "attention", "attn")),
    ("fused LM head / loss", ("logprob", "chunked", "cross_entropy", "fused_linear")),
    ("matmul", ("gemm", "cutlass", "xmma", "matmul", "cublas", "sm90", "sm80", "wgmma", "splitk")),
    ("optimizer", ("adam", "multi_tensor", "foreach", "fused_adam")),
    ("copy / cast", ("copy", "memcpy", "memset", "cast", "convert", "to_copy")),
    ("norm / activation / elementwise", ("elementwise", "vectorized", "reduce", "norm", "silu", "swiglu", "rms",
                                         "rope", "triton", "liger", "mul", "add", "cat", "index")),
]
CPU_MARKERS = {"data loading": "enumerate(DataLoader)", "optimizer step (CPU side)": "Optimizer.step"}


def profile_breakdown(events, wall_s: float, steps: int) -> dict:
    """GPU kernel time by group, per step, against the step's wall time; the rest is the GPU waiting on Python."""
    groups: dict[str, float] = {}
    for event in events:
        device_us = getattr(event, "self_device_time_total", 0) or 0
        if device_us <= 0:
            continue
        name = event.key.lower()
        group = next((label for label, keys in KERNEL_GROUPS if any(k in name for k in keys)), "other kernels")
        groups[group] = groups.get(group, 0.0) + device_us / 1e6
    cpu = {label: sum(e.cpu_time_total for e in events if e.key.startswith(marker)) / 1e6
           for label, marker in CPU_MARKERS.items()}
    busy = sum(groups.values())
    per_step = {label: round(seconds / steps, 4) for label, seconds in sorted(groups.items(), key=lambda x: -x[1])}
    return {"steps": steps, "wall_s_per_step": round(wall_s / steps, 4), "gpu_busy_s_per_step": round(busy / steps, 4),
            "gpu_idle_share": round(1 - busy / wall_s, 3) if busy else None, "kernels_s_per_step": per_step,
            "cpu_s_per_step": {label: round(seconds / steps, 4) for label, seconds in cpu.items()},
            "top_kernels": [(e.key[:90], round(e.self_device_time_total / 1e6 / steps, 4))
                            for e in sorted(events, key=lambda e: -(getattr(e, "self_device_time_total", 0) or 0))[:15]
                            if getattr(e, "self_device_time_total", 0)]}


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


def prepare(work: Path, size: str, seq_len: int | None = None) -> Path:
    """Write the dataset and a random base model (with a trained tokenizer) once; returns the model folder."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from codemill.finetune.base_model import tiny_model_config, train_tokenizer
    from codemill.recipe.finetune import TinyModelConfig

    spec = SIZES[size]
    model_dir = work / "base_model"
    if (model_dir / "config.json").exists():
        return model_dir
    rows = synthetic_rows(spec["rows"], seq_len or spec["seq_len"])
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
    del model
    return model_dir


def recipe_for(work: Path, model_dir: Path, method: str, steps: int, batch, seq_len: int, options: set[str],
               rank: int = 16):
    from codemill.recipe.loader import Recipe

    attention = next((ATTENTION[o] for o in options if o in ATTENTION), "auto")
    layers = next((int(o[4:]) for o in options if o.startswith("ckpt") and o[4:].isdigit()), None)
    return Recipe.model_validate({
        "name": f"bench-{method}", "output_dir": str(work),
        "model": {"name_or_path": str(model_dir), "chat_template": "chatml", "attn_implementation": attention},
        "finetune": {"method": method, "seq_len": seq_len, "batch_size": batch,
                     "gradient_accumulation": 1, "max_steps": steps, "save_steps": 10_000, "logging_steps": 1,
                     "warmup_ratio": 0.0, "lora": {"r": rank, "alpha": 2 * rank, "dropout": 0.05},
                     "liger_kernel": "liger" in options, "gradient_checkpointing": "nockpt" not in options,
                     "checkpoint_layers": layers,
                     "adapter_precision": "compute" if "bf16ad" in options else "fp32",
                     "token_metrics": "metrics" in options, "wandb": {"mode": "disabled"}},
    })


def run_codemill(work: Path, model_dir: Path, recipe, callbacks) -> dict:
    import shutil

    from codemill.finetune.train import finetune
    from codemill.finetune.estimate import GIB, estimate_recipe

    shutil.rmtree(work / "finetune", ignore_errors=True)
    estimate = estimate_recipe(recipe, str(model_dir), gpus=1)
    finetune(recipe, callbacks=tuple(callbacks))
    return {"estimate_gib": round(estimate.per_gpu / GIB, 2), "batch": estimate.batch_size,
            "estimate": estimate.lines()}


def run_trl(work: Path, model_dir: Path, method: str, steps: int, batch: int, seq_len: int, callbacks,
            packing: bool) -> dict:
    """trl's documented recipe: SFTTrainer + LoraConfig at trl's defaults, with or without `packing=True`."""
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
                     max_length=seq_len, packing=packing, logging_steps=1, save_strategy="no", report_to="none",
                     include_num_input_tokens_seen="non_padding", bf16=on_gpu, use_cpu=not on_gpu)
    lora = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.05, target_modules="all-linear", task_type="CAUSAL_LM")
    trainer = SFTTrainer(model=model, args=args, train_dataset=data, processing_class=tokenizer, peft_config=lora,
                         callbacks=callbacks)
    trainer.train()
    return {"batch": batch}


def parse_config(name: str) -> tuple[str, str, int | str, set[str]]:
    """`codemill-lora-liger:2` -> ('codemill', 'lora', 2, {'liger'}): who, method, per-device batch, options."""
    head, _, batch = name.partition(":")
    kind, method, *options = head.split("-")
    if kind not in ("codemill", "trl", "base") or method not in ("lora", "qlora", "dora"):
        raise ValueError(f"{name}: expected WHO-METHOD[-option...][:BATCH] with WHO codemill/trl/base")
    default = 8 if kind == "base" else 2
    return kind, method, batch if batch == "auto" else int(batch or default), set(options)


def flops_per_token(config, adapter_params: int, mean_sq_over_mean: float) -> dict[str, float]:
    """Model FLOPs per trained token (see the module docstring) and what checkpointing recomputes on top."""
    from codemill.finetune.estimate import count_parameters, meta_model

    hidden, layers = config.hidden_size, config.num_hidden_layers
    counts = count_parameters(meta_model(config), "all-linear", 1, False)
    # every weight is a matmul but the input embeddings' lookup (which a tied output layer still multiplies by)
    matmul = counts["linear"] + counts["other"] - (0 if config.tie_word_embeddings else config.vocab_size * hidden)
    attention_forward = 2 * hidden * layers * mean_sq_over_mean
    model = 4 * matmul + 6 * adapter_params + 3 * attention_forward
    return {"model": model, "recompute": 2 * matmul + attention_forward, "n_matmul": matmul}


def sample_lengths(work: Path, model_dir: Path, seq_len: int) -> list[int]:
    """Tokens per templated conversation of the benchmark data, as truncated to seq_len (for the attention FLOPs)."""
    import pyarrow.parquet as pq
    from transformers import AutoTokenizer

    from codemill.finetune.templates import CHATML

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    tokenizer.chat_template = CHATML
    rows = pq.read_table(work / "dataset" / "data" / "train-00000-of-00001.parquet").column("messages").to_pylist()
    texts = [tokenizer.apply_chat_template(messages, tokenize=False) for messages in rows]
    return [min(len(ids), seq_len) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]


def device_peak(name: str) -> float | None:
    return next((peak for key, peak in PEAK_BF16.items() if key in name), None)


def measure(args) -> dict:
    """Run one configuration in this process and return its figures as a dict."""
    work = Path(args.work)
    spec = SIZES[args.size]
    seq_len = args.seq_len or spec["seq_len"]
    model_dir = prepare(work, args.size, seq_len)
    kind, method, batch, options = parse_config(args.one)
    timer = StepTimer(args.warmup)
    callbacks = [timer]
    profiler = StepProfiler(args.warmup, args.profile_steps) if args.profile else None
    if profiler:
        callbacks.append(profiler)
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    if kind == "codemill":
        recipe = recipe_for(work, model_dir, method, args.steps, batch, seq_len, options, args.rank)
        extra = run_codemill(work, model_dir, recipe, callbacks)
    else:
        extra = run_trl(work, model_dir, method, args.steps, batch, seq_len, callbacks, packing=kind == "trl")
    seconds = timer.end - timer.start
    tokens = timer.end_tokens - timer.start_tokens
    timed_steps = max(len(timer.step_times), 1)
    result = {"config": args.one, "size": args.size, "seq_len": seq_len, "tokens": tokens, "seconds": seconds,
              "tokens_per_s": tokens / seconds, "tokens_per_step": tokens / timed_steps,
              "median_step_s": statistics.median(timer.step_times) if timer.step_times else None}
    if result["median_step_s"]:
        result["ms_per_1k_tokens"] = 1000 * result["median_step_s"] / (result["tokens_per_step"] / 1000)
    result.update(extra)
    recomputed = 0.0 if "nockpt" in options else recomputed_share(options, model_dir)
    result.update(flop_figures(work, model_dir, seq_len, result["tokens_per_s"], args.rank, recomputed))
    if torch.cuda.is_available():
        stats = torch.cuda.memory_stats()
        result.update(peak_allocated_gib=torch.cuda.max_memory_allocated() / 2**30,
                      peak_reserved_gib=torch.cuda.max_memory_reserved() / 2**30,
                      alloc_retries=stats.get("num_alloc_retries", 0), cuda_mallocs=stats.get("num_device_alloc", 0),
                      device=torch.cuda.get_device_name(0))
    if profiler and profiler.breakdown:
        result["profile"] = profiler.breakdown
    result["step_times"] = [round(t, 3) for t in timer.step_times]
    return result


def recomputed_share(options: set[str], model_dir: Path) -> float:
    """The share of decoder layers gradient checkpointing recomputes (all unless `ckptN`)."""
    from transformers import AutoConfig

    layers = next((int(o[4:]) for o in options if o.startswith("ckpt") and o[4:].isdigit()), None)
    total = AutoConfig.from_pretrained(model_dir).num_hidden_layers
    return 1.0 if layers is None else min(layers, total) / total


def flop_figures(work: Path, model_dir: Path, seq_len: int, tokens_per_s: float, rank: int, recomputed: float) -> dict:
    from transformers import AutoConfig

    from codemill.finetune.estimate import count_parameters, meta_model

    config = AutoConfig.from_pretrained(model_dir)
    lengths = sample_lengths(work, model_dir, seq_len)
    spread = sum(n * n for n in lengths) / sum(lengths)
    adapter = count_parameters(meta_model(config), "all-linear", rank, False)["adapter"]
    flops = flops_per_token(config, adapter, spread)
    figures = {"model_flops_per_token": flops["model"], "mean_tokens_per_sample": sum(lengths) / len(lengths)}
    peak = device_peak(torch.cuda.get_device_name(0)) if torch.cuda.is_available() else None
    if peak:
        figures["mfu"] = tokens_per_s * flops["model"] / peak
        figures["hfu"] = tokens_per_s * (flops["model"] + recomputed * flops["recompute"]) / peak
        figures["peak_flops"] = peak
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=list(SIZES), default="tiny")
    parser.add_argument("--configs", default="trl-lora:2,base-lora:8,codemill-lora:2",
                        help="comma-separated WHO-METHOD[-option...][:BATCH] (see the module docstring)")
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--seq-len", type=int, help="default: the size's (2048 for 7b)")
    parser.add_argument("--rank", type=int, default=16, help="LoRA r of codemill configurations")
    parser.add_argument("--profile", action="store_true", help="torch.profiler breakdown of steps after the warm-up")
    parser.add_argument("--profile-steps", type=int, default=3)
    parser.add_argument("--work", default="/tmp/codemill-bench")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--out", help="also write the results as JSON here")
    args = parser.parse_args()
    if args.one:
        print("RESULT " + json.dumps(measure(args)), flush=True)
        return
    results = [run_in_subprocess(args, name) for name in args.configs.split(",")]
    print("\n".join(report(results)))
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


def run_in_subprocess(args, name: str) -> dict:
    command = [sys.executable, __file__, "--one", name, "--size", args.size, "--steps", str(args.steps),
               "--warmup", str(args.warmup), "--work", args.work, "--rank", str(args.rank),
               "--profile-steps", str(args.profile_steps)]
    if args.seq_len:
        command += ["--seq-len", str(args.seq_len)]
    if args.profile:
        command.append("--profile")
    done = subprocess.run(command, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        tail = (done.stdout + done.stderr)[-3000:]
        print(f"{name}: FAILED (exit {done.returncode})\n{tail}", flush=True)
        return {"config": name, "failed": True, "error": tail[-500:]}
    result = json.loads(lines[-1][len("RESULT "):])
    print(json.dumps({k: v for k, v in result.items() if k not in ("estimate", "profile")}), flush=True)
    return result


def _ratio(ours: dict, base: dict) -> str:
    text = f"{ours['tokens_per_s'] / base['tokens_per_s']:.2f}x tokens/s"
    if "peak_reserved_gib" in ours and "peak_reserved_gib" in base:
        text += f", {ours['peak_reserved_gib'] / base['peak_reserved_gib']:.2f}x peak"
    return text


def report(results: list[dict]) -> list[str]:
    """A markdown table: each row against trl `packing=True` (same method and batch, and its best batch in this
    run), and against trl with packing off as a second column."""
    ok = [r for r in results if not r.get("failed")]
    rows = ["| config | tokens/s | ms per 1k tokens | peak reserved GiB | MFU | HFU | estimate GiB "
            "| vs trl packing=True, same batch | vs best trl packing=True | vs trl packing off |",
            "|---|---:|---:|---:|---:|---:|---:|---|---|---|"]
    for r in ok:
        kind, method, batch, _ = parse_config(r["config"])
        trl_rows = [b for b in ok if parse_config(b["config"])[:2] == ("trl", method)]
        same = next((b for b in trl_rows if parse_config(b["config"])[2] == r.get("batch", batch)), None)
        best = max(trl_rows, key=lambda b: b["tokens_per_s"], default=None)
        off = next((b for b in ok if parse_config(b["config"])[:2] == ("base", method)), None)
        cells = [_ratio(r, b) + (f" ({b['config']})" if b is best else "") if b and b is not r else "–"
                 for b in (same, best, off)]
        rows.append(f"| {r['config']} | {r['tokens_per_s']:,.0f} | {r.get('ms_per_1k_tokens', float('nan')):.1f} "
                    f"| {r.get('peak_reserved_gib', float('nan')):.2f} | {r.get('mfu', float('nan')):.3f} "
                    f"| {r.get('hfu', float('nan')):.3f} | {r.get('estimate_gib', '–')} | " + " | ".join(cells) + " |")
    for r in ok:
        if "estimate_gib" in r and "peak_reserved_gib" in r:
            error = r["estimate_gib"] / r["peak_reserved_gib"] - 1
            rows.append(f"{r['config']}: estimate {r['estimate_gib']:.2f} GiB vs measured {r['peak_reserved_gib']:.2f} "
                        f"GiB ({error:+.1%})")
    for r in results:
        if r.get("failed"):
            rows.append(f"{r['config']}: FAILED ({r['error'][-200:]!r})")
    return rows


if __name__ == "__main__":
    main()
