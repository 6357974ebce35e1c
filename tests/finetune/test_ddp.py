"""Two-process data-parallel training on CPU (gloo): both ranks end with the same adapter, and loss falls."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from tests.finetune.conftest import tiny_recipe


@pytest.mark.slow
def test_two_process_ddp_ranks_agree_and_loss_falls(tiny_run):
    recipe = tiny_recipe(tiny_run, max_steps=8, save_steps=8, batch_size=2)
    path = tiny_run / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe.model_dump(mode="json", exclude_none=True)))
    env = {**os.environ, "WANDB_MODE": "disabled", "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "codemill.cli", "finetune", str(path), "--gpus", "2"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = [json.loads(p.read_text()) for p in sorted((tiny_run / "finetune" / "ranks").glob("rank-*.json"))]
    assert [r["rank"] for r in ranks] == [0, 1] and all(r["world_size"] == 2 for r in ranks)
    assert ranks[0]["adapter_sha256"] == ranks[1]["adapter_sha256"]
    history = [json.loads(line) for line in (tiny_run / "finetune" / "metrics.jsonl").read_text().splitlines()]
    losses = [entry["loss"] for entry in history if "loss" in entry]
    assert len(losses) == 8 and sum(losses[-3:]) / 3 < sum(losses[:3]) / 3
