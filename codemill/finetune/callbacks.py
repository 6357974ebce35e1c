"""Trainer callbacks: stop on a non-finite loss before a bad checkpoint is written; mirror the log history."""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch
from transformers import TrainerCallback

from codemill.common.atomic import atomic_write_text


class NonFiniteLossGuard(TrainerCallback):
    """Stops training at the first NaN/inf loss or adapter weight, and vetoes the checkpoint of that step.

    The logged loss is already averaged over ranks; the weight check is all-reduced, so all ranks stop together."""

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
        device = trainable[0].device if trainable else torch.device("cuda" if torch.cuda.is_available() else "cpu")
        bad = torch.zeros((), device=device)
        if trainable and not torch.stack([p.detach().isfinite().all() for p in trainable]).all():
            bad.fill_(1.0)
        if any_rank(bad):  # every rank stops at the same step, or the others wait forever in the next all-reduce
            return self._stop(control, state.global_step, "adapter weights became NaN/inf")
        return control

    def on_log(self, args, state, control, logs=None, **kwargs):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            return self._stop(control, state.global_step, f"training loss became {loss}")
        return control


def any_rank(flag: torch.Tensor) -> bool:
    """True when `flag` is set on any process of the job (each rank checks only its own weights or shard)."""
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.all_reduce(flag, op=torch.distributed.ReduceOp.MAX)
    return bool(flag.item())


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
