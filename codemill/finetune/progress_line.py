"""Training on one console line: step of total, loss, learning rate, tokens/s and the time left.

The trainer's own bar and its raw log dicts go to the stage log; this is what a person watches."""

from __future__ import annotations

import time
from contextlib import ExitStack

from transformers import TrainerCallback

from codemill.common.progress import progress


def _number(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


class TrainingLine(TrainerCallback):
    def __init__(self):
        self._stack = ExitStack()
        self._bar = None
        self._step = 0
        self._started = 0.0
        self._tokens_at_start = 0

    def on_train_begin(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            self._bar = self._stack.enter_context(progress("finetune (steps)", total=state.max_steps))
            self._step = state.global_step
            self._bar.advance(self._step)  # a resumed run starts part-way
            self._started, self._tokens_at_start = time.monotonic(), state.num_input_tokens_seen or 0

    def on_step_end(self, args, state, control, **kwargs):
        if self._bar is not None:
            self._bar.advance(state.global_step - self._step)
            self._step = state.global_step

    def on_log(self, args, state, control, logs=None, **kwargs):
        loss, rate = _number((logs or {}).get("loss")), _number((logs or {}).get("learning_rate"))
        if self._bar is None or loss is None:
            return
        parts = [f"loss {loss:.4f}"]
        if rate is not None:
            parts.append(f"lr {rate:.2e}")
        elapsed = time.monotonic() - self._started
        tokens = (state.num_input_tokens_seen or 0) - self._tokens_at_start
        if tokens and elapsed > 0:
            parts.append(f"{tokens / elapsed:,.0f} tok/s")
        self._bar.note("  ".join(parts))

    def on_train_end(self, args, state, control, **kwargs):
        self._stack.close()
        self._bar = None
