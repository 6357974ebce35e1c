"""Two-process data-parallel training on CPU (gloo): both ranks end with the same adapter and loss falls;
a non-finite weight on one rank stops both."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from tests.finetune.conftest import tiny_recipe


@pytest.mark.slow
def test_two_process_ddp_ranks_agree_and_loss_falls(tiny_run, monkeypatch):
    """Through `codemill run`'s finetune stage, which must honour `finetune.gpus`."""
    from codemill.pipeline.stages import finetune_stage

    recipe = tiny_recipe(tiny_run, max_steps=8, save_steps=8, batch_size=2, gpus=2)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    finetune_stage(recipe).action(True)
    ranks = [json.loads(p.read_text()) for p in sorted((tiny_run / "finetune" / "ranks").glob("rank-*.json"))]
    assert [r["rank"] for r in ranks] == [0, 1] and all(r["world_size"] == 2 for r in ranks)
    assert ranks[0]["adapter_sha256"] == ranks[1]["adapter_sha256"]
    history = [json.loads(line) for line in (tiny_run / "finetune" / "metrics.jsonl").read_text().splitlines()]
    losses = [entry["loss"] for entry in history if "loss" in entry]
    assert len(losses) == 8 and sum(losses[-3:]) / 3 < sum(losses[:3]) / 3


DRIVER = """
import os, sys
from transformers import TrainerCallback
from codemill.finetune.train import FinetuneError, finetune
from codemill.recipe.loader import load_recipe

class PoisonRankOne(TrainerCallback):
    def on_step_end(self, args, state, control, model=None, **kwargs):
        if state.global_step == 2 and os.environ["RANK"] == "1":
            next(p for p in model.parameters() if p.requires_grad).data.fill_(float("nan"))

try:
    finetune(load_recipe(sys.argv[1]), callbacks=(PoisonRankOne(),))
except FinetuneError as error:
    print(f"rank {os.environ['RANK']}: {error}", flush=True)
    sys.exit(3)
"""


@pytest.mark.slow
def test_a_non_finite_weight_on_one_rank_stops_every_rank_at_the_same_step(tiny_run):
    recipe = tiny_recipe(tiny_run, max_steps=6, save_steps=2, batch_size=2)
    path = tiny_run / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe.model_dump(mode="json", exclude_none=True)))
    driver = tiny_run / "driver.py"
    driver.write_text(DRIVER)
    env = {**os.environ, "WANDB_MODE": "disabled", "OMP_NUM_THREADS": "1", "PYTHONPATH": os.getcwd()}
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                           str(driver), str(path)], capture_output=True, text=True, env=env, timeout=300)
    stopped = sorted(line.split(":")[0] for line in done.stdout.splitlines() if "stopped at step 2" in line)
    assert stopped == ["rank 0", "rank 1"], done.stdout[-2000:] + done.stderr[-3000:]
    assert sorted(p.name for p in (tiny_run / "finetune" / "checkpoints").glob("checkpoint-*")) == []
