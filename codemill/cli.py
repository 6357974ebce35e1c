"""The `codemill` command line: one entry point, a subcommand per stage."""

from __future__ import annotations

import typer

from codemill import __version__

app = typer.Typer(
    name="codemill",
    help="Textbook PDFs and StackExchange dumps -> clean training data -> LoRA/QLoRA fine-tunes -> code evals.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"codemill {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """codemill: one pipeline from source page to eval score."""


@app.command("report")
def _report(run_dir: str = typer.Argument(..., help="A run folder, e.g. runs/<name>.")) -> None:
    """Write RUN_DIR/report.html: one self-contained page with the data, training curves and eval changes."""
    from codemill.common.console import fail
    from codemill.pipeline.report import write_report
    from codemill.pipeline.report_inputs import ReportInputError

    try:
        typer.echo(write_report(run_dir))
    except ReportInputError as error:
        raise fail(str(error)) from None


from codemill.evals.cli import compare_command as _compare_command  # noqa: E402
from codemill.evals.cli import eval_command as _eval_command  # noqa: E402

app.command("eval")(_eval_command)
app.command("compare")(_compare_command)

from codemill.pipeline.run import run_command as _run_command  # noqa: E402

app.command("run")(_run_command)

from codemill.datasets.cli import data_app as _data_app  # noqa: E402

app.add_typer(_data_app, name="data")

extract_app = typer.Typer(help="Stage 1: raw sources (PDFs, StackExchange dumps) -> clean markdown.", no_args_is_help=True)
app.add_typer(extract_app, name="extract")

from codemill.extract.stackexchange.cli import stackexchange_command as _stackexchange_command  # noqa: E402

extract_app.command("stackexchange")(_stackexchange_command)

from codemill.extract.pdf.cli import pdf_command as _pdf_command  # noqa: E402

extract_app.command("pdf")(_pdf_command)

from codemill.finetune.cli import finetune_app as _finetune_app  # noqa: E402

app.add_typer(_finetune_app, name="finetune")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
