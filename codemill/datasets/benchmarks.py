"""The benchmarks decontamination checks against, from `codemill.benchmarks`, with errors naming the recipe key."""

from __future__ import annotations

from codemill.benchmarks import BenchmarkError, Problem, load_benchmark


def load_benchmarks(config) -> list[Problem]:
    """Every problem of every split of the recipe's decontamination benchmarks (MBPP: all 974, not only test)."""
    paths = {"humaneval": config.humaneval_path, "mbpp": config.mbpp_path}
    problems = []
    for name in config.benchmarks:
        path = paths[name]
        try:
            problems += load_benchmark(name, path, all_splits=True).problems
        except BenchmarkError as error:
            key = f"data.decontamination.{name}_path"
            if path:
                raise ValueError(f"{key} ({path}): cannot load benchmark: {error}") from None
            raise ValueError(f"data.decontamination: cannot load {name}: {error}; set {key} to a local copy, "
                             "or drop it from data.decontamination.benchmarks") from None
    return problems
