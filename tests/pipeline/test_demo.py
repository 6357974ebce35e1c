"""The demo recipe end to end with the real stages, shortened (fewer steps and problems) to fit a test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from codemill.pipeline.run import run_recipe
from codemill.recipe.loader import load_recipe

REPO = Path(__file__).resolve().parents[2]


def shortened_demo(tmp_path: Path) -> Path:
    """recipes/demo.yaml with absolute sample paths, a run folder in tmp_path and a 6-step finetune."""
    recipe = yaml.safe_load((REPO / "recipes" / "demo.yaml").read_text())
    recipe["output_dir"] = str(tmp_path / "run")
    for source in recipe["sources"]:
        source["path"] = str(REPO / source["path"])
    decont = recipe["data"]["decontamination"]
    decont["humaneval_path"] = str(REPO / decont["humaneval_path"])
    recipe["finetune"].update(max_steps=6, eval_steps=3, save_steps=3, logging_steps=1)
    for spec in recipe["eval"]["benchmarks"]:
        spec.update(data_file=str(REPO / spec["data_file"]), limit=4)
    recipe["eval"]["max_new_tokens"] = 16
    path = tmp_path / "demo.yaml"
    path.write_text(yaml.safe_dump(recipe))
    return path


def test_demo_recipe_loads():
    recipe = load_recipe(REPO / "recipes" / "demo.yaml")
    assert recipe.model.tiny is not None and recipe.eval.benchmarks
    for source in recipe.sources:
        assert (REPO / source.path).exists(), f"demo source {source.path} is missing"


@pytest.mark.slow
def test_demo_runs_every_stage_then_skips_them(tmp_path, capsys):
    recipe_path = shortened_demo(tmp_path)
    outcomes = run_recipe(recipe_path)
    assert [o.status for o in outcomes] == ["ran"] * len(outcomes)
    shown = capsys.readouterr()
    lines = (shown.out + shown.err).splitlines()
    assert len(lines) <= 40, "\n".join(lines)  # library chatter goes to the stage logs, not the console
    assert "humaneval pass@1" in shown.err and "train tokens" in shown.err  # the closing summary
    assert (tmp_path / "run" / "logs" / "finetune.log").read_text().strip()
    run = tmp_path / "run"
    assert sorted(p.name for p in (run / "extract" / "primer").glob("*.md")) == [
        "01-values-and-names.md", "02-loops-and-functions.md", "03-lists-and-dictionaries.md",
    ]
    chapter = (run / "extract" / "primer" / "02-loops-and-functions.md").read_text()
    assert "A Small Python Primer" not in chapter  # the running head is page furniture, not text
    assert "\n        if letter in \"aeiou\":\n            count += 1\n" in chapter  # nested indentation kept
    assert list((run / "dataset" / "data").glob("train-*.parquet"))
    assert (run / "finetune" / "adapter").is_dir()
    for which in ("base", "finetuned"):
        results = json.loads((run / "eval" / which / "humaneval" / "results.json").read_text())
        assert results["num_tasks"] == 4
    assert json.loads((run / "compare" / "compare.json").read_text())["benchmarks"]["humaneval"]
    assert "<html" in (run / "report.html").read_text().lower()
    again = run_recipe(recipe_path)
    assert [o.status for o in again] == ["skipped"] * len(again)
