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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
