"""Trainer callbacks: stop on a non-finite loss before a bad checkpoint is written; mirror the log history."""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch
from transformers import TrainerCallback

from codemill.common.atomic import atomic_write_text


class NonFiniteLossGuard(TrainerCallback):
    """Stops training at the first NaN/inf loss or adapter weight, and vetoes the checkpoint of that step."""

    def __init__(self):
        self.bad_step: int | None = None
        self.reason = ""

    def _stop(self, control, step: int, reason: str):
        if self.bad_step is None:
            self.bad_step, self.reason = step, reason
        control.should_save = False
        control.should_evaluate = False
        control.should_training_stop = True
        return control

    def on_step_end(self, args, state, control, model=None, **kwargs):
        trainable = [p for p in model.parameters() if p.requires_grad] if model is not None else []
        if trainable and not torch.stack([p.detach().isfinite().all() for p in trainable]).all():
            return self._stop(control, state.global_step, "adapter weights became NaN/inf")
        return control

    def on_log(self, args, state, control, logs=None, **kwargs):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            return self._stop(control, state.global_step, f"training loss became {loss}")
        return control


class MetricsWriter(TrainerCallback):
    """Rewrites `metrics.jsonl` (the trainer's log history, one dict a line) atomically on every log."""

    def __init__(self, path: Path):
        self.path = path

    def on_log(self, args, state, control, logs=None, **kwargs):
        if state.is_world_process_zero:
            write_metrics(self.path, state.log_history)
        return control


def write_metrics(path: Path, history: list[dict]) -> None:
    lines = [json.dumps(entry, default=float) for entry in history]
    atomic_write_text(path, "\n".join(lines) + ("\n" if lines else ""))
