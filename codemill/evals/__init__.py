"""Stage 4: generate, execute in a sandbox, score pass@k, and compare runs.

The face holds the stage entry points; `evaluate` / `evaluate_from_config` (`codemill.evals.runner`) and
`compare_runs` (`codemill.evals.compare`) are imported from their modules.
"""

from codemill.evals.stage import run_compare, run_eval

__all__ = ["run_compare", "run_eval"]
