from pathlib import Path

from codemill.recipe.loader import Recipe
from codemill.recipe.layout import RunLayout


def test_every_run_path_is_its_own_and_inside_the_run_folder(tmp_path):
    layout = RunLayout(tmp_path / "run")
    paths = [layout.dataset, layout.dataset_work, layout.synthesize, layout.base_model, layout.finetune,
             layout.eval_dir("base", "humaneval"), layout.eval_dir("finetuned", "humaneval"), layout.compare,
             layout.report, layout.manifest, layout.hash_cache, layout.logs]
    assert len(set(paths)) == len(paths)
    assert all(path.is_relative_to(layout.root) for path in paths)
    assert layout.adapter.parent == layout.finetune and layout.synthesize_cache.parent == layout.synthesize


def test_stage_logs_are_plain_file_names():
    layout = RunLayout("runs/x")
    assert layout.log("eval:base:humaneval+") == Path("runs/x/logs/eval-base-humaneval+.log")
    assert layout.log("data") == Path("runs/x/logs/data.log")


def test_a_source_extracted_elsewhere_is_read_from_there(tmp_path):
    recipe = Recipe(name="x", output_dir=tmp_path, sources=[
        {"name": "book", "type": "pdf", "path": "b.pdf"},
        {"name": "done", "type": "pdf", "path": "c.pdf", "extracted": str(tmp_path / "already")}])
    assert recipe.layout.extracted(recipe.sources[0]) == tmp_path / "extract" / "book"
    assert recipe.layout.extracted(recipe.sources[1]) == tmp_path / "already"
