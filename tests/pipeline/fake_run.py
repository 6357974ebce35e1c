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
        "steps": {
            "read": {"documents": 1200},
            "length": {"in": 1200, "out": 1010, "dropped": 190, "reasons": {"too_short": 180, "too_long": 10}},
            "exact_dedup": {"in": 1010, "out": 960, "dropped": 50},
            "decontaminate": {"in": 960, "out": 957, "dropped": 3},
            "split": {"in": 957, "train": 945, "validation": 12},
        },
        "records": {"train": 12, "validation": 2},
        "tokens": {"train": 412345, "validation": 20480},
        "decontamination_hits": 1,
        "malformed": [],
    })
    _jsonl(folder / "drops" / "length.jsonl", [
        {"text": f"thanks! {IMG_PAYLOAD}", "id": f"cardano-{i}", "media": [],
         "metadata": {"source": "cardano", "filter_reason": "too_short", "url": "https://example.org/q/1"}}
        for i in range(5)])
    _jsonl(folder / "drops" / "exact_dedup.jsonl", [
        {"text": "A list is a sequence.", "id": "py4e-7", "metadata": {"source": "py4e", "duplicate_of": "py4e-3"}}])
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
            "benchmark": "humaneval", "model": "tiny", "num_tasks": len(TASKS), "n_samples": 1,
            "adapter": "finetune/adapter" if run_name == "finetuned" else None,
            "pass_at_k": {"pass@1": len(passing) / len(TASKS)},
            "per_task": {task: {"passed": int(task in passing), "n": 1} for task in TASKS}, "settings": {}})
    if with_compare:
        base_label, tuned_label = "tiny", "tiny + finetune/adapter"
        _json(run / "compare" / "compare.json", {
            "runs": [{"dir": str(run / "eval" / "base" / "humaneval"), "system": base_label, "benchmark": "humaneval"},
                     {"dir": str(run / "eval" / "finetuned" / "humaneval"), "system": tuned_label, "benchmark": "humaneval"}],
            "benchmarks": {"humaneval": {
                base_label: {"pass@1": 2 / 6, "ci95@1": [0.1, 0.7], "ci95": [0.1, 0.7], "num_tasks": 6},
                tuned_label: {"pass@1": 3 / 6, "ci95@1": [0.19, 0.81], "ci95": [0.19, 0.81], "num_tasks": 6}}},
            "paired_test": {"humaneval": [{
                "baseline": base_label, "candidate": tuned_label, "shared_tasks": 6,
                "test": "exact McNemar on per-problem solved/unsolved", "fixed_count": 2, "broken_count": 1,
                "p_value": 1.0, "diff_pass@1": 1 / 6, "diff_ci95": [-0.17, 0.5],
                "fixed": [FIXED, "HumanEval/4"], "broken": [BROKEN]}]},
            "fixed": [FIXED, "HumanEval/4"], "broken": [BROKEN],
            "method": {"ci": "percentile bootstrap", "baseline": "the first run of each benchmark"}})


def write_full_run(run: Path) -> Path:
    """Every stage's outputs, as `codemill run` would leave them."""
    run.mkdir(parents=True, exist_ok=True)
    _json(run / "manifest.json", {"codemill_version": "0.1.0", "recipe": "recipes/demo.yaml", "stages": {
        "extract:textbook": {"status": "done", "duration_s": 3.2, "started": "2026-01-01T00:00:00+00:00"},
        "finetune": {"status": "done", "duration_s": 41.5, "started": "2026-01-01T00:01:00+00:00"},
        "report": {"status": "running", "started": "2026-01-01T00:02:00+00:00"}}})
    write_dataset(run)
    write_training(run)
    write_eval(run)
    return run
