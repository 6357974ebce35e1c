"""Preflight: every problem of a recipe listed at once, one line naming the key, before anything starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from codemill.pipeline.preflight import _disk_problems, check_recipe
from codemill.recipe.loader import load_recipe
from tests.loopback import LoopbackServer

REPO = Path(__file__).resolve().parents[2]
SHIPPED_7B = ["codellama-7b", "deepseek-coder-6.7b-base", "llama-3.1-8b", "qwen2.5-coder-7b-fsdp-qlora-2gpu",
              "qwen2.5-coder-7b-lora", "qwen2.5-coder-7b-qlora-t4"]
CLOSED = "http://127.0.0.1:9"  # nothing listens there: every connection is refused at once


def _offline_env(tmp_path: Path) -> dict:
    """No route anywhere: proxies and the Hub endpoint point at a closed port, caches are empty."""
    return os.environ | {"HOME": str(tmp_path / "home"), "HF_HOME": str(tmp_path / "hf"),
                         "CODEMILL_CACHE": str(tmp_path / "cache"), "HF_ENDPOINT": CLOSED, "http_proxy": CLOSED,
                         "https_proxy": CLOSED, "HTTP_PROXY": CLOSED, "HTTPS_PROXY": CLOSED, "no_proxy": "",
                         "NO_PROXY": ""}


def test_shipped_recipes_refer_to_nothing_outside_the_repository():
    for path in sorted((REPO / "recipes").glob("*.yaml")):
        for source in load_recipe(path).sources:
            if source.path is not None:
                assert (REPO / source.path).resolve().is_relative_to(REPO), f"{path.name}: {source.path}"
                assert (REPO / source.path).exists(), f"{path.name}: {source.path}"


def test_shipped_7b_recipes_fail_preflight_offline_with_one_line_per_unreachable_thing(tmp_path):
    env = _offline_env(tmp_path)
    run = subprocess.run([sys.executable, "-m", "codemill.cli", "run", "recipes/qwen2.5-coder-7b-qlora-t4.yaml"],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    lines = run.stderr.strip().splitlines()
    assert lines[0].startswith("error: preflight:") and "nothing was started" in lines[0]
    keys = [line.split(": ")[1] for line in lines[1:]]
    assert {"sources[0].url", "sources[1].site", "model.name_or_path"} <= set(keys)
    assert len(keys) == len(set(keys))  # one line per problem
    assert not (REPO / "runs" / "qwen2.5-coder-7b-qlora-t4" / "manifest.json").exists()
    # every other 7B recipe, checked in one process: the same three unreachable things are named
    script = ("import json, sys\nfrom codemill.pipeline.preflight import check_recipe\nfrom codemill.recipe.loader import "
              "load_recipe\nprint(json.dumps({n: check_recipe(load_recipe(f'recipes/{n}.yaml')) for n in sys.argv[1:]}))")
    out = subprocess.run([sys.executable, "-c", script, *SHIPPED_7B], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    for name, problems in json.loads(out.stdout).items():
        found = {line.split(": ")[0] for line in problems}
        assert {"sources[0].url", "sources[1].site", "model.name_or_path"} <= found, (name, problems)


def _write(tmp_path: Path, recipe: dict) -> Path:
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump(recipe))
    return path


def test_all_problems_are_listed_at_once(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("NETRC", str(tmp_path / "no-netrc"))
    monkeypatch.setenv("CODEMILL_CACHE", str(tmp_path / "cache"))
    www = tmp_path / "www"
    www.mkdir()
    (www / "book.pdf").write_bytes(b"%PDF-1.4 tiny")
    with LoopbackServer(www) as server:
        recipe = load_recipe(_write(tmp_path, {
            "name": "x",
            "sources": [{"name": "gone", "type": "pdf", "path": str(tmp_path / "missing")},
                        {"name": "ok", "type": "pdf", "url": f"{server.url}/book.pdf"},
                        {"name": "404", "type": "pdf", "url": f"{server.url}/nothing.pdf"}],
            "data": {"decontamination": {"benchmarks": []}},
            "model": {"name_or_path": str(tmp_path / "no-model")},
            "finetune": {"precision": "fp32", "wandb": {"mode": "online"}},
            "eval": {"benchmarks": [{"name": "humaneval", "data_file": str(tmp_path / "he.jsonl")}]},
        }))
        problems = check_recipe(recipe)
        assert ("HEAD", "/book.pdf", None) in server.requests
    keys = [line.split(": ")[0] for line in problems]
    assert keys == ["sources[0].path", "sources[2].url", "model.name_or_path", "eval.benchmarks[0]",
                    "finetune.wandb.mode"], problems
    assert "HTTP 404" in problems[1] and "no config.json" in problems[2]


def test_a_local_recipe_with_everything_in_place_passes(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    recipe = load_recipe(_write(tmp_path, {
        "name": "ok", "sources": [{"name": "primer", "type": "pdf", "path": str(REPO / "samples" / "pdfs")}],
        "data": {"decontamination": {"benchmarks": ["humaneval"],
                                     "humaneval_path": str(REPO / "samples" / "evals" / "smoke.jsonl")}},
        "model": {"tiny": {}}, "finetune": {"wandb": {"mode": "disabled"}},
        "eval": {"benchmarks": [{"name": "humaneval", "data_file": str(REPO / "samples" / "evals" / "smoke.jsonl")}]},
    }))
    assert check_recipe(recipe) == []


def test_downloads_larger_than_the_free_disk_are_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("CODEMILL_CACHE", str(tmp_path / "cache"))
    (line,) = _disk_problems(1 << 60)
    assert line.startswith("sources: the downloads need") and "CODEMILL_CACHE" in line
    assert _disk_problems(1) == []


def test_estimate_works_offline_once_the_model_config_is_cached(tmp_path):
    from transformers import Qwen2Config

    from tests.hubcache import snapshot

    env = _offline_env(tmp_path)
    small = Qwen2Config(hidden_size=256, intermediate_size=512, num_hidden_layers=2, num_attention_heads=4,
                        num_key_value_heads=2, vocab_size=1024)  # only where the config is read from matters here
    small.save_pretrained(snapshot(tmp_path / "hf", "Qwen/Qwen2.5-Coder-7B"))
    run = subprocess.run([sys.executable, "-m", "codemill.cli", "finetune", "recipes/qwen2.5-coder-7b-qlora-t4.yaml",
                          "--estimate"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "model Qwen/Qwen2.5-Coder-7B" in run.stdout and "total/GPU" in run.stdout


@pytest.mark.gpu
def test_an_estimate_above_the_gpu_memory_is_one_line(tmp_path, monkeypatch):
    import torch
    from transformers import LlamaConfig

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    memory = torch.cuda.get_device_properties(0).total_memory
    for name, layers in (("small", 2), ("huge", 160)):
        folder = tmp_path / name
        LlamaConfig(hidden_size=8192, intermediate_size=28672, num_hidden_layers=layers, num_attention_heads=64,
                    num_key_value_heads=8, vocab_size=128256).save_pretrained(folder)
        recipe = load_recipe(_write(tmp_path, {"name": name, "model": {"name_or_path": str(folder)},
                                               "finetune": {"method": "lora", "wandb": {"mode": "disabled"}}}))
        problems = check_recipe(recipe, {"finetune"})
        if name == "small":
            assert problems == []
        else:  # 160 layers of a 70B-wide llama in bf16 cannot fit one GPU
            (line,) = problems
            assert line.startswith("finetune: the estimate is") and f"{memory / 2**30:.1f} GiB" in line


def test_a_reachable_hub_without_the_model_or_dataset_gives_one_line_each(tmp_path):
    """The online branch, through the real hub client: a loopback 'Hub' that knows no repository."""
    (tmp_path / "empty").mkdir()
    recipe = _write(tmp_path, {
        "name": "online",
        "sources": [{"name": "qa", "type": "huggingface", "dataset": "o/absent-data", "text": "body"}],
        "data": {"decontamination": {"benchmarks": []}},
        "model": {"name_or_path": "o/absent-model"}, "finetune": {"precision": "fp32", "wandb": {"mode": "disabled"}},
    })
    script = ("import json, sys\nfrom codemill.pipeline.preflight import check_recipe\nfrom codemill.recipe.loader import "
              "load_recipe\nprint(json.dumps(check_recipe(load_recipe(sys.argv[1]))))")
    with LoopbackServer(tmp_path / "empty") as server:
        env = _offline_env(tmp_path) | {"HF_ENDPOINT": server.url, "no_proxy": "127.0.0.1", "NO_PROXY": "127.0.0.1"}
        out = subprocess.run([sys.executable, "-c", script, str(recipe)], cwd=REPO, env=env, capture_output=True,
                             text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert server.requests  # the hub client really asked the server
    problems = json.loads(out.stdout)
    assert [line.split(": ")[0] for line in problems] == ["sources[0].dataset", "model.name_or_path"], problems
    assert "cannot read o/absent-data on the Hub" in problems[0]
    assert "cannot read config.json of o/absent-model" in problems[1]
