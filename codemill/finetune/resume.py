"""`--resume` obeys the recipe: compare it with the one the run started with, or reset the optimizer.

A checkpoint restores optimizer and scheduler state, learning rate included. Resuming after a recipe
change would silently keep training with the old settings, so the differing keys are named and the run
refused, unless `--reset-optimizer` asks to keep the weights and rebuild optimizer and scheduler from
the new recipe (its schedule taken at the checkpoint's step).
"""

from __future__ import annotations

import warnings
from pathlib import Path

from transformers import TrainerCallback

from codemill.recipe.base import RecipeError

# Keys that change bookkeeping or kernels only, not what a step computes (beyond rounding).
BOOKKEEPING_KEYS = ("finetune.logging_steps", "finetune.save_steps", "finetune.save_total_limit", "finetune.wandb",
                    "finetune.gpu_memory_gb", "finetune.eval_steps", "finetune.token_metrics", "finetune.liger_kernel",
                    "finetune.torch_compile", "model.attn_implementation")
# Keys that decide what the checkpoint's weights are: no resume can carry them over to other values.
STRUCTURAL_KEYS = ("model.name_or_path", "model.tiny", "model.chat_template", "finetune.method", "finetune.lora",
                   "finetune.seq_len", "finetune.packing", "finetune.assistant_only_loss", "finetune.seed")


def training_settings(recipe) -> dict[str, object]:
    """The recipe's model and finetune keys, flattened to dotted names."""
    flat: dict[str, object] = {}

    def walk(prefix: str, value) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(f"{prefix}.{key}", item)
        else:
            flat[prefix] = value

    for section in ("model", "finetune"):
        walk(section, getattr(recipe, section).model_dump(mode="json"))
    return flat


def _under(key: str, names: tuple[str, ...]) -> bool:
    return any(key == name or key.startswith(name + ".") for name in names)


def changed_keys(saved, current) -> dict[str, tuple]:
    """`key: (saved value, current value)` for every training setting that differs."""
    before, after = training_settings(saved), training_settings(current)
    keys = sorted(set(before) | set(after))
    return {key: (before.get(key), after.get(key)) for key in keys
            if not _under(key, BOOKKEEPING_KEYS) and before.get(key) != after.get(key)}


def _listed(changes: dict[str, tuple]) -> str:
    return "; ".join(f"{key}: {old!r} -> {new!r}" for key, (old, new) in changes.items())


def check_resume_recipe(saved_path: Path, recipe, reset_optimizer: bool) -> dict[str, tuple]:
    """The changes a resume takes over; raises ValueError naming the keys a resume cannot honour."""
    from codemill.recipe.loader import load_recipe

    if not saved_path.exists():
        return {}
    try:
        saved = load_recipe(saved_path)
    except RecipeError as error:
        raise ValueError(f"{saved_path}: the recipe this run started with no longer loads ({error}); "
                         "start a new run folder") from None
    changes = changed_keys(saved, recipe)
    structural = {key: change for key, change in changes.items() if _under(key, STRUCTURAL_KEYS)}
    if structural:
        raise ValueError(
            f"the recipe changed since this run started ({saved_path}) in keys a checkpoint cannot carry over: "
            f"{_listed(structural)}. Restore them, or train into a new run folder"
        )
    listed = _listed(changes)
    if changes and not reset_optimizer:
        raise ValueError(
            f"the recipe changed since this run started ({saved_path}): {listed}. A resume restores the optimizer "
            "and scheduler of the checkpoint, so these would be ignored. Continue with --resume --reset-optimizer "
            "to keep the weights and rebuild optimizer and scheduler from the new recipe, or restore the old values"
        )
    return changes


def skip_optimizer_restore(trainer) -> None:
    """Let the trainer restore weights, step and data position from a checkpoint, but not optimizer,
    scheduler or gradient scaler: those are built fresh from the current recipe."""
    trainer._load_optimizer_and_scheduler = lambda checkpoint: None
    trainer._load_scaler = lambda checkpoint: None


class ScheduleAtCheckpointStep(TrainerCallback):
    """Moves a fresh scheduler to the resumed step, so the learning rate is the new schedule's at that step."""

    def on_train_begin(self, args, state, control, lr_scheduler=None, **kwargs):
        if lr_scheduler is not None and state.global_step > 0:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "scheduler stepped before optimizer": on purpose here
                for _ in range(state.global_step):
                    lr_scheduler.step()
        return control
