"""`codemill extract stackexchange SOURCE -o OUT_DIR [--workers N] [filters] [--executor local|ray|slurm] [--recipe R]`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from codemill.common.console import console, fail
from codemill.common.lock import folder_lock
from codemill.extract.cli import EXECUTOR_OPTION, RECIPE_OPTION, task_executor
from codemill.recipe.base import RecipeError, validate_config


def stackexchange_command(
    source: Path = typer.Argument(..., help="A site dump folder, a Posts.xml, or a .7z dump archive."),
    out_dir: Path = typer.Option(..., "--out", "-o", help="Folder for threads-*.jsonl.gz and summary.json."),
    workers: int = typer.Option(1, "--workers", "-w", min=1, help="Processes writing shards."),
    force: bool = typer.Option(False, "--force", help="Start over, replacing earlier output in OUT_DIR."),
    site: Optional[str] = typer.Option(None, help="Site domain, e.g. stackoverflow.com (default: from the path)."),
    min_question_score: Optional[int] = typer.Option(None, help="Drop questions scored below this."),
    min_answer_score: Optional[int] = typer.Option(None, help="Drop answers scored below this."),
    accepted_only: bool = typer.Option(False, help="Keep only the accepted answer."),
    top_k_answers: Optional[int] = typer.Option(None, "--top-k", help="Keep the best K answers (accepted first)."),
    min_answers: int = typer.Option(0, help="Drop threads left with fewer answers."),
    include_tag: list[str] = typer.Option([], help="Keep only questions with one of these tags (repeatable)."),
    exclude_tag: list[str] = typer.Option([], help="Drop questions with any of these tags (repeatable)."),
    keep_closed: bool = typer.Option(False, help="Keep closed questions."),
    threads_per_shard: int = typer.Option(10_000, help="Threads per output shard."),
    skip_bad_rows: bool = typer.Option(False, "--skip-bad-rows",
                                       help="Skip (and count) unreadable XML rows instead of stopping the file."),
    executor_name: Optional[str] = EXECUTOR_OPTION,
    recipe: Optional[Path] = RECIPE_OPTION,
) -> None:
    """Turn a StackExchange data dump into Q&A threads in markdown, with licence and attribution."""
    from codemill.extract.stackexchange.extract import extract_stackexchange
    from codemill.recipe.stackexchange import StackExchangeOptions

    settings = {"site": site, "min_question_score": min_question_score, "min_answer_score": min_answer_score,
                "accepted_only": accepted_only, "top_k_answers": top_k_answers, "min_answers": min_answers,
                "include_tags": include_tag, "exclude_tags": exclude_tag, "drop_closed": not keep_closed,
                "threads_per_shard": threads_per_shard, "skip_bad_rows": skip_bad_rows}
    executor = task_executor(executor_name, recipe, workers)
    try:
        options = validate_config(StackExchangeOptions, settings, source="command line")
    except RecipeError as error:
        raise fail(str(error)) from None
    with folder_lock(out_dir):
        summary = extract_stackexchange(source, out_dir, options=options, workers=workers, force=force, executor=executor)
    for path, reason in summary.failed:
        shown = reason if reason.startswith(path) else f"{path}: {reason}"
        console.print(f"[bold red]failed:[/] {shown}", markup=True, soft_wrap=True, highlight=False)
    if summary.site is None:
        raise typer.Exit(1)
    console.print(f"{summary.site}: {summary.threads_written:,} threads, {summary.answers_written:,} answers in "
                  f"{len(summary.shards)} shards ({summary.shards_resumed} resumed) -> {out_dir} "
                  f"in {summary.seconds:.1f} s", markup=False, soft_wrap=True)
    for reason, entry in summary.skipped.items():
        console.print(f"  skipped {reason}: {entry['count']:,} (first ids {entry['first_ids']})", markup=False, soft_wrap=True)
    if summary.failed:
        raise typer.Exit(1)
