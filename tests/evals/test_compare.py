"""compare_runs: CIs, the exact McNemar test on hand-worked counts, fixed/broken lists and the outputs."""

import json

import pytest

from codemill.evals.compare import bootstrap_ci, compare_runs, mcnemar_exact
from codemill.benchmarks import BenchmarkError


def _run(folder, model, outcomes, adapter=None, benchmark="humaneval"):
    folder.mkdir(parents=True)
    per_task = {task: {"passed": int(ok), "n": 1} for task, ok in outcomes.items()}
    (folder / "results.json").write_text(json.dumps({"benchmark": benchmark, "model": model, "adapter": adapter,
                                                     "per_task": per_task, "settings": {}}))
    return folder


@pytest.mark.parametrize(("broken", "fixed", "expected"), [
    (0, 5, 2 / 32),  # all 5 discordant pairs one way: 2 * (1/2)^5
    (1, 4, 2 * 6 / 32),  # 2 * (C(5,0) + C(5,1)) / 2^5
    (3, 3, 1.0),
    (0, 0, 1.0),
])
def test_exact_mcnemar_matches_hand_worked_values(broken, fixed, expected):
    assert mcnemar_exact(broken, fixed) == pytest.approx(expected)


def test_bootstrap_interval_brackets_the_mean():
    values = [1.0] * 30 + [0.0] * 70
    low, high = bootstrap_ci(values)
    assert low < 0.3 < high and 0.15 < low and high < 0.45
    assert bootstrap_ci([1.0, 1.0]) == [1.0, 1.0]


def test_compare_lists_fixed_and_broken_and_writes_all_outputs(tmp_path):
    tasks = [f"HumanEval/{i}" for i in range(10)]
    base = _run(tmp_path / "base", "m", {t: i < 3 for i, t in enumerate(tasks)})
    tuned = _run(tmp_path / "tuned", "m", {t: 1 <= i < 8 for i, t in enumerate(tasks)}, adapter="lora")
    report = compare_runs([base, tuned], tmp_path / "cmp")
    assert report["fixed"] == ["HumanEval/3", "HumanEval/4", "HumanEval/5", "HumanEval/6", "HumanEval/7"]
    assert report["broken"] == ["HumanEval/0"]
    test = report["paired_test"]["humaneval"][0]
    assert test["p_value"] == pytest.approx(2 * (1 + 6) / 64)  # broken 1, fixed 5: 2 * (C(6,0) + C(6,1)) / 2^6
    assert test["diff_pass@1"] == pytest.approx(0.4)
    row = report["benchmarks"]["humaneval"]["m + lora"]
    assert row["pass@1"] == pytest.approx(0.7) and row["ci95"][0] <= 0.7 <= row["ci95"][1]
    for name in ("compare.json", "compare.md", "compare.png"):
        assert (tmp_path / "cmp" / name).stat().st_size > 0
    assert (tmp_path / "cmp" / "compare.png").read_bytes()[:4] == b"\x89PNG"
    assert "HumanEval/0" in (tmp_path / "cmp" / "compare.md").read_text()


def test_several_benchmarks_per_model_are_grouped(tmp_path):
    runs = [_run(tmp_path / "b-he", "m", {"HumanEval/0": True}),
            _run(tmp_path / "b-mbpp", "m", {"Mbpp/11": False}, benchmark="mbpp"),
            _run(tmp_path / "t-he", "m", {"HumanEval/0": True}, adapter="a"),
            _run(tmp_path / "t-mbpp", "m", {"Mbpp/11": True}, adapter="a", benchmark="mbpp")]
    report = compare_runs(runs, tmp_path / "cmp")
    assert set(report["benchmarks"]) == {"humaneval", "mbpp"}
    assert report["fixed"] == ["Mbpp/11"] and report["broken"] == []


def test_a_folder_without_results_is_a_clear_error(tmp_path):
    with pytest.raises(BenchmarkError, match="not an eval output folder"):
        compare_runs([tmp_path], tmp_path / "cmp")


def test_two_runs_of_the_same_system_get_distinct_labels(tmp_path):
    first = _run(tmp_path / "seed0", "m", {"HumanEval/0": True})
    second = _run(tmp_path / "seed1", "m", {"HumanEval/0": False})
    report = compare_runs([first, second], tmp_path / "cmp")
    assert len(report["benchmarks"]["humaneval"]) == 2
    assert report["broken"] == ["HumanEval/0"]
