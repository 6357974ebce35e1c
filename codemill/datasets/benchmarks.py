"""The benchmarks decontamination checks against, from `codemill.benchmarks`, with errors naming the recipe key."""

from __future__ import annotations

from codemill.benchmarks import Benchmark, BenchmarkError, Problem, load_benchmark


def load_benchmarks(config) -> list[Problem]:
    """Every problem of every split of the recipe's decontamination benchmarks (MBPP: all 974, not only test)."""
    return [problem for benchmark in load_benchmark_sets(config) for problem in benchmark.problems]


def load_benchmark_sets(config) -> list[Benchmark]:
    """The decontamination benchmarks, each with the `source` it was read from (file, package or Hub revision)."""
    paths = {"humaneval": config.humaneval_path, "mbpp": config.mbpp_path}
    benchmarks = []
    for name in config.benchmarks:
        path = paths[name]
        try:
            benchmarks.append(load_benchmark(name, path, all_splits=True))
        except BenchmarkError as error:
            key = f"data.decontamination.{name}_path"
            if path:
                raise ValueError(f"{key} ({path}): cannot load benchmark: {error}") from None
            raise ValueError(f"data.decontamination: cannot load {name}: {error}; set {key} to a local copy, "
                             "or drop it from data.decontamination.benchmarks") from None
    return benchmarks
