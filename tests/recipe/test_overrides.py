"""`--set KEY=VALUE` on every recipe command: typed values, list items by index, errors naming the `--set`."""

from __future__ import annotations

import pytest
import yaml
from typer.testing import CliRunner

from codemill.cli import app
from codemill.recipe.base import RecipeError
from codemill.recipe.loader import load_recipe

DEMO = "recipes/demo.yaml"


def test_values_are_read_as_yaml_and_list_items_go_by_index():
    recipe = load_recipe(DEMO, ["finetune.learning_rate=1e-4", "eval.n_samples=5", "finetune.packing=false",
                                "sources.1.path=elsewhere/dump", "data.decontamination.benchmarks=[humaneval, mbpp]",
                                "finetune.learning_rate=2e-4"])
    assert recipe.finetune.learning_rate == pytest.approx(2e-4)  # the last --set of a key wins
    assert recipe.eval.n_samples == 5 and recipe.finetune.packing is False
    assert str(recipe.sources[1].path) == "elsewhere/dump" and recipe.sources[0].name == "primer"
    assert recipe.data.decontamination.benchmarks == ["humaneval", "mbpp"]


def test_a_section_absent_from_the_file_is_created(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("name: bare\n")
    recipe = load_recipe(path, ["finetune.lora.r=4", "sources=[{name: b, type: pdf, path: b.pdf}]"])
    assert recipe.finetune.lora.r == 4 and recipe.sources[0].name == "b"
    assert load_recipe(path).finetune.lora.r != 4  # the file itself is untouched
    with pytest.raises(RecipeError, match=r"--set sources.0.path: sources has no items to index; give the whole list"):
        load_recipe(path, ["sources.0.path=b.pdf"])
    path.write_text("name: bare\nsources: []\n")
    with pytest.raises(RecipeError, match=r"--set sources.0.path: sources has no items to index; give the whole list"):
        load_recipe(path, ["sources.0.path=b.pdf"])


@pytest.mark.parametrize("override, expected", [
    ("finetune.learing_rate=1e-4", "--set finetune.learing_rate: unknown key; did you mean 'learning_rate'?"),
    ("finetune.learning_rate=fast", "--set finetune.learning_rate: must be a number, got 'fast'"),
    ("sources.7.path=x", "--set sources.7.path: sources is a list of 2 item(s); give an index from 0 to 1 instead of '7'"),
    ("sources.primer.path=x", "--set sources.primer.path: sources is a list of 2 item(s)"),
    ("eval.benchmarks.1.limit=3", "--set eval.benchmarks.1.limit: eval.benchmarks is a list of 1 item(s)"),
    ("data.filters.0=x", "--set data.filters.0: unknown key; known keys: min_chars"),
    ("name.first=x", "--set name.first: name is a single value ('demo'), not a section with keys"),
    ("finetune.seq_len", "--set finetune.seq_len: give KEY=VALUE"),
    ("eval.n_samples=[1", "--set eval.n_samples: the value is not valid YAML"),
    ("sources.0.workers=0", "--set sources.0.workers: must be greater than 0, got 0"),
    ("finetune.lora={r: many}", "--set finetune.lora.r: must be an integer, got 'many'"),
    ("sources.0.url=https://example.com/b.pdf", "recipes/demo.yaml with --set sources.0.url: sources[0]: give exactly one of"),
    ("sources.1.name=primer", "recipes/demo.yaml with --set sources.1.name: sources: source names must be unique"),
])
def test_bad_overrides_are_one_line_naming_the_set(override, expected):
    with pytest.raises(RecipeError) as caught:
        load_recipe(DEMO, [override])
    assert str(caught.value).startswith(expected) and "\n" not in str(caught.value)


@pytest.mark.parametrize("command", [["run"], ["data", "build"], ["data", "synthesize"], ["finetune"],
                                     ["finetune", "--estimate"]])
def test_every_recipe_command_validates_its_overrides(command):
    result = CliRunner().invoke(app, [*command, DEMO, "--set", "eval.n_sample=5"])
    assert result.exit_code == 2, result.output
    assert "--set eval.n_sample: unknown key; did you mean 'n_samples'?" in result.output


def test_finetune_estimate_uses_the_overrides(tmp_path):
    from tests.finetune.conftest import chat_rows, tiny_recipe, write_dataset

    write_dataset(tmp_path, chat_rows(16))  # a tiny model's estimate reads its tokenizer from the run's data
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(tiny_recipe(tmp_path).model_dump(mode="json", exclude_none=True)))
    result = CliRunner().invoke(app, ["finetune", str(path), "--estimate", "--set", "finetune.seq_len=96",
                                      "--set", "finetune.batch_size=3"])
    assert result.exit_code == 0, result.output
    assert "seq_len 96, batch 3" in result.output


def test_finetune_records_the_overrides_in_its_resolved_recipe(tmp_path):
    """A real (tiny) training run: the override changes the run and is saved in finetune/recipe.yaml."""
    from tests.finetune.conftest import chat_rows, tiny_recipe, write_dataset

    write_dataset(tmp_path, chat_rows(16))
    write_dataset(tmp_path, chat_rows(4, seed=1), split="validation")
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(tiny_recipe(tmp_path, max_steps=6).model_dump(mode="json", exclude_none=True)))
    result = CliRunner().invoke(app, ["finetune", str(path), "--set", "finetune.max_steps=2",
                                      "--set", "finetune.save_steps=2"])
    assert result.exit_code == 0, result.output
    saved = yaml.safe_load((tmp_path / "finetune" / "recipe.yaml").read_text())
    assert saved["finetune"]["max_steps"] == 2
    assert load_recipe(path).finetune.max_steps == 6


def test_run_checks_the_overridden_recipe_before_starting(tmp_path):
    result = CliRunner().invoke(app, ["run", DEMO, "--set", f"output_dir={tmp_path / 'run'}",
                                      "--set", "sources.0.path=nowhere/book.pdf"])
    assert result.exit_code == 2, result.output
    assert "sources[0].path: nowhere/book.pdf does not exist" in result.output
    assert not (tmp_path / "run").exists()  # preflight stopped it: nothing was started
