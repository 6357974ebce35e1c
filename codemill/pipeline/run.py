"""`codemill run RECIPE`: extract -> data build -> finetune -> eval base and fine-tuned -> compare -> report."""

from __future__ import annotations

import fcntl
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import typer

from codemill.common.console import fail
from codemill.config import RecipeError
from codemill.pipeline.runner import PipelineError, StageOutcome, run_stages, say
from codemill.pipeline.stages import plan_stages
from codemill.pipeline.state import RunState
from codemill.recipe import load_recipe


@contextmanager
def run_folder_lock(run_dir: Path) -> Iterator[None]:
    """One `codemill run` per run folder at a time: two would overwrite each other's outputs."""
    with open(run_dir / ".run.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            message = f"{run_dir}: another codemill run is using this run folder; wait for it to finish"
            raise RecipeError(message) from None
        yield


def run_recipe(path: str | Path, force: bool = False) -> list[StageOutcome]:
    """Run every stage of the recipe at `path`, skipping those already up to date (none with `force`).

    Raises RecipeError for a bad recipe and PipelineError (stage, input, reason) when a stage fails;
    the outputs of the stages that completed stay in the run folder either way.
    """
    recipe = load_recipe(path)
    run_dir = recipe.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    stages = plan_stages(recipe)
    say(f"codemill run: {recipe.name}, {len(stages)} stages, run folder {run_dir}")
    with run_folder_lock(run_dir):
        outcomes = run_stages(stages, RunState(run_dir, Path(path)), force=force)
    ran = sum(outcome.status == "ran" for outcome in outcomes)
    say(f"codemill run: finished, {ran} stage(s) ran, {len(outcomes) - ran} up to date; see {run_dir}")
    return outcomes


def run_command(
    recipe: Path = typer.Argument(..., help="The recipe YAML to run."),
    force: bool = typer.Option(False, "--force", help="Run every stage from scratch, even those up to date."),
) -> None:
    """Run a whole recipe: extract, data build, finetune, eval base and fine-tuned, compare, report."""
    try:
        run_recipe(recipe, force=force)
    except RecipeError as error:
        raise fail(str(error)) from None
    except PipelineError as error:
        hint = "the outputs of completed stages are kept; fix the cause and rerun to resume"
        raise fail(f"{error}\n{hint}", code=1) from None
    except KeyboardInterrupt:
        raise fail("interrupted; rerun the same command to resume", code=130) from None
