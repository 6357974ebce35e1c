"""The `--set KEY=VALUE` option every recipe command takes; `codemill.recipe.loader.load_recipe` applies it."""

from __future__ import annotations

import typer

SET_HELP = ("Override a recipe key, e.g. --set finetune.learning_rate=1e-4 or --set sources.0.path=book.pdf "
            "(list items by index; the value is read as YAML). Repeatable.")


def set_option():
    """A fresh typer option for `--set` (one per command)."""
    return typer.Option(None, "--set", metavar="KEY=VALUE", help=SET_HELP)
