"""`codemill finetune RECIPE [--resume] [--gpus N] [--estimate]` and `codemill finetune merge RUN_DIR -o OUT_DIR`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from typer.core import TyperGroup

from codemill.common.console import console, fail
from codemill.common.lock import folder_lock
from codemill.common.overrides import set_option


class RecipeOrSubcommand(TyperGroup):
    """A group whose first word is either a subcommand (`merge`) or the RECIPE of the default action."""

    def parse_args(self, ctx, args):
        if args and args[0] in self.commands:
            super().parse_args(ctx, [])
            ctx._protected_args, ctx.args = args[:1], args[1:]
            return ctx.args
        ctx.allow_interspersed_args = True  # options may follow RECIPE
        return super().parse_args(ctx, args)


finetune_app = typer.Typer(cls=RecipeOrSubcommand, invoke_without_command=True,
                           help="Train a LoRA/QLoRA/DoRA adapter from a recipe; `merge` folds it into the base.")


@finetune_app.callback()
def finetune_command(
    ctx: typer.Context,
    recipe: Optional[Path] = typer.Argument(None, help="Recipe YAML (its dataset must be built)."),
    resume: bool = typer.Option(False, "--resume", help="Continue from the last checkpoint (the recipe must match)."),
    reset_optimizer: bool = typer.Option(False, "--reset-optimizer",
                                         help="With --resume: keep the weights, rebuild optimizer and scheduler "
                                              "from the current recipe (after changing learning_rate etc.)."),
    gpus: Optional[int] = typer.Option(None, "--gpus", min=1, help="Processes to launch (default: finetune.gpus)."),
    estimate: bool = typer.Option(False, "--estimate", help="Print the expected peak memory per GPU and exit."),
    overrides: Optional[list[str]] = set_option(),
) -> None:
    """Train the recipe's adapter into <run_dir>/finetune/."""
    if ctx.invoked_subcommand is not None:
        return
    if recipe is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(2)
    from codemill.recipe.base import RecipeError
    from codemill.recipe.loader import load_recipe

    try:
        loaded = load_recipe(recipe, overrides or ())
    except RecipeError as error:
        raise fail(str(error)) from None
    world = gpus or loaded.finetune.gpus
    if reset_optimizer and not resume:
        raise fail("--reset-optimizer only applies with --resume")
    from codemill.pipeline.preflight import preflight, settle_hub_mode

    if estimate:
        settle_hub_mode()  # offline, the cached config.json is read at once instead of after retries
        _print_estimate(loaded, world)
        return
    try:
        preflight(loaded, recipe, stages={"finetune"})
    except RecipeError as error:
        raise fail(str(error)) from None
    with folder_lock(loaded.run_dir, option="output_dir"):
        if world > 1:
            _run_distributed(loaded, world, resume, reset_optimizer)
        else:
            _run_single(loaded, resume, reset_optimizer)


def _print_estimate(recipe, gpus: int) -> None:
    from codemill.finetune.base_model import resolve_base_model
    from codemill.finetune.estimate import AutoSizeError, estimate_recipe

    try:
        model_path = resolve_base_model(recipe)
        result = estimate_recipe(recipe, model_path, gpus)
    except AutoSizeError as error:
        raise fail(str(error)) from None
    except (OSError, ValueError) as error:
        raise fail(f"cannot read the model config of {recipe.model.name_or_path or 'the tiny model'}: {error}") from None
    ft = recipe.finetune
    batch = f"auto -> {result.batch_size}" if ft.batch_size == "auto" else ft.batch_size
    typer.echo(f"{recipe.name}: {ft.method}, seq_len {ft.seq_len}, batch {batch}, "
               f"checkpointing {result.checkpointed_layers} of {result.layers} layers, model {model_path}")
    for line in result.lines():
        typer.echo("  " + line)


def _run_single(recipe, resume: bool, reset_optimizer: bool) -> None:
    from codemill.common.logs import library_logs
    from codemill.finetune.data import DatasetMissingError
    from codemill.finetune.train import FinetuneError, finetune

    try:
        with library_logs(recipe.layout.log("finetune")):
            out = finetune(recipe, resume=resume, reset_optimizer=reset_optimizer)
    except (FinetuneError, DatasetMissingError) as error:
        raise fail(str(error)) from None
    console.print(f"adapter written to {out / 'adapter'}")


def _run_distributed(recipe, gpus: int, resume: bool, reset_optimizer: bool) -> None:
    from codemill.finetune.launch import launch

    try:
        code = launch(recipe, gpus, resume, reset_optimizer)
    except ValueError as error:
        raise fail(str(error)) from None
    if code != 0:
        raise fail(f"distributed training exited with status {code}", code=code)


@finetune_app.command("merge")
def merge_command(
    run_dir: Path = typer.Argument(..., help="Run folder (or its finetune/ or adapter/ folder)."),
    output: Path = typer.Option(..., "-o", "--output", help="Folder for the merged model."),
    base: Optional[str] = typer.Option(None, "--base", help="Base model to merge into (default: the one trained on)."),
    dequantized: bool = typer.Option(False, "--dequantized",
                                     help="QLoRA runs: merge into the 4-bit base dequantized on the GPU (the weights "
                                          "the adapter was trained against) instead of the 16-bit base."),
) -> None:
    """Merge the trained adapter into its base model; the result loads with plain transformers."""
    from codemill.finetune.merge import merge_adapter

    try:
        out = merge_adapter(run_dir, output, base_model=base, dequantized=dequantized)
    except (FileNotFoundError, OSError, ValueError) as error:
        raise fail(str(error)) from None
    console.print(f"merged model written to {out}")


@finetune_app.command("push")
def push_command(
    run_dir: Path = typer.Argument(..., help="Run folder holding finetune/adapter/."),
    repo_id: str = typer.Option(..., "--repo-id", help="Hub repository for the adapter (user/name)."),
    merged: Optional[Path] = typer.Option(None, "--merged", help="Also push this merged model folder."),
    merged_repo_id: Optional[str] = typer.Option(None, "--merged-repo-id", help="Its repository (default: REPO_ID-merged)."),
    public: bool = typer.Option(False, "--public", help="Create public repositories (default: private)."),
) -> None:
    """Upload the adapter (and a merged model) with model cards: base, data sources and licences, eval results."""
    from codemill.finetune.hub import push_run

    try:
        urls = push_run(run_dir, repo_id, merged_dir=merged, merged_repo_id=merged_repo_id, private=not public)
    except (FileNotFoundError, OSError, ValueError) as error:
        raise fail(str(error)) from None
    for url in urls:
        console.print(f"pushed to {url}")
