"""`codemill run`'s scoring stages: `run_eval` (one model on one benchmark), `run_compare` (the models side by side).

The scoring code is imported when a stage runs, so importing the package (`codemill --help`) stays light.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from codemill.common.summary import Summary
from codemill.recipe.eval import BenchmarkSpec, EvalConfig


def run_eval(config: EvalConfig, inputs: str, out_dir: Path, *, force: bool, benchmark: BenchmarkSpec,
             adapter: Path | None = None) -> Summary:
    """Score the model at `inputs` (a hub id or folder), with `adapter` on it if given, on `benchmark` into
    `out_dir`; resumes by model path unless `force`, which clears `out_dir` (the weights may have changed)."""
    from codemill.evals.runner import evaluate_from_config

    if force:
        shutil.rmtree(out_dir, ignore_errors=True)
    results = evaluate_from_config(config, benchmark, out_dir, model=str(inputs),
                                   adapter=str(adapter) if adapter is not None else None)
    counts = {"tasks": results.get("num_tasks", 0)} | dict(results.get("pass_at_k") or {})
    return Summary(counts=counts, outputs=[Path(out_dir)])


def run_compare(inputs: list[Path], out_dir: Path, *, force: bool) -> Summary:
    """Compare the eval folders `inputs` (the first of each benchmark is the baseline) into `out_dir`.

    Nothing resumes: the comparison is rewritten whole every time, so `force` changes nothing."""
    from codemill.evals.compare import compare_runs

    report = compare_runs(inputs, out_dir)
    counts = {"benchmarks": len(report["benchmarks"]), "fixed": len(report["fixed"]), "broken": len(report["broken"])}
    return Summary(counts=counts, outputs=[Path(out_dir)])
