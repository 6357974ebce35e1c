"""The `codemill` entry point: help, version, and clean errors."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from codemill import __version__
from codemill.cli import app


def test_version():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"codemill {__version__}"


def test_help_lists_the_stage_commands():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("extract", "data", "finetune", "eval", "compare", "run", "report"):
        assert f" {command} " in result.output
    extract = CliRunner().invoke(app, ["extract", "--help"])
    assert " pdf " in extract.output and " stackexchange " in extract.output
    assert " build " in CliRunner().invoke(app, ["data", "--help"]).output
    assert " merge " in CliRunner().invoke(app, ["finetune", "--help"]).output


def test_bad_recipe_is_a_clean_error(tmp_path):
    recipe = tmp_path / "bad.yaml"
    recipe.write_text("name: x\nfinetune: {lora: {r: sixteen}}\n")
    result = CliRunner().invoke(app, ["data", "build", str(recipe)])
    assert result.exit_code == 2
    assert "finetune.lora.r: must be an integer, got 'sixteen'" in result.output


def test_console_script_runs():
    completed = subprocess.run([sys.executable, "-m", "codemill.cli", "--version"], capture_output=True, text=True)
    assert completed.returncode == 0 and __version__ in completed.stdout
