"""The Colab notebook: its parameters and install cells are where the test expects them, and it runs top to
bottom (install skipped) against a tiny CPU version of the demo recipe, ending with the report inline."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest
import yaml
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

from codemill.recipe.loader import load_recipe

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "colab_qlora.ipynb"
T4_RECIPE = "recipes/qwen2.5-coder-7b-qlora-t4.yaml"


def _tagged(notebook, tag: str) -> list:
    return [cell for cell in notebook.cells if tag in cell.metadata.get("tags", [])]


def _parameters(notebook) -> dict:
    """The literal values assigned in the notebook's parameters cell."""
    (cell,) = _tagged(notebook, "parameters")
    values = {}
    for node in ast.parse(cell.source).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            values[node.targets[0].id] = ast.literal_eval(node.value)
    return values


def _tiny_recipe(tmp_path: Path) -> Path:
    """The demo recipe cut down to a few training steps and three smoke problems, run folder in tmp."""
    recipe = yaml.safe_load((REPO / "recipes" / "demo.yaml").read_text(encoding="utf-8"))
    recipe["name"] = "notebook-test"
    recipe["output_dir"] = str(tmp_path / "run")
    recipe["finetune"].update(max_steps=4, eval_steps=2, save_steps=4, logging_steps=1)
    recipe["eval"]["max_new_tokens"] = 24
    for benchmark in recipe["eval"]["benchmarks"]:
        benchmark["limit"] = 3
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(recipe), encoding="utf-8")
    return path


def test_notebook_parameters_and_install_cells():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    parameters = _parameters(notebook)
    assert parameters["RECIPE"] == T4_RECIPE
    assert set(parameters) >= {"REPO_URL", "REPO_REF", "WORKDIR", "RECIPE"}
    (install,) = _tagged(notebook, "colab-install")
    assert "pip" in install.source and "git" in install.source
    assert any('"run", RECIPE' in cell.source for cell in notebook.cells if cell.cell_type == "code")


def test_default_recipe_is_a_qlora_recipe():
    if not (REPO / T4_RECIPE).is_file():
        pytest.skip(f"{T4_RECIPE} is not in the repository yet")
    assert load_recipe(REPO / T4_RECIPE).finetune.method == "qlora"


@pytest.mark.slow
def test_notebook_runs_the_tiny_recipe_top_to_bottom(tmp_path):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    notebook.cells = [cell for cell in notebook.cells if "colab-install" not in cell.metadata.get("tags", [])]
    position = notebook.cells.index(_tagged(notebook, "parameters")[0]) + 1
    recipe = _tiny_recipe(tmp_path)
    notebook.cells.insert(position, new_code_cell(f"WORKDIR = {str(REPO)!r}\nRECIPE = {str(recipe)!r}",
                                                  metadata={"tags": ["injected-parameters"]}))
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert (tmp_path / "run" / "report.html").is_file()
    shown = [output for output in notebook.cells[-1].outputs if output.output_type == "display_data"]
    assert shown and "<iframe srcdoc=" in shown[0]["data"]["text/html"]
    assert "codemill report: run" in shown[0]["data"]["text/html"]
