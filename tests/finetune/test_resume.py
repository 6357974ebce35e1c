"""`--resume` obeys the recipe: a changed learning rate is refused by name, or taken over with
`--reset-optimizer` (weights kept, optimizer and scheduler rebuilt at the checkpoint's step)."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from transformers import TrainerCallback, get_scheduler

from codemill.finetune.train import FinetuneError, finetune
from codemill.recipe.loader import load_recipe
from tests.finetune.conftest import chat_rows, tiny_recipe, write_dataset


class _StopAt(TrainerCallback):
    def __init__(self, step: int):
        self.step = step

    def on_save(self, args, state, control, **kwargs):
        if state.global_step == self.step:
            raise KeyboardInterrupt


def _log(out, key):
    history = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    return {entry["step"]: entry[key] for entry in history if key in entry}


@pytest.fixture(scope="module")
def interrupted(tmp_path_factory):
    """A run at lr 5e-3 stopped after step 4; its step-3 loss is what the step-2 weights give."""
    run = tmp_path_factory.mktemp("interrupted")
    write_dataset(run, chat_rows(64))
    with pytest.raises(KeyboardInterrupt):
        finetune(tiny_recipe(run), callbacks=(_StopAt(4),))
    return run


def _copy(run, tmp_path):
    shutil.copytree(run, tmp_path, dirs_exist_ok=True)
    shutil.rmtree(tmp_path / "finetune" / "checkpoints" / "checkpoint-4")  # resume from step 2
    return tmp_path


def test_recipe_is_written_at_the_start(interrupted):
    assert load_recipe(interrupted / "finetune" / "recipe.yaml").finetune.learning_rate == 5e-3


def test_changed_learning_rate_is_refused_by_name(interrupted, tmp_path):
    run = _copy(interrupted, tmp_path)
    with pytest.raises(FinetuneError, match=r"finetune\.learning_rate: 0\.005 -> 0\.001.*--reset-optimizer"):
        finetune(tiny_recipe(run, learning_rate=1e-3), resume=True)
    with pytest.raises(FinetuneError, match=r"cannot carry over: finetune\.lora\.r: 4 -> 8"):
        finetune(tiny_recipe(run, lora={"r": 8, "alpha": 8, "dropout": 0.0}), resume=True, reset_optimizer=True)


def test_reset_optimizer_keeps_weights_and_follows_the_new_schedule(interrupted, tmp_path, capsys):
    run = _copy(interrupted, tmp_path)
    out = finetune(tiny_recipe(run, learning_rate=1e-3), resume=True, reset_optimizer=True)
    captured = capsys.readouterr()
    assert "resuming from" in captured.out + captured.err and "checkpoint-2" in json.loads(
        (out / "run_info.json").read_text())["resumed_from"]
    losses, rates = _log(out, "loss"), _log(out, "learning_rate")
    before = _log(interrupted / "finetune", "loss")
    assert losses[3] == pytest.approx(before[3], rel=1e-4)  # the step-2 weights came back
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)
    schedule = get_scheduler("cosine", optimizer, num_warmup_steps=0, num_training_steps=6)
    expected = {}
    for step in range(1, 7):  # the trainer logs the rate a step ran with
        expected[step] = schedule.get_last_lr()[0]
        optimizer.step()
        schedule.step()
    assert [rates[s] for s in (3, 4, 5, 6)] == pytest.approx([expected[s] for s in (3, 4, 5, 6)])
    assert load_recipe(out / "recipe.yaml").finetune.learning_rate == 1e-3


def test_bookkeeping_keys_may_change_on_resume(tmp_path):
    from codemill.finetune.resume import changed_keys

    before = tiny_recipe(tmp_path)
    after = tiny_recipe(tmp_path, logging_steps=5, save_steps=4, wandb={"mode": "offline"}, liger_kernel=True,
                        learning_rate=1e-3)
    assert changed_keys(before, after) == {"finetune.learning_rate": (5e-3, 1e-3)}
