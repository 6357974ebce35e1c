"""Build a run folder by hand, following docs/architecture.md, for the report tests.

The generated code and the dataset card carry markup and script payloads: the report must show
them as text.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

SCRIPT_PAYLOAD = '</code></pre><script>window.__injected = 1; alert("code")</script>'
IMG_PAYLOAD = '<img src="x" onerror="window.__injected = 2">'
FIXED, BROKEN = "HumanEval/1", "HumanEval/2"
TASKS = [f"HumanEval/{index}" for index in range(6)]


def _jsonl(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")


def _json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2), encoding="utf-8")


def _records(split: str, count: int) -> pa.Table:
    rows = []
    for index in range(count):
        question = f"How do I reverse a list in Python without copying it? ({split} {index})"
        answer = f"Call `items.reverse()`; it works in place.\n\n```python\nitems = [1, 2, 3]\nitems.reverse()\n```"
        rows.append({
            "id": f"cardano-{split}-{index}",
            "source": "cardano",
            "group": f"thread-{index}",
            "metadata": json.dumps({"license": "CC BY-SA 4.0", "url": f"https://example.org/q/{index}"}),
            "messages": [{"role": "user", "content": question}, {"role": "assistant", "content": answer}],
        })
    return pa.Table.from_pylist(rows)


def write_dataset(run: Path) -> None:
    folder = run / "dataset"
    (folder / "data").mkdir(parents=True)
    pq.write_table(_records("train", 12), folder / "data" / "train-00000-of-00001.parquet")
    pq.write_table(_records("validation", 2), folder / "data" / "validation-00000-of-00001.parquet")
    _json(folder / "stats.json", {
        "read": {"in": 1200, "out": 1200, "dropped": 0},
        "quality": {"in": 1200, "out": 1010, "dropped": 190},
        "dedup": {"in": 1010, "out": 960, "dropped": 50},
        "decontaminate": {"in": 960, "out": 957, "dropped": 3},
        "tokens": {"train": 412345, "validation": 20480},
    })
    _jsonl(folder / "drops" / "quality.jsonl", [
        {"id": f"cardano-{i}", "reason": "too short", "text": f"thanks! {IMG_PAYLOAD}"} for i in range(5)])
    _jsonl(folder / "drops" / "dedup.jsonl", [{"id": "py4e-7", "reason": "near duplicate of py4e-3", "text": "A list is a sequence."}])
    _jsonl(folder / "decontamination.jsonl", [{"id": "se-9", "task_id": "HumanEval/3", "ngram": "def below_zero"}])
    (folder / "README.md").write_text(
        "---\nlicense: cc-by-sa-4.0\npretty_name: demo\n---\n# Demo dataset\n\n"
        "| split | records |\n|---|---|\n| train | 12 |\n\n"
        f"Raw HTML stays text: {IMG_PAYLOAD}\n\n[a link](javascript:alert(1)) and ![remote](https://example.org/x.png)\n",
        encoding="utf-8")


def write_training(run: Path) -> None:
    rows = [{"loss": 3.0 - 0.07 * step, "grad_norm": 1.1, "learning_rate": 2e-4, "epoch": step / 30, "step": step}
            for step in range(1, 31)]
    rows[10:10] = [{"eval_loss": 2.6, "epoch": 0.33, "step": 10}]
    rows[21:21] = [{"eval_loss": 2.2, "epoch": 0.66, "step": 20}]
    rows.append({"train_runtime": 41.5, "train_loss": 1.95, "epoch": 1.0, "step": 30})
    _jsonl(run / "finetune" / "metrics.jsonl", rows)
    (run / "finetune" / "recipe.yaml").write_text("name: fake\nfinetune:\n  method: lora\n", encoding="utf-8")
    (run / "base_model").mkdir()


def _samples(passing: set[str], code: dict[str, str]) -> list[dict]:
    return [{"task_id": task, "sample_index": 0, "completion": code.get(task, "    return None\n"),
             "status": "pass" if task in passing else "fail",
             "error": None if task in passing else "AssertionError", "runtime_s": 0.01} for task in TASKS]


def write_eval(run: Path, with_compare: bool = True) -> None:
    base_pass, tuned_pass = {"HumanEval/0", BROKEN}, {"HumanEval/0", FIXED, "HumanEval/4"}
    code = {FIXED: f"    # {SCRIPT_PAYLOAD}\n    return sorted(x)\n", BROKEN: "    return x[::-1]\n"}
    for run_name, passing in (("base", base_pass), ("finetuned", tuned_pass)):
        folder = run / "eval" / run_name / "humaneval"
        _jsonl(folder / "samples.jsonl", _samples(passing, code))
        _json(folder / "results.json", {
            "benchmark": "humaneval", "model": "tiny", "adapter": None, "num_tasks": len(TASKS), "n_samples": 1,
            "pass_at_k": {"pass@1": len(passing) / len(TASKS)},
            "per_task": {task: {"passed": int(task in passing), "n": 1} for task in TASKS}, "settings": {}})
    if with_compare:
        _json(run / "compare" / "compare.json", {
            "runs": ["base", "finetuned"],
            "benchmarks": {"humaneval": {"base": {"pass@1": 2 / 6, "ci95": [0.1, 0.7]},
                                         "finetuned": {"pass@1": 3 / 6, "ci95": [0.19, 0.81]}}},
            "paired_test": {"humaneval": {"method": "exact McNemar", "p_value": 1.0, "discordant": 2}},
            "fixed": [FIXED], "broken": [BROKEN]})


def write_full_run(run: Path) -> Path:
    """Every stage's outputs, as `codemill run` would leave them."""
    run.mkdir(parents=True, exist_ok=True)
    _json(run / "manifest.json", {"stages": {"extract": {"status": "done", "wall_s": 3.2},
                                             "finetune": {"status": "done", "wall_s": 41.5}}})
    write_dataset(run)
    write_training(run)
    write_eval(run)
    return run
