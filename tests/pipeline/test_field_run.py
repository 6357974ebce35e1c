"""The field path, offline: `codemill run` on a recipe whose sources are a `url:` PDF and a `site:` dump
served by a loopback HTTP server, and a `huggingface` dataset, with the base model given as a Hub id; the
Hub is an offline cache built in a temp folder (a tiny model, a Q&A dataset, MBPP), so every stage goes
through the real `load_dataset` and `from_pretrained`. A second run makes no request and skips every stage."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.hubcache import save_dataset, save_tiny_model
from tests.loopback import LoopbackServer

REPO = Path(__file__).resolve().parents[2]
SITE = "cardano.stackexchange.com"


def _qa_rows() -> list[dict]:
    rows = []
    for n in range(1, 25):
        rows.append({
            "prompt": f"How do I add up the first {n} square numbers in Python without a loop variable leaking?",
            "response": f"Use a generator expression:\n\n```python\ntotal = sum(i * i for i in range({n + 1}))\n"
                        f"print(total)\n```\n\nIt prints {sum(i * i for i in range(n + 1))}.",
            "author": f"user{n}", "license": "CC BY 4.0"})
    return rows


def _save_mbpp(hf_home: Path, shared_data: Path) -> None:
    """The shared MBPP copy laid out as the Hub's `google-research-datasets/mbpp` (`full/<split>-*.parquet`)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tests.hubcache import snapshot

    records = [json.loads(line) for line in (shared_data / "evals" / "mbpp.jsonl").read_text().splitlines() if line]
    folder = snapshot(hf_home, "google-research-datasets/mbpp", kind="dataset") / "full"
    folder.mkdir()
    for split, wanted in (("test", range(11, 511)), ("train", range(601, 975))):
        rows = [r for r in records if r["task_id"] in wanted]
        pq.write_table(pa.Table.from_pylist(rows), folder / f"{split}-00000-of-00001.parquet")


def _recipe(tmp_path: Path, server: LoopbackServer, book_sha: str) -> Path:
    recipe = {
        "name": "field", "output_dir": str(tmp_path / "run"),
        "sources": [
            {"name": "book", "type": "pdf", "url": f"{server.url}/books/iterations.pdf", "sha256": book_sha,
             "license": "CC BY-NC-SA 3.0", "attribution": "Python for Everybody, Charles R. Severance"},
            {"name": "cardano", "type": "stackexchange", "site": SITE, "stackexchange": {"min_question_score": 5}},
            {"name": "qa", "type": "huggingface", "dataset": "o/python-qa", "split": "train", "streaming": True,
             "question": "prompt", "answer": "response", "license": "license", "attribution": "author"},
        ],
        "data": {"format": "chat", "validation_fraction": 0.1, "max_chunk_tokens": 200,
                 "decontamination": {"benchmarks": ["humaneval", "mbpp"]}},  # the package's copy, the Hub's
        "model": {"name_or_path": "o/tiny-coder", "chat_template": "chatml"},
        "finetune": {"method": "lora", "lora": {"r": 4, "alpha": 8, "dropout": 0.0}, "seq_len": 128,
                     "batch_size": 2, "gradient_accumulation": 1, "max_steps": 2, "save_steps": 2, "logging_steps": 1,
                     "gradient_checkpointing": False, "precision": "fp32", "wandb": {"mode": "disabled"}},
        "eval": {"benchmarks": [{"name": "mbpp", "limit": 1}], "max_new_tokens": 8, "batch_size": 1},
    }
    path = tmp_path / "field.yaml"
    path.write_text(yaml.safe_dump(recipe, sort_keys=False))
    return path


def _run(recipe: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "codemill.cli", "run", str(recipe)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_url_site_and_hub_dataset_recipe_runs_offline(shared_data, tmp_path):
    www = tmp_path / "www"
    (www / "books").mkdir(parents=True)
    book = www / "books" / "iterations.pdf"
    shutil.copy(shared_data / "pdfs" / "py4e" / "05-iterations.pdf", book)
    shutil.copy(shared_data / "stackexchange" / f"{SITE}.7z", www)
    hf_home = tmp_path / "hf"
    texts = [(REPO / "samples" / "textbook" / name).read_text() for name in sorted(os.listdir(REPO / "samples" / "textbook"))]
    save_tiny_model(hf_home, "o/tiny-coder", texts)
    save_dataset(hf_home, "o/python-qa", _qa_rows())
    _save_mbpp(hf_home, shared_data)
    with LoopbackServer(www) as server:
        env = os.environ | {"HF_HOME": str(hf_home), "HF_HUB_OFFLINE": "1", "CODEMILL_CACHE": str(tmp_path / "cache"),
                            "CODEMILL_STACKEXCHANGE_URL": server.url, "WANDB_MODE": "disabled"}
        recipe = _recipe(tmp_path, server, hashlib.sha256(book.read_bytes()).hexdigest())
        first = _run(recipe, env)
        assert first.returncode == 0, first.stderr[-3000:]
        assert sorted(path for _, path, _ in server.gets()) == ["/books/iterations.pdf", f"/{SITE}.7z"]
        requests_after_first = len(server.requests)
        second = _run(recipe, env)
        assert second.returncode == 0, second.stderr[-3000:]
        assert len(server.requests) == requests_after_first  # cached downloads, every stage up to date
    assert second.stderr.count("up to date, skipped") >= 8
    run = tmp_path / "run"
    assert (run / "extract" / "book" / "iterations.md").read_text().count("while") > 3
    se_summary = json.loads((run / "extract" / "cardano" / "summary.json").read_text())
    assert se_summary["site"] == SITE and se_summary["threads_written"] > 50
    qa_summary = json.loads((run / "extract" / "qa" / "summary.json").read_text())
    assert qa_summary["records_written"] == 24 and len(qa_summary["revision"]) == 40
    card = (run / "dataset" / "README.md").read_text()
    assert "fabricated posts dropped from cardano at extraction: 0" in card
    assert "CC BY 4.0" in card  # the Hub dataset's licence, read from its records
    assert (run / "finetune" / "adapter" / "adapter_model.safetensors").is_file()
    for which in ("base", "finetuned"):
        results = json.loads((run / "eval" / which / "mbpp" / "results.json").read_text())
        assert results["num_tasks"] == 1 and results["model"] == "o/tiny-coder"
        assert "google-research-datasets/mbpp" in json.dumps(results)  # the Hub read is named in the results
