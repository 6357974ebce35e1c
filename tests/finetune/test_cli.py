"""The command line: `finetune RECIPE --estimate`, errors without a traceback, and `finetune merge`."""

from __future__ import annotations

import yaml
from typer.testing import CliRunner

from codemill.cli import app
from tests.finetune.conftest import tiny_recipe

runner = CliRunner()


def _write(recipe, path):
    path.write_text(yaml.safe_dump(recipe.model_dump(mode="json", exclude_none=True)))
    return str(path)


def test_estimate_prints_the_breakdown_options_after_recipe(tiny_run):
    path = _write(tiny_recipe(tiny_run), tiny_run / "r.yaml")
    result = runner.invoke(app, ["finetune", path, "--estimate"])
    assert result.exit_code == 0, result.output
    assert "weights" in result.output and "smallest common GPU that fits: T4 16GB" in result.output
    assert not (tiny_run / "finetune").exists()


def test_missing_dataset_is_a_clear_error(tmp_path):
    path = _write(tiny_recipe(tmp_path), tmp_path / "r.yaml")
    result = runner.invoke(app, ["finetune", path])
    assert result.exit_code == 2
    assert "codemill data build" in result.output and "Traceback" not in result.output


def test_bad_recipe_key_is_named(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("name: x\nfinetune:\n  lora:\n    r: sixteen\n")
    result = runner.invoke(app, ["finetune", str(path)])
    assert result.exit_code == 2 and "finetune.lora.r: must be an integer" in result.output


def test_merge_without_adapter_says_what_is_missing(tmp_path):
    result = runner.invoke(app, ["finetune", "merge", str(tmp_path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and "no trained adapter found" in result.output


def test_unloadable_base_model_is_a_clear_error(tiny_run):
    recipe = tiny_recipe(tiny_run).model_copy(update={"model": tiny_recipe(tiny_run).model.model_copy(
        update={"tiny": None, "name_or_path": str(tiny_run / "no-such-model")})})
    result = runner.invoke(app, ["finetune", _write(recipe, tiny_run / "r.yaml")])
    assert result.exit_code == 2 and "no-such-model" in result.output and "Traceback" not in result.output


def test_reset_optimizer_needs_resume(tiny_run):
    path = _write(tiny_recipe(tiny_run), tiny_run / "r.yaml")
    result = runner.invoke(app, ["finetune", path, "--reset-optimizer"])
    assert result.exit_code == 2 and "--reset-optimizer only applies with --resume" in result.output


def test_push_without_adapter_is_a_clear_error(tmp_path):
    result = runner.invoke(app, ["finetune", "push", str(tmp_path), "--repo-id", "me/x"])
    assert result.exit_code == 2 and "no trained adapter found" in result.output and "Traceback" not in result.output
