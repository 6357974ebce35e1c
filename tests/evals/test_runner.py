"""End to end on the real benchmarks: reference solutions pass, scoring of external samples, resume."""

import gzip
import json

import pytest

from codemill.evals.calibrate import calibrate, reference_failures
from codemill.benchmarks import BenchmarkError, load_benchmark
from codemill.evals.runner import evaluate
from codemill.sandbox import SandboxPool


def _humaneval_records(shared_data):
    with gzip.open(shared_data / "evals" / "HumanEval.jsonl.gz", "rt") as handle:
        return [json.loads(line) for line in handle]


def _write(path, records):
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


def test_humaneval_canonical_solutions_pass_164_of_164(shared_data, tmp_path):
    records = _humaneval_records(shared_data)
    samples = _write(tmp_path / "canonical.jsonl",
                     [{"task_id": r["task_id"], "completion": r["canonical_solution"]} for r in records])
    results = evaluate(tmp_path / "out", "humaneval", samples_file=samples,
                       data_file=shared_data / "evals" / "HumanEval.jsonl.gz")
    assert results["status_counts"]["pass"] == 164, results["status_counts"]
    assert results["pass_at_k"] == {"pass@1": 1.0}
    assert results["settings"]["timeouts"]["reference_failures"] == {}
    assert results["settings"]["sandbox"]["backend"] in ("bwrap", "unshare", "none")


def test_mbpp_reference_solutions_pass_in_the_calibration_run(shared_data):
    problems = load_benchmark("mbpp", shared_data / "evals" / "mbpp.jsonl").problems
    with SandboxPool(2) as pool:
        calibration = calibrate(problems, pool, base_s=3.0, factor=10.0)
    assert len(calibration) == 500
    assert reference_failures(calibration) == {}
    assert all(entry["timeout_s"] >= max(3.0, 10 * entry["reference_s"]) - 1e-3 for entry in calibration.values())


def test_wrong_samples_fail_and_a_rerun_executes_only_what_is_missing(shared_data, tmp_path):
    records = _humaneval_records(shared_data)[:6]
    wrong = [{"task_id": r["task_id"], "completion": "    return None\n"} for r in records[:3]]
    right = [{"task_id": r["task_id"], "completion": r["canonical_solution"]} for r in records]
    samples = _write(tmp_path / "mixed.jsonl", wrong + right)
    out = tmp_path / "out"
    data = shared_data / "evals" / "HumanEval.jsonl.gz"
    first = evaluate(out, "humaneval", samples_file=samples, data_file=data, limit=6)
    assert first["per_task"]["HumanEval/0"] == {"passed": 1, "n": 2}
    assert first["per_task"]["HumanEval/5"] == {"passed": 1, "n": 1}
    manifest = out / "execution.manifest.jsonl"
    executed = manifest.read_text().splitlines()
    manifest.write_text("\n".join(executed[:-2]) + "\n")  # as if the job died before its last two samples
    second = evaluate(out, "humaneval", samples_file=samples, data_file=data, limit=6)
    assert len(manifest.read_text().splitlines()) == len(executed)
    assert second["per_task"] == first["per_task"]


def test_samples_file_errors_name_the_line(shared_data, tmp_path):
    samples = _write(tmp_path / "bad.jsonl", [{"task_id": "HumanEval/0"}])
    with pytest.raises(BenchmarkError, match=r"bad.jsonl: line 1: needs task_id and completion or solution"):
        evaluate(tmp_path / "out", "humaneval", samples_file=samples,
                 data_file=shared_data / "evals" / "HumanEval.jsonl.gz")


def test_samples_file_account_and_settings_record_what_really_happened(tiny_problem_file, tmp_path):
    chat = "Sure:\n```bash\necho hi\n```\nThe code:\n```python\ndef add(a, b):\n    return a + b\n```\n"
    samples = _write(tmp_path / "chat.jsonl", [
        {"task_id": "Tiny/0", "completion": chat}, {"task_id": "Tiny/0", "completion": chat},
        {"task_id": "Tiny/1", "completion": "```python\ndef neg(x):\n    return -x\n```"},
        {"task_id": "Tiny/1", "completion": None},
        {"task_id": "Elsewhere/7", "completion": "    return 0\n"}])
    results = evaluate(tmp_path / "out", "humaneval", samples_file=samples, data_file=tiny_problem_file,
                       postprocess_samples="chat", workers=1)
    assert results["per_task"] == {"Tiny/0": {"passed": 2, "n": 2}, "Tiny/1": {"passed": 1, "n": 1}}
    account = results["settings"]["samples_input"]
    assert account == {"records": 5, "used": 3, "unknown_task_ids": 1, "unknown_examples": ["Elsewhere/7"],
                       "null_completions": 1}
    assert results["n_samples"] == {"min": 1, "max": 2}
    assert results["settings"]["generation"] is None
    assert [rule["mode"] for rule in results["settings"]["postprocessing"]] == ["chat"]
    raw = evaluate(tmp_path / "raw", "humaneval", samples_file=samples, data_file=tiny_problem_file, workers=1)
    assert raw["per_task"]["Tiny/0"]["passed"] == 0  # without --postprocess chat the prose is executed as is
    assert [rule["mode"] for rule in raw["settings"]["postprocessing"]] == ["none"]


def test_eval_k_chooses_the_reported_k(tiny_problem_file, tmp_path):
    samples = _write(tmp_path / "s.jsonl", [{"task_id": "Tiny/0", "completion": c}
                                            for c in ["    return a + b\n", "    return 0\n", "    return 1\n"]])
    results = evaluate(tmp_path / "out", "humaneval", samples_file=samples, data_file=tiny_problem_file,
                       k=[2, 3], workers=1)
    assert set(results["pass_at_k"]) == {"pass@2", "pass@3"} and results["pass_at_k"]["pass@3"] == 1.0
    assert results["settings"]["k"] == [2, 3]
