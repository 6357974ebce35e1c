"""The `codemill` command line: one entry point, a subcommand per stage."""

from __future__ import annotations

import gc
from pathlib import Path

import typer

from codemill import __version__
from codemill.common import errors, logs
from codemill.common.console import fail
from codemill.common.lock import folder_lock
from codemill.common.processes import guard_processes
from codemill.datasets.cli import data_app
from codemill.evals.cli import compare_command, eval_command
from codemill.extract.pdf.cli import pdf_command
from codemill.extract.stackexchange.cli import stackexchange_command
from codemill.finetune.cli import finetune_app
from codemill.pipeline.run import run_command

app = typer.Typer(
    name="codemill",
    help="Textbook PDFs and StackExchange dumps -> clean training data -> LoRA/QLoRA fine-tunes -> code evals.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=errors.ErrorHandlingGroup,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"codemill {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show library output (also kept in <run_dir>/logs/) and the traceback of an error."),
) -> None:
    """codemill: one pipeline from source page to eval score."""
    if verbose:
        errors.verbose = logs.verbose = True


def report_command(run_dir: Path = typer.Argument(..., help="A run folder, e.g. runs/<name>.")) -> None:
    """Write RUN_DIR/report.html: one self-contained page with the data, training curves and eval changes."""
    from codemill.pipeline.report import write_report
    from codemill.pipeline.report_inputs import ReportInputError

    if not run_dir.is_dir():
        raise fail(f"{run_dir}: no such run folder; give the folder of a run, e.g. runs/<name>")
    try:
        with folder_lock(run_dir, option="RUN_DIR"):
            typer.echo(write_report(run_dir))
    except ReportInputError as error:
        raise fail(str(error)) from None


extract_app = typer.Typer(help="Raw sources (PDFs, StackExchange dumps) -> clean markdown.", no_args_is_help=True)
extract_app.command("pdf")(pdf_command)
extract_app.command("stackexchange")(stackexchange_command)

app.add_typer(extract_app, name="extract")
app.add_typer(data_app, name="data")
app.add_typer(finetune_app, name="finetune")
app.command("eval")(eval_command)
app.command("compare")(compare_command)
app.command("run")(run_command)
app.command("report")(report_command)


def main() -> None:
    guard_processes()  # before any stage forks: children die with us, SIGTERM stops cleanly
    gc.freeze()  # what start-up built lives as long as the process: full collections stop walking it (~3% of a PDF extraction)
    app()


if __name__ == "__main__":
    main()
