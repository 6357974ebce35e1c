"""The `codemill` command line: one entry point, a subcommand per stage."""

from __future__ import annotations

import gc
from pathlib import Path

import typer
from typer.core import TyperCommand, TyperGroup

from codemill import __version__
from codemill.common import errors, logs
from codemill.common.console import fail
from codemill.common.lock import folder_lock
from codemill.common.processes import guard_processes
from codemill.extract.pdf.cli import pdf_command
from codemill.extract.stackexchange.cli import stackexchange_command


def _data() -> TyperCommand | TyperGroup:
    from codemill.datasets.cli import data_app

    return typer.main.get_group(data_app)


def _finetune() -> TyperCommand | TyperGroup:
    from codemill.finetune.cli import finetune_app

    return typer.main.get_group(finetune_app)


def _eval() -> TyperCommand | TyperGroup:
    from codemill.evals.cli import eval_command

    return _single(eval_command)


def _compare() -> TyperCommand | TyperGroup:
    from codemill.evals.cli import compare_command

    return _single(compare_command)


def _run() -> TyperCommand | TyperGroup:
    from codemill.pipeline.run import run_command

    return _single(run_command)


def _single(function) -> TyperCommand | TyperGroup:
    holder = typer.Typer(add_completion=False)
    holder.command()(function)
    return typer.main.get_command(holder)


# Commands whose modules load only when they run or help lists them: the pipeline's, the eval's and the
# fine-tune's imports (their preflight, HTTP, datatrove) are no cost of `codemill extract pdf` on a short book.
_LATER = {"data": _data, "finetune": _finetune, "eval": _eval, "compare": _compare, "run": _run}
_ORDER = ("eval", "compare", "run", "report", "extract", "data", "finetune")  # as typer lists them: commands, then groups


class _Commands(errors.ErrorHandlingGroup):
    """The root group, which loads the commands in `_LATER` on first use."""

    def list_commands(self, ctx: typer.Context) -> list[str]:
        return [name for name in _ORDER if name in self.commands or name in _LATER]

    def get_command(self, ctx: typer.Context, cmd_name: str) -> TyperCommand | TyperGroup | None:
        if cmd_name not in self.commands and cmd_name in _LATER:
            command = _LATER[cmd_name]()
            command.name = cmd_name
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)

    def resolve_command(self, ctx: typer.Context, args: list[str]):
        if args and args[0] not in self.commands and args[0] not in _LATER:
            for name in _LATER:  # an unknown name: load them all, so "did you mean" can offer any of them
                self.get_command(ctx, name)
        return super().resolve_command(ctx, args)


app = typer.Typer(
    name="codemill",
    help="Textbook PDFs and StackExchange dumps -> clean training data -> LoRA/QLoRA fine-tunes -> code evals.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=_Commands,
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
app.command("report")(report_command)


def main() -> None:
    guard_processes()  # before any stage forks: children die with us, SIGTERM stops cleanly
    gc.freeze()  # what start-up built lives as long as the process: full collections stop walking it (~3% of a PDF extraction)
    app()


if __name__ == "__main__":
    main()
