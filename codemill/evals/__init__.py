"""Stage 4: generate, execute in a sandbox, score pass@k, and compare runs."""

from __future__ import annotations


def evaluate(*args, **kwargs) -> dict:
    """See `codemill.evals.runner.evaluate` (imported lazily: torch is only needed for generation)."""
    from codemill.evals.runner import evaluate as run

    return run(*args, **kwargs)


def compare_runs(run_dirs, out_dir) -> dict:
    """See `codemill.evals.compare.compare_runs`."""
    from codemill.evals.compare import compare_runs as run

    return run(run_dirs, out_dir)


__all__ = ["compare_runs", "evaluate"]
