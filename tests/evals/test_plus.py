"""HumanEval+ / MBPP+: expected outputs from the canonical solution in the sandbox, base and plus verdicts."""

import json

import pytest
from typer.testing import CliRunner

from codemill.cli import app
from codemill.evals.compare import compare_runs
from codemill.evals.runner import evaluate

HUMANEVAL_PLUS = [
    {"task_id": "HumanEval/0", "prompt": "def add(a, b):\n    \"\"\"Return a + b.\"\"\"\n", "entry_point": "add",
     "canonical_solution": "    return a + b\n", "base_input": [[1, 2], [3, 4]],
     "plus_input": [[10 ** 6, 1], [-5, 5], [0.1, 0.2]], "atol": 0},
    {"task_id": "HumanEval/1", "prompt": "def upto(n):\n    \"\"\"Return list(range(n)).\"\"\"\n", "entry_point": "upto",
     "canonical_solution": "    print('chatter')\n    return list(range(n))\n", "base_input": [[3]],
     "plus_input": [[3000], [0]], "atol": 0},
    {"task_id": "HumanEval/2", "prompt": "def third(x):\n    \"\"\"Return x / 3.\"\"\"\n", "entry_point": "third",
     "canonical_solution": "    return x / 3\n", "base_input": [[1.0]], "plus_input": [[2.0], [1e300]], "atol": 1e-9},
]
SAMPLES = {
    "HumanEval/0": ["    return a + b\n",  # right
                    "    return a + b if a < 1000 else 0\n"],  # passes the base inputs, fails a plus input
    "HumanEval/1": ["    return [i for i in range(n)]\n",  # right, 3000 numbers compared in full
                    "    while n > 5:\n        pass\n    return list(range(n))\n"],  # base ok, plus input hangs
    "HumanEval/2": ["    return x * (1 / 3)\n",  # within float tolerance
                    "    return round(x / 3, 2)\n"],  # fails the base input already
}


@pytest.fixture
def plus_file(tmp_path, monkeypatch):
    monkeypatch.setenv("CODEMILL_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "HumanEvalPlus.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in HUMANEVAL_PLUS))
    return path


def _samples(tmp_path):
    path = tmp_path / "samples.jsonl"
    path.write_text("".join(json.dumps({"task_id": task, "completion": c}) + "\n"
                            for task, completions in SAMPLES.items() for c in completions))
    return path


def test_a_sample_that_passes_the_base_tests_but_fails_a_plus_input_fails(plus_file, tmp_path):
    results = evaluate(tmp_path / "out", "humaneval+", samples_file=_samples(tmp_path), data_file=plus_file, workers=2)
    rows = {(r["task_id"], r["sample_index"]): r for r in map(json.loads, (tmp_path / "out" / "samples.jsonl").open())}
    assert rows[("HumanEval/0", 0)]["status"] == "pass"
    assert rows[("HumanEval/0", 1)]["status"] == "fail" and rows[("HumanEval/0", 1)]["base_passed"] is True
    assert "plus input 2" in rows[("HumanEval/0", 1)]["error"]
    assert rows[("HumanEval/1", 0)]["status"] == "pass"
    assert rows[("HumanEval/1", 1)]["status"] == "timeout" and rows[("HumanEval/1", 1)]["base_passed"] is True
    assert rows[("HumanEval/2", 0)]["status"] == "pass"
    assert rows[("HumanEval/2", 1)]["status"] == "fail" and rows[("HumanEval/2", 1)]["base_passed"] is False
    assert results["per_task"] == {t: {"passed": 1, "n": 2} for t in SAMPLES}
    assert results["base_per_task"] == {"HumanEval/0": {"passed": 2, "n": 2}, "HumanEval/1": {"passed": 2, "n": 2},
                                        "HumanEval/2": {"passed": 1, "n": 2}}
    assert results["pass_at_k"]["pass@1"] == pytest.approx(0.5)
    assert results["base_pass_at_k"]["pass@1"] == pytest.approx(5 / 6)
    assert results["settings"]["timeouts"]["reference_failures"] == {}
    assert results["settings"]["data"]["kind"] == "file" and len(results["settings"]["data"]["sha256"]) == 64


def test_expected_outputs_are_cached_per_file_digest_and_compare_shows_base_beside_plus(plus_file, tmp_path):
    evaluate(tmp_path / "a", "humaneval+", samples_file=_samples(tmp_path), data_file=plus_file, workers=2)
    cached = list((tmp_path / "cache" / "evalplus").glob("humanevalplus-*.json"))
    assert len(cached) == 1
    entry = json.loads(cached[0].read_text())["HumanEval/1"]
    assert entry["expected"][1] == repr(list(range(3000)))  # far more than one job's output, reassembled
    before = cached[0].stat().st_mtime_ns
    evaluate(tmp_path / "b", "humaneval+", samples_file=_samples(tmp_path), data_file=plus_file, workers=2)
    assert cached[0].stat().st_mtime_ns == before
    report = compare_runs([tmp_path / "a"], tmp_path / "cmp")
    (pair,) = report["base_vs_plus"]["humaneval+"].values()
    assert pair["base"]["pass@1"] == pytest.approx(5 / 6) and pair["plus"]["pass@1"] == pytest.approx(0.5)
    assert "humaneval vs humaneval+" in (tmp_path / "cmp" / "compare.md").read_text()


def test_cli_scores_humaneval_plus_from_a_data_file(plus_file, tmp_path):
    result = CliRunner().invoke(app, ["eval", "--benchmark", "humaneval+", "--data-file", str(plus_file),
                                      "--samples", str(_samples(tmp_path)), "-o", str(tmp_path / "o"),
                                      "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert "base tests pass@1 83.3%" in result.output and "base + plus tests pass@1 50.0%" in result.output


def test_report_shows_base_beside_plus(plus_file, tmp_path):
    from codemill.pipeline.report_eval import eval_section, plus_rows

    run_dir = tmp_path / "run"
    evaluate(run_dir / "eval" / "base" / "humaneval+", "humaneval+", samples_file=_samples(tmp_path),
             data_file=plus_file, workers=2)
    (row,) = plus_rows(run_dir, None)
    assert (row["base_name"], row["run"], row["base"], row["plus"], row["drop"]) == \
        ("humaneval", "base", "83.3", "50.0", "-33.3 pts")
    report = compare_runs([run_dir / "eval" / "base" / "humaneval+"], run_dir / "compare")
    assert eval_section(run_dir, report)["plus"][0]["plus"] == "50.0"


def test_mbpp_plus_records_with_code_and_test_list(tmp_path, monkeypatch):
    monkeypatch.setenv("CODEMILL_CACHE", str(tmp_path / "cache"))
    record = {"task_id": "Mbpp/2", "prompt": "Write a function to find the shared elements from the given two lists.",
              "code": "def similar_elements(a, b):\n    return tuple(sorted(set(a) & set(b)))\n",
              "test_list": ["assert similar_elements((3, 4, 5, 6), (5, 7, 4, 10)) == (4, 5)"],
              "base_input": [[[3, 4, 5, 6], [5, 7, 4, 10]]], "plus_input": [[[1, 2], [3]], [[], [1]]], "atol": 0}
    data = tmp_path / "MbppPlus.jsonl"
    data.write_text(json.dumps(record) + "\n")
    samples = tmp_path / "s.jsonl"
    samples.write_text("".join(json.dumps({"task_id": 2, "completion": c}) + "\n" for c in [
        "def similar_elements(a, b):\n    return tuple(x for x in sorted(a) if x in b)\n",
        "def similar_elements(a, b):\n    return tuple(sorted(set(a) & set(b))) or None\n"]))
    results = evaluate(tmp_path / "out", "mbpp+", samples_file=samples, data_file=data, workers=1)
    assert results["per_task"] == {"Mbpp/2": {"passed": 1, "n": 2}}
    assert results["base_per_task"] == {"Mbpp/2": {"passed": 2, "n": 2}}


def test_a_model_is_scored_on_humaneval_plus(plus_file, tiny_model_dir, tmp_path):
    results = evaluate(tmp_path / "out", "humaneval+", model=str(tiny_model_dir), data_file=plus_file,
                       max_new_tokens=8, prompt_format="completion", workers=1, k=[1])
    assert results["num_tasks"] == 3 and set(results["pass_at_k"]) == {"pass@1"}
    assert set(results["base_pass_at_k"]) == {"pass@1"}
    assert results["settings"]["generation"]["temperature"] == 0.0
    assert [rule["mode"] for rule in results["settings"]["postprocessing"]] == ["completion"]
