"""Load HumanEval and MBPP for decontamination: from local files when the recipe names them, else the hub."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BenchmarkTask:
    """One benchmark problem as the texts a training record must not contain."""

    benchmark: str
    task_id: str
    prompt: str
    solution: str
    tests: list[str]

    @property
    def code(self) -> str:
        """The reference function as it would appear in the wild: HumanEval's signature line + body."""
        if self.benchmark != "humaneval":
            return self.solution
        signatures = [line for line in self.prompt.splitlines() if line.lstrip().startswith("def ")]
        return (signatures[-1] + "\n" + self.solution) if signatures else self.solution

    @property
    def pieces(self) -> list[str]:
        return list(dict.fromkeys([self.prompt, self.solution, self.code, *self.tests]))


def _read_json_records(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        text = handle.read()
    if text.lstrip().startswith("["):
        return json.loads(text)
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _humaneval_task(record: dict) -> BenchmarkTask:
    return BenchmarkTask("humaneval", str(record["task_id"]), record["prompt"], record["canonical_solution"], [record["test"]])


def _mbpp_task(record: dict) -> BenchmarkTask:
    prompt = record.get("text") or record.get("prompt") or ""
    return BenchmarkTask("mbpp", f"mbpp/{record['task_id']}", prompt, record["code"], list(record.get("test_list") or []))


def load_humaneval(path: Path | None) -> list[BenchmarkTask]:
    """HumanEval's 164 problems from `path`, or from the hub's `openai_humaneval`."""
    if path is not None:
        return [_humaneval_task(r) for r in _read_json_records(Path(path))]
    from datasets import load_dataset

    return [_humaneval_task(r) for r in load_dataset("openai_humaneval", split="test")]


def load_mbpp(path: Path | None) -> list[BenchmarkTask]:
    """MBPP (full or sanitized) from `path`, or every split of the hub's `mbpp`."""
    if path is not None:
        return [_mbpp_task(r) for r in _read_json_records(Path(path))]
    from datasets import load_dataset

    splits = load_dataset("mbpp")
    return [_mbpp_task(r) for split in splits.values() for r in split]


def load_benchmarks(config) -> list[BenchmarkTask]:
    """The recipe's decontamination benchmarks; a missing or broken file names the recipe key."""
    loaders = {"humaneval": (load_humaneval, config.humaneval_path), "mbpp": (load_mbpp, config.mbpp_path)}
    tasks = []
    for name in config.benchmarks:
        loader, path = loaders[name]
        try:
            tasks += loader(path)
        except (OSError, KeyError, json.JSONDecodeError, TypeError) as error:
            if path:
                raise ValueError(f"data.decontamination.{name}_path ({path}): cannot load benchmark: {error!r}") from None
            raise ValueError(
                f"data.decontamination: cannot load {name} from the Hugging Face hub ({error!r}); set"
                f" data.decontamination.{name}_path to a local copy, or drop it from data.decontamination.benchmarks"
            ) from None
    return tasks
