"""`codemill data build RECIPE`: curate a recipe's extracted sources into a training set."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Optional

import typer

from codemill.common.overrides import set_option

data_app = typer.Typer(help="Curate extracted documents into a training set.", no_args_is_help=True)


@data_app.command("build")
def build_command(
    recipe_path: Path = typer.Argument(..., help="Recipe YAML with `sources` and a `data` section."),
    force: bool = typer.Option(False, "--force", help="Discard unfinished or finished work and start over."),
    overrides: Optional[list[str]] = set_option(),
) -> None:
    """Write <run_dir>/dataset/: parquet train/validation splits, stats, drop examples, decontamination hits, card."""
    from codemill.common.console import console, fail
    from codemill.common.lock import folder_lock
    from codemill.common.logs import library_logs
    from codemill.recipe.base import RecipeError
    from codemill.datasets.build import build_dataset
    from codemill.common.executors import StageIncomplete
    from codemill.datasets.synthesize.teachers import TeacherError
    from codemill.pipeline.preflight import preflight
    from codemill.pipeline.runner import PipelineError
    from codemill.pipeline.stages import extract_sources, unextracted_sources
    from codemill.pipeline.state import RunState
    from codemill.recipe.loader import load_recipe

    try:
        recipe = load_recipe(recipe_path, overrides or ())
        missing = unextracted_sources(recipe)
        preflight(recipe, recipe_path, stages={"data", "extract"} if missing else {"data"})
        with folder_lock(recipe.run_dir, option="output_dir"):
            if missing:  # extracted first, as `codemill run` would
                extract_sources(missing, RunState(Path(recipe.run_dir), recipe_path, overrides or ()), recipe.data)
            if force:
                shutil.rmtree(recipe.layout.dataset_work, ignore_errors=True)
            with library_logs(recipe.layout.log("data")):
                dataset_dir = build_dataset(recipe)
    except (RecipeError, FileNotFoundError, ValueError, TeacherError, StageIncomplete, PipelineError) as error:
        raise fail(str(error)) from None
    stats_path = dataset_dir / "stats.json"
    if recipe.data.executor == "slurm":
        console.print(f"stages handed to slurm; the dataset is complete in {dataset_dir} when the last one ends")
        return
    stats = json.loads(stats_path.read_text(encoding="utf-8"))
    console.print(
        f"dataset: {dataset_dir}  train {stats['records']['train']} / validation {stats['records']['validation']} records,"
        f" {stats['tokens']['train']} train tokens; {stats['decontamination_hits']} benchmark hits,"
        f" {len(stats['malformed'])} malformed input records skipped"
    )
    typer.echo(str(dataset_dir))


@data_app.command("synthesize")
def synthesize_command(
    recipe_path: Path = typer.Argument(..., help="Recipe YAML with `sources` and a `data.synthesize` section."),
    overrides: Optional[list[str]] = set_option(),
) -> None:
    """Make teacher samples from textbook chunks, run their code, write <run_dir>/synthesize/ (replies are cached)."""
    from codemill.common.console import console, fail
    from codemill.common.lock import folder_lock
    from codemill.common.logs import library_logs
    from codemill.recipe.base import RecipeError
    from codemill.datasets.synthesize.run import synthesize
    from codemill.recipe.loader import load_recipe

    try:
        recipe = load_recipe(recipe_path, overrides or ())
        if recipe.data.synthesize is None:
            raise RecipeError(f"{recipe_path}: data.synthesize: not set; add a teacher and tasks (see docs/datasets.md)")
        with folder_lock(recipe.run_dir, option="output_dir"), library_logs(recipe.layout.log("synthesize")):
            summary = synthesize(recipe, say=lambda line: console.print(line, markup=False))
    except (RecipeError, FileNotFoundError, ValueError) as error:
        raise fail(str(error)) from None
    dropped = ", ".join(f"{k.removeprefix('dropped_')} {v}" for k, v in summary.items() if k.startswith("dropped_"))
    console.print(f"synthesize: {summary['requests']} requests ({summary['sent']} sent, {summary['cache_hits']} cached),"
                  f" {summary['made']} well-formed, {summary.get('checked', 0)} checked, {summary['kept']} kept;"
                  f" dropped: {dropped or 'none'}", markup=False)
    typer.echo(str(recipe.layout.synthesize))
