"""The memory estimate against measured peaks, on configurations split into a fit set and a held-out set.

The fit set is what the shipped constants (`codemill.finetune.estimate.FITTED`) were fitted on: Qwen2.5-7B
geometry, seq_len 2048, LoRA r 16, the batches and checkpointing settings of benchmarks/RESULTS.md.
The held-out set varies one thing the fit never saw: batch size, seq_len 1k/4k, LoRA r 8/64, DoRA,
a Llama (CodeLlama-7B) geometry, checkpointing on/off there, half the layers checkpointed, bf16 adapters. Each point trains a few
steps in its own process (benchmarks/finetune_throughput.py --one) and records torch's peak reserved
memory; the report gives the error of the shipped constants on every point, labelled fit/held-out,
and with `--refit` the held-out error of constants refitted on this run's fit points only.

GPU:  python3 benchmarks/estimate_check.py --split held-out --out estimate_check.json
CPU:  .venv/bin/python benchmarks/estimate_check.py --size-map tiny --points lora-bs2 (plumbing only:
      there is no GPU peak to measure, so only the estimates are printed)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
THROUGHPUT = Path(__file__).with_name("finetune_throughput.py")


@dataclass(frozen=True)
class Point:
    name: str
    split: str  # "fit" (the constants were fitted on it) or "held-out"
    size: str = "7b"
    method: str = "lora"
    batch: int = 2
    seq_len: int = 2048
    rank: int = 16
    options: tuple[str, ...] = ("liger",)

    def config_name(self) -> str:
        return "-".join(["codemill", self.method, *self.options]) + f":{self.batch}"


POINTS = [
    Point("lora-bs2", "fit"),
    Point("lora-bs2-noliger", "fit", options=()),
    Point("lora-bs1", "fit", batch=1),
    Point("lora-bs1-nockpt", "fit", batch=1, options=("liger", "nockpt")),
    Point("qlora-bs1", "fit", method="qlora", batch=1),
    Point("qlora-bs2", "fit", method="qlora"),
    Point("qlora-bs4", "fit", method="qlora", batch=4),
    Point("qlora-bs1-nockpt", "fit", method="qlora", batch=1, options=("liger", "nockpt")),
    Point("lora-bs3", "held-out", batch=3),
    Point("lora-bs4", "held-out", batch=4),
    Point("lora-bs2-bf16ad", "held-out", options=("liger", "bf16ad")),
    Point("lora-seq1k-bs4", "held-out", batch=4, seq_len=1024),
    Point("lora-seq4k-bs1", "held-out", batch=1, seq_len=4096),
    Point("qlora-seq4k-bs1", "held-out", method="qlora", batch=1, seq_len=4096),
    Point("lora-bs2-ckpt14", "held-out", options=("liger", "ckpt14")),
    Point("lora-r8", "held-out", rank=8),
    Point("lora-r64", "held-out", rank=64),
    Point("dora-bs2", "held-out", method="dora"),
    Point("llama-lora-bs2", "held-out", size="llama7b"),
    Point("llama-lora-bs1-nockpt", "held-out", size="llama7b", batch=1, options=("liger", "nockpt")),
    Point("llama-qlora-bs2", "held-out", size="llama7b", method="qlora"),
]
# --size-map tiny: the same grid on CPU-sized models (plumbing only)
TINY_SIZES = {"7b": "tiny", "llama7b": "tiny-llama"}
HELD_OUT_TARGET = 0.15


def geometry(size: str):
    """The model config a size of finetune_throughput.py trains (random weights, untied embeddings)."""
    from transformers import LlamaConfig, Qwen2Config

    from finetune_throughput import SIZES

    spec = SIZES[size]
    config_class = {"llama": LlamaConfig, "qwen2": Qwen2Config}[spec["architecture"]]
    return config_class(vocab_size=spec["vocab_size"], hidden_size=spec["hidden_size"],
                        intermediate_size=spec["intermediate_size"], num_hidden_layers=spec["num_layers"],
                        num_attention_heads=spec["num_heads"], num_key_value_heads=spec["num_kv_heads"],
                        tie_word_embeddings=False)


def finetune_settings(point: Point):
    from codemill.recipe.finetune import FinetuneConfig

    return FinetuneConfig(method=point.method, batch_size=point.batch, seq_len=point.seq_len,
                          lora={"r": point.rank, "alpha": 2 * point.rank, "dropout": 0.05},
                          gradient_checkpointing="nockpt" not in point.options, liger_kernel="liger" in point.options,
                          checkpoint_layers=next((int(o[4:]) for o in point.options if o.startswith("ckpt")), None),
                          adapter_precision="compute" if "bf16ad" in point.options else "fp32")


def estimate_gib(point: Point, constants=None, fused_loss: bool | None = None) -> float:
    from codemill.finetune.estimate import FITTED, GIB, estimate_memory

    return estimate_memory(geometry(point.size), finetune_settings(point), fused_loss=fused_loss,
                           constants=constants or FITTED).per_gpu / GIB


def measure(point: Point, work: Path, steps: int) -> dict:
    """Train the point for a few steps in its own process; its estimate and (on a GPU) peak reserved memory."""
    command = [sys.executable, str(THROUGHPUT), "--one", point.config_name(), "--size", point.size,
               "--seq-len", str(point.seq_len), "--rank", str(point.rank), "--steps", str(steps), "--warmup", "1",
               "--work", str(work / point.size)]
    done = subprocess.run(command, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        return {"failed": True, "error": (done.stdout + done.stderr)[-600:]}
    result = json.loads(lines[-1][len("RESULT "):])
    return {"estimate_gib": result["estimate_gib"], "measured_gib": result.get("peak_reserved_gib"),
            "device": result.get("device"), "tokens_per_s": result["tokens_per_s"]}


CONSTANT_FIELDS = ("allocator_overhead", "qlora_slack_per_token", "logits_bytes")


def _pack(constants) -> list[float]:
    return [getattr(constants, name) for name in CONSTANT_FIELDS] + [share for _, share in constants.live_share]


def _unpack(values, like):
    shares = tuple((key, value) for (key, _), value in zip(like.live_share, values[len(CONSTANT_FIELDS):]))
    return replace(like, **dict(zip(CONSTANT_FIELDS, values[:len(CONSTANT_FIELDS)])), live_share=shares)


def refit(measured: list[tuple[Point, float]], fused: dict[str, bool], start=None):
    """Constants that minimise the squared relative error on `measured` (the fit points only), from `start`."""
    from scipy.optimize import least_squares

    from codemill.finetune.estimate import FITTED

    start = start or FITTED

    def errors(values):
        constants = _unpack(values, start)
        return [estimate_gib(p, constants, fused[p.name]) / gib - 1 for p, gib in measured]

    x0 = _pack(start)
    bounds = ([1.0, 0.0, 0.0] + [0.0] * (len(x0) - 3), [2.0, 4 * x0[1] + 1, 4.0] + [1.5] * (len(x0) - 3))
    return _unpack(least_squares(errors, x0, bounds=bounds, x_scale="jac").x, start)


def report(rows: list[dict], refitted=None) -> list[str]:
    lines = ["| point | split | estimate GiB | measured GiB | error | error, refitted on this run's fit set |",
             "|---|---|---:|---:|---:|---:|"]
    for row in rows:
        measured = row.get("measured_gib")
        error = f"{row['estimate_gib'] / measured - 1:+.1%}" if measured else "–"
        again = f"{row['refit_estimate_gib'] / measured - 1:+.1%}" if measured and "refit_estimate_gib" in row else "–"
        measured_text = f"{measured:.2f}" if measured else ("FAILED" if row.get("failed") else "not measured")
        lines.append(f"| {row['name']} | {row['split']} | {row['estimate_gib']:.2f} | {measured_text} | {error} | {again} |")
    held = [abs(r["estimate_gib"] / r["measured_gib"] - 1) for r in rows if r["split"] == "held-out" and r.get("measured_gib")]
    if held:
        within = sum(e <= HELD_OUT_TARGET for e in held)
        lines.append(f"\nheld-out: {within}/{len(held)} within {HELD_OUT_TARGET:.0%} with the shipped constants "
                     f"(worst {max(held):.1%})")
    if refitted is not None:
        lines.append(f"refitted constants: {json.dumps(asdict(refitted))}")
    return lines


def select(points: str | None, split: str) -> list[Point]:
    chosen = [p for p in POINTS if split == "all" or p.split == split]
    if points:
        names = points.split(",")
        unknown = sorted(set(names) - {p.name for p in POINTS})
        if unknown:
            raise SystemExit(f"--points: unknown {', '.join(unknown)}; known: {', '.join(p.name for p in POINTS)}")
        chosen = [p for p in POINTS if p.name in names]
    return chosen


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["fit", "held-out", "all"], default="all")
    parser.add_argument("--points", help="comma-separated point names (default: every point of --split)")
    parser.add_argument("--size-map", choices=["none", "tiny"], default="none",
                        help="tiny: run the grid on CPU-sized models (plumbing check)")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--refit", action="store_true", help="refit the constants on this run's fit points")
    parser.add_argument("--work", default="/tmp/codemill-estimate-check")
    parser.add_argument("--out", help="write the rows as JSON here (rewritten after every point)")
    args = parser.parse_args(argv)
    from codemill.finetune.model_loading import liger_available

    rows = []
    for point in select(args.points, args.split):
        if args.size_map == "tiny":
            point = replace(point, size=TINY_SIZES[point.size], seq_len=max(point.seq_len // 8, 64))
        row = {**asdict(point), **measure(point, Path(args.work), args.steps)}
        row.setdefault("estimate_gib", round(estimate_gib(point), 2))
        row["fused_loss"] = "liger" in point.options and liger_available()
        rows.append(row)
        print(json.dumps(row), flush=True)
        if args.out:
            Path(args.out).write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    refitted = None
    fit_rows = [(Point(**{f.name: r[f.name] for f in fields(Point)}), r) for r in rows if r["split"] == "fit"]
    fit_points = [(point, r["measured_gib"]) for point, r in fit_rows if r.get("measured_gib")]
    if args.refit and len(fit_points) >= 3:
        fused = {r["name"]: r["fused_loss"] for r in rows}
        refitted = refit(fit_points, fused)
        for row in rows:
            point = Point(**{f.name: row[f.name] for f in fields(Point)})
            row["refit_estimate_gib"] = round(estimate_gib(point, refitted, row["fused_loss"]), 2)
    elif args.refit:
        print("--refit: fewer than 3 measured fit points in this run; nothing refitted", flush=True)
    print("\n".join(report(rows, refitted)))
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return rows


if __name__ == "__main__":
    main()
