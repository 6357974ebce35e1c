"""The `codemill eval` and `codemill compare` commands (registered in codemill/cli.py)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from codemill.common.console import console, fail
from codemill.common.lock import folder_lock
from codemill.recipe.eval import EvalConfig

DEFAULTS = EvalConfig()  # the recipe's `eval` defaults are the command's defaults


def eval_command(
    out_dir: Path = typer.Option(..., "-o", "--out", help="Output folder (samples.jsonl, results.json)."),
    benchmark: str = typer.Option("humaneval", "--benchmark", "-b",
                                  help="humaneval, mbpp, humaneval+, mbpp+ or custom."),
    model: Optional[str] = typer.Option(None, "--model", help="Hub id or local path of a causal LM."),
    adapter: Optional[Path] = typer.Option(None, "--adapter", help="A peft adapter folder to load on top."),
    samples: Optional[Path] = typer.Option(None, "--samples", help="Score a JSONL of completions made elsewhere."),
    data_file: Optional[Path] = typer.Option(None, "--data-file", help="Local benchmark file instead of the Hub."),
    hub_config: Optional[str] = typer.Option(None, "--config", help="Hub dataset config (mbpp: full or sanitized)."),
    revision: Optional[str] = typer.Option(None, "--revision", help="Hub revision to pin (branch, tag or commit)."),
    postprocess: str = typer.Option("none", "--postprocess",
                                    help="With --samples: treat completions as raw chat or completion output, "
                                         "or run them as given (none)."),
    k: Optional[List[int]] = typer.Option(None, "--k", min=1, help="pass@k to report (repeat); default 1, 5, 10."),
    n_samples: int = typer.Option(DEFAULTS.n_samples, "--n-samples", min=1),
    temperature: float = typer.Option(DEFAULTS.temperature, "--temperature", min=0.0),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Only the first K problems."),
    max_new_tokens: int = typer.Option(DEFAULTS.max_new_tokens, "--max-new-tokens", min=1),
    batch_size: int = typer.Option(DEFAULTS.batch_size, "--batch-size", min=1),
    prompt_format: str = typer.Option(DEFAULTS.prompt_format, "--prompt-format", help="auto, completion or chat."),
    backend: str = typer.Option(DEFAULTS.backend, "--backend", help="auto, transformers or vllm."),
    workers: Optional[int] = typer.Option(DEFAULTS.sandbox.workers, "--workers", min=1,
                                          help="Sandbox workers (default: cores)."),
    seed: int = typer.Option(DEFAULTS.seed, "--seed"),
    sandbox: str = typer.Option(DEFAULTS.sandbox.backend, "--sandbox",
                                help="Isolation backend: auto (refuses to run samples when neither bwrap nor "
                                     "unshare can contain them), bwrap, unshare, or none (unprotected)."),
) -> None:
    """Generate (or read) completions, run them in the sandbox and score pass@k."""
    from codemill.benchmarks import BENCHMARKS, BenchmarkError
    from codemill.common.logs import library_logs
    from codemill.evals.runner import evaluate
    from codemill.sandbox import SandboxUnavailable

    if (model is None) == (samples is None):
        raise fail("give exactly one of --model or --samples")
    if benchmark not in BENCHMARKS:
        raise fail(f"--benchmark must be one of {', '.join(BENCHMARKS)}, got {benchmark!r}")
    if benchmark == "custom" and data_file is None:
        raise fail("--benchmark custom needs --data-file (a JSONL of task_id, prompt, tests; see docs/evals.md)")
    if postprocess not in ("chat", "completion", "none"):
        raise fail(f"--postprocess must be chat, completion or none, got {postprocess!r}")
    if postprocess != "none" and samples is None:
        raise fail("--postprocess applies to --samples only (generated output is post-processed by its prompt format)")
    if k and model is not None and max(k) > n_samples:
        raise fail(f"--k {max(k)} is more than --n-samples {n_samples}; pass@k needs k <= n")
    if sandbox not in ("auto", "bwrap", "unshare", "none"):
        raise fail(f"--sandbox must be auto, bwrap, unshare or none, got {sandbox!r}")
    if prompt_format not in ("auto", "completion", "chat") or backend not in ("auto", "transformers", "vllm"):
        raise fail("--prompt-format must be auto|completion|chat and --backend auto|transformers|vllm")
    for name, path in (("--samples", samples), ("--data-file", data_file), ("--adapter", adapter)):
        if path is not None and not path.exists():
            raise fail(f"{name}: {path} does not exist")
    try:
        with folder_lock(out_dir), library_logs(out_dir / "eval.log"):
            results = evaluate(out_dir, benchmark, model=model, adapter=str(adapter) if adapter else None,
                               samples_file=samples, data_file=data_file, limit=limit, n_samples=n_samples,
                               temperature=temperature, max_new_tokens=max_new_tokens, batch_size=batch_size,
                               prompt_format=prompt_format, backend=backend, seed=seed, workers=workers,
                               sandbox=sandbox, postprocess_samples=postprocess, k=k, hub_config=hub_config,
                               revision=revision)
    except (BenchmarkError, SandboxUnavailable) as error:
        raise fail(str(error)) from None
    scores = ", ".join(f"{k} {100 * v:.1f}%" for k, v in results["pass_at_k"].items())
    if "base_pass_at_k" in results:
        base = ", ".join(f"{k} {100 * v:.1f}%" for k, v in results["base_pass_at_k"].items())
        scores = f"base tests {base}; base + plus tests {scores}"
    console.print(f"{benchmark}: {results['num_tasks']} tasks, {scores}; {results['status_counts']} -> {out_dir}")


def compare_command(
    run_dirs: List[Path] = typer.Argument(..., help="Eval output folders; the first of each benchmark is the baseline."),
    out_dir: Path = typer.Option(Path("compare"), "-o", "--out", help="Folder for compare.md/json/png."),
) -> None:
    """pass@k side by side with 95% bootstrap CIs, a paired test, fixed/broken problems and a chart."""
    from codemill.evals.compare import compare_runs
    from codemill.benchmarks import BenchmarkError

    try:
        with folder_lock(out_dir):
            compare_runs(run_dirs, out_dir)
    except BenchmarkError as error:
        raise fail(str(error)) from None
    typer.echo((out_dir / "compare.md").read_text(encoding="utf-8"))
