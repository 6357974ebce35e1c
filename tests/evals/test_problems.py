"""Benchmark loading from local files, with errors that name the file and record."""

import json

import pytest

from codemill.evals.problems import EvalDataError, load_problems, mbpp_task_id


def test_loads_humaneval_and_mbpp_test_split(shared_data):
    humaneval = load_problems("humaneval", shared_data / "evals" / "HumanEval.jsonl.gz")
    assert len(humaneval) == 164 and humaneval[0].task_id == "HumanEval/0"
    mbpp = load_problems("mbpp", shared_data / "evals" / "mbpp.jsonl")
    assert len(mbpp) == 500 and {p.task_id for p in mbpp} == {f"Mbpp/{i}" for i in range(11, 511)}
    sanitized = load_problems("mbpp", shared_data / "evals" / "sanitized-mbpp.json", limit=5)
    assert len(sanitized) == 5 and sanitized[0].task_id == "Mbpp/11"


def test_program_joins_prompt_completion_and_tests():
    record = {"task_id": "T/0", "prompt": "def f():\n", "entry_point": "f", "canonical_solution": "    return 1\n",
              "test": "def check(c):\n    assert c() == 1\n"}
    from codemill.evals.problems import humaneval_problem

    program = humaneval_problem(record).program("    return 1\n")
    assert program.startswith("def f():\n    return 1\n") and program.rstrip().endswith("check(f)")


def test_bad_line_is_reported_with_its_number(tmp_path):
    path = tmp_path / "he.jsonl"
    path.write_text(json.dumps({"task_id": "x"}) + "\n{not json\n")
    with pytest.raises(EvalDataError, match=r"he.jsonl: line 2: invalid JSON"):
        load_problems("humaneval", path)


def test_record_missing_fields_is_reported(tmp_path):
    path = tmp_path / "he.jsonl"
    path.write_text(json.dumps({"task_id": "x", "prompt": "p"}) + "\n")
    with pytest.raises(EvalDataError, match=r"record 1: not a humaneval problem, missing entry_point"):
        load_problems("humaneval", path)


def test_mbpp_ids_are_normalised():
    assert mbpp_task_id(11) == mbpp_task_id("11") == mbpp_task_id("Mbpp/11") == "Mbpp/11"
