"""Benchmark problems (HumanEval, MBPP) from the hub or a local file, as one plain record type."""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

MBPP_TEST_IDS = range(11, 511)


class EvalDataError(ValueError):
    """A benchmark or samples file that cannot be used; the message names the file and record."""


@dataclass(frozen=True)
class Problem:
    benchmark: str
    task_id: str
    prompt: str  # what a completion model continues (HumanEval: signature + docstring; MBPP: a docstring)
    instruction: str  # what a chat model is asked
    reference: str  # the reference solution, as text that follows `prompt`
    test: str  # test code appended after the solution; it raises on failure

    def program(self, completion: str) -> str:
        """The program the sandbox runs: prompt + completion, then the tests."""
        return f"{self.prompt}{completion}\n\n{self.test}\n"

    def full_solution_program(self, solution: str) -> str:
        return f"{solution}\n\n{self.test}\n"


def mbpp_task_id(raw) -> str:
    """`11`, `"11"` and `"Mbpp/11"` all name the same MBPP task."""
    text = str(raw)
    return text if text.startswith("Mbpp/") else f"Mbpp/{int(text)}"


def humaneval_problem(record: dict) -> Problem:
    test = f"{record['test']}\n\ncheck({record['entry_point']})"
    instruction = ("Complete the following Python function. Reply with the whole function in one "
                   f"```python code block.\n\n```python\n{record['prompt']}```")
    return Problem("humaneval", record["task_id"], record["prompt"], instruction,
                   record["canonical_solution"], test)


def mbpp_problem(record: dict) -> Problem:
    text = record.get("text") or record.get("prompt") or ""
    tests = list(record["test_list"])
    setup = record.get("test_setup_code") or "\n".join(record.get("test_imports") or [])
    prompt = f'"""\n{text}\n{tests[0]}\n"""\n'
    instruction = (f"{text}\nYour code should pass this test:\n{tests[0]}\n"
                   "Reply with the complete Python code in one ```python code block.")
    test = "\n".join([setup, *tests]).strip()
    return Problem("mbpp", mbpp_task_id(record["task_id"]), prompt, instruction, record["code"], test)


def _read_records(path: Path) -> list[dict]:
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8") as handle:
            text = handle.read()
    except OSError as error:
        raise EvalDataError(f"{path}: cannot read: {error}") from None
    if text.lstrip().startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise EvalDataError(f"{path}: invalid JSON: {error}") from None
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as error:
                raise EvalDataError(f"{path}: line {number}: invalid JSON: {error}") from None
    return records


REQUIRED = {"humaneval": ("task_id", "prompt", "entry_point", "canonical_solution", "test"),
            "mbpp": ("task_id", "code", "test_list")}


def _build(benchmark: str, records: list[dict], source: str) -> list[Problem]:
    build = humaneval_problem if benchmark == "humaneval" else mbpp_problem
    problems = []
    for number, record in enumerate(records, start=1):
        missing = [key for key in REQUIRED[benchmark] if key not in record]
        if missing:
            raise EvalDataError(f"{source}: record {number}: not a {benchmark} problem, missing {', '.join(missing)}")
        problems.append(build(record))
    return problems


def _hub_records(benchmark: str) -> list[dict]:
    from datasets import load_dataset

    if benchmark == "humaneval":
        return [dict(row) for row in load_dataset("openai_humaneval", split="test")]
    return [dict(row) for row in load_dataset("mbpp", split="test")]


def load_problems(benchmark: str, data_file: str | Path | None = None, limit: int | None = None) -> list[Problem]:
    """HumanEval (164) or the MBPP test split (task ids 11-510) from `data_file` or the hub."""
    if benchmark not in REQUIRED:
        raise EvalDataError(f"unknown benchmark {benchmark!r}; expected humaneval or mbpp")
    source = str(data_file) if data_file else f"hub:{benchmark}"
    records = _read_records(Path(data_file)) if data_file else _hub_records(benchmark)
    problems = _build(benchmark, records, source)
    if benchmark == "mbpp":
        test_split = [p for p in problems if int(p.task_id.split("/")[1]) in MBPP_TEST_IDS]
        problems = test_split or problems  # a custom file without test-split ids is used whole
    if not problems:
        raise EvalDataError(f"{source}: no problems found")
    return problems[:limit] if limit else problems


def problems_fingerprint(problems: list[Problem]) -> str:
    digest = hashlib.sha256()
    for problem in problems:
        digest.update(json.dumps([problem.task_id, problem.prompt, problem.reference, problem.test]).encode())
    return digest.hexdigest()[:16]
