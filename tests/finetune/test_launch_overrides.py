"""`codemill finetune RECIPE --gpus 2 --set ...`: the worker processes train on the overridden recipe."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from codemill.cli import app
from tests.finetune.conftest import tiny_recipe


@pytest.mark.slow
def test_two_processes_train_with_the_overrides(tiny_run, monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    path = tiny_run / "recipe.yaml"
    path.write_text(yaml.safe_dump(tiny_recipe(tiny_run, max_steps=8, save_steps=8).model_dump(mode="json", exclude_none=True)))
    result = CliRunner().invoke(app, ["finetune", str(path), "--gpus", "2",
                                      "--set", "finetune.max_steps=2", "--set", "finetune.save_steps=2"])
    assert result.exit_code == 0, result.output
    ranks = [json.loads(p.read_text()) for p in sorted((tiny_run / "finetune" / "ranks").glob("rank-*.json"))]
    assert [r["world_size"] for r in ranks] == [2, 2]
    history = [json.loads(line) for line in (tiny_run / "finetune" / "metrics.jsonl").read_text().splitlines()]
    assert max(entry.get("step", 0) for entry in history) == 2  # not the file's 8
    assert yaml.safe_load((tiny_run / "finetune" / "recipe.yaml").read_text())["finetune"]["max_steps"] == 2
