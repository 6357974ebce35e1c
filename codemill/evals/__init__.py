"""Stage 4: generate, execute in a sandbox, score pass@k, and compare runs."""

from codemill.evals.compare import compare_runs
from codemill.evals.runner import evaluate, evaluate_from_config
from codemill.evals.stage import run_compare, run_eval

__all__ = ["compare_runs", "evaluate", "evaluate_from_config", "run_compare", "run_eval"]
