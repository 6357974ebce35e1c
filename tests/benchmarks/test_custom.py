"""A user's own benchmark: JSONL validated up front (line + field), asserts or input/output pairs, then scored."""

import json

import pytest

from codemill.benchmarks import BenchmarkError, load_benchmark
from codemill.evals.runner import evaluate

GOOD = [
    {"task_id": "mine/square", "prompt": "def square(x):\n    \"\"\"Return x squared.\"\"\"\n",
     "tests": ["assert square(3) == 9", "assert square(-2) == 4"], "canonical_solution": "    return x * x\n"},
    {"task_id": "mine/pair", "prompt": "Write a function `pair(a, b)` returning the tuple (a, b).",
     "entry_point": "pair", "tests": [{"input": [1, 2], "output": [1, 2]}, {"input": ["x", 0.5], "output": ["x", 0.5]}]},
    {"task_id": "mine/mean", "prompt": "def mean(xs):\n", "entry_point": "mean", "language": "python",
     "tests": [{"input": [[1, 2]], "output": 1.5}, {"input": [[0.1, 0.2]], "output": 0.15}]},
]


def _write(path, records):
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


@pytest.mark.parametrize("record, message", [
    ({"prompt": "def f():\n", "tests": "assert f()"}, r"line 2: task_id: is required"),
    ({"task_id": "x", "prompt": "def f():\n"}, r"line 2: tests: must be assert code"),
    ({"task_id": "x", "prompt": "p", "tests": [{"input": [1], "output": 1}]}, r"line 2: entry_point: is required"),
    ({"task_id": "x", "prompt": "p", "entry_point": "f", "tests": [{"input": 1, "output": 1}]},
     r"line 2: tests\[0\].input: must be the list of arguments"),
    ({"task_id": "x", "prompt": "p", "tests": "assert f(", "language": "python"}, r"line 2: tests: is not valid Python"),
    ({"task_id": "x", "prompt": "p", "tests": "assert f()", "language": "rust"}, r"line 2: language: 'rust' is not"),
    ({"task_id": "x", "prompt": "p", "tests": "assert f()", "timeout": 3}, r"line 2: timeout: unknown field"),
    ({"task_id": "mine/square", "prompt": "p", "tests": "assert f()"}, r"line 2: task_id: 'mine/square' repeats line 1"),
])
def test_bad_records_name_the_line_and_field(tmp_path, record, message):
    path = _write(tmp_path / "mine.jsonl", [GOOD[0], record])
    with pytest.raises(BenchmarkError, match=message):
        load_benchmark("custom", path)


def test_custom_needs_a_data_file_in_the_recipe_too():
    from pydantic import ValidationError

    from codemill.recipe.eval import BenchmarkSpec

    with pytest.raises(ValidationError, match="custom needs data_file"):
        BenchmarkSpec(name="custom")


def test_custom_benchmark_scores_asserts_and_input_output_pairs(tmp_path):
    data = _write(tmp_path / "mine.jsonl", GOOD)
    problems = load_benchmark("custom", data).problems
    assert problems[1].prompt.startswith('"""') and "Name the function `pair`" in problems[1].instruction
    samples = _write(tmp_path / "samples.jsonl", [
        {"task_id": "mine/square", "completion": "    return x * x\n"},
        {"task_id": "mine/square", "completion": "    return x + x\n"},
        {"task_id": "mine/pair", "completion": "def pair(a, b):\n    return (a, b)\n"},
        {"task_id": "mine/mean", "completion": "    return sum(xs) / len(xs)\n"},
        {"task_id": "mine/mean", "completion": "    return sum(xs) // len(xs)\n"}])
    results = evaluate(tmp_path / "out", "custom", samples_file=samples, data_file=data, workers=1)
    assert results["per_task"] == {"mine/square": {"passed": 1, "n": 2}, "mine/pair": {"passed": 1, "n": 1},
                                   "mine/mean": {"passed": 1, "n": 2}}
    assert results["settings"]["timeouts"]["per_task"]["mine/pair"]["reference_status"] == "none"
