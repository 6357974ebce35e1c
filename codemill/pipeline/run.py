"""`codemill run RECIPE`: extract -> data build -> finetune -> eval base and fine-tuned -> compare -> report."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Optional

import typer

from codemill.common.console import fail
from codemill.common.lock import folder_lock
from codemill.common.overrides import set_option
from codemill.recipe.base import RecipeError
from codemill.pipeline.preflight import preflight
from codemill.pipeline.runner import PipelineError, StageOutcome, run_stages, say
from codemill.pipeline.stages import plan_stages
from codemill.pipeline.state import RunState
from codemill.pipeline.summary import print_summary
from codemill.recipe.loader import load_recipe


def run_recipe(path: str | Path, force: bool = False, overrides: Sequence[str] = ()) -> list[StageOutcome]:
    """Run every stage of the recipe at `path`, skipping those already up to date (none with `force`).

    Raises RecipeError for a bad recipe and PipelineError (stage, input, reason) when a stage fails;
    the outputs of the stages that completed stay in the run folder either way.
    """
    recipe = load_recipe(path, overrides)
    run_dir = recipe.run_dir
    stages = plan_stages(recipe)
    preflight(recipe, path)  # every problem at once, before anything starts
    with folder_lock(run_dir, option="output_dir"):
        say(f"codemill run: {recipe.name}, {len(stages)} stages, run folder {run_dir}")
        outcomes = run_stages(stages, RunState(run_dir, Path(path), overrides), force=force)
    print_summary(run_dir, outcomes)
    return outcomes


def run_command(
    recipe: Path = typer.Argument(..., help="The recipe YAML to run."),
    force: bool = typer.Option(False, "--force", help="Run every stage from scratch, even those up to date."),
    overrides: Optional[list[str]] = set_option(),
) -> None:
    """Run a whole recipe: extract, data build, finetune, eval base and fine-tuned, compare, report."""
    try:
        run_recipe(recipe, force=force, overrides=overrides or ())
    except RecipeError as error:
        raise fail(str(error)) from None
    except PipelineError as error:
        hint = "the outputs of completed stages are kept; fix the cause and rerun to resume"
        raise fail(f"{error}\n{hint}", code=1) from None
