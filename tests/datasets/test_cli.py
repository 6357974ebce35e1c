import typer
from typer.testing import CliRunner

from codemill.datasets.cli import data_app

app = typer.Typer()
app.add_typer(data_app, name="data")  # as codemill/cli.py mounts it


def test_a_source_to_extract_whose_path_is_missing_is_a_clear_error(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"name: x\noutput_dir: {tmp_path}\nsources:\n  - {{name: book, type: pdf, path: b.pdf}}\n")
    result = CliRunner().invoke(app, ["data", "build", str(recipe)])
    assert result.exit_code == 2
    assert "sources[0].path: b.pdf does not exist" in result.output and not (tmp_path / "extract").exists()


def test_bad_data_key_is_named(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("name: x\ndata:\n  format: tweets\n")
    result = CliRunner().invoke(app, ["data", "build", str(recipe)])
    assert result.exit_code == 2 and "data.format: must be one of" in result.output
