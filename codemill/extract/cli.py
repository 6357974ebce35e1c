"""`--executor` and `--recipe`, shared by `codemill extract pdf` and `codemill extract stackexchange`.

With either, each PDF (or shard) is one datatrove task on the chosen executor, the engine `data build`
uses; with neither, the extractor's own processes do the work (`--workers`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from codemill.common.console import fail
from codemill.recipe.base import RecipeError, validate_config

EXECUTORS = ("local", "ray", "slurm")

EXECUTOR_OPTION = typer.Option(
    None, "--executor", help="Run each file/shard as a datatrove task on this executor: local, ray or slurm "
                             "(its settings come from --recipe's data section; without it, defaults and --workers).")
RECIPE_OPTION = typer.Option(
    None, "--recipe", help="A recipe whose data section (executor, workers, ray, slurm) the tasks run on.")


def task_executor(executor: Optional[str], recipe: Optional[Path], workers: int):
    """The data section the extraction tasks run on, or None to extract in this machine's processes."""
    if executor is not None and executor not in EXECUTORS:
        raise fail(f"--executor must be one of {', '.join(EXECUTORS)}, got {executor!r}")
    if executor is None and recipe is None:
        return None
    from codemill.recipe.data import DataConfig  # the recipe's models load only when they are used
    from codemill.recipe.loader import load_recipe

    if recipe is None:
        return validate_config(DataConfig, {"executor": executor, "workers": workers}, source="command line")
    try:
        data = load_recipe(recipe).data
    except RecipeError as error:
        raise fail(str(error)) from None
    return data if executor is None else data.model_copy(update={"executor": executor})
