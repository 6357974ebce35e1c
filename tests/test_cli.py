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
    assert "codemill" in result.output


def test_console_script_runs():
    completed = subprocess.run([sys.executable, "-m", "codemill.cli", "--version"], capture_output=True, text=True)
    assert completed.returncode == 0 and __version__ in completed.stdout
