"""Recipe parsing: valid recipes load; every kind of bad value is reported with file and key path."""

from __future__ import annotations

import textwrap

import pytest

from codemill.recipe.base import RecipeError
from codemill.recipe.loader import Recipe, load_recipe


def write(tmp_path, text: str):
    path = tmp_path / "x.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_valid_recipe_loads_into_typed_sections(tmp_path):
    path = write(
        tmp_path,
        """
        name: demo
        output_dir: out/demo
        sources:
          - {name: book, type: pdf, path: books/, pdf: {language: python}}
          - {name: se, type: stackexchange, path: dump/, weight: 2}
        finetune:
          method: qlora
          lora: {r: 8, alpha: 16, target_modules: [q_proj, v_proj]}
        """,
    )
    recipe = load_recipe(path)
    assert isinstance(recipe, Recipe)
    assert recipe.sources[0].pdf.language == "python"
    assert recipe.sources[1].weight == 2.0
    assert recipe.finetune.lora.r == 8
    assert recipe.finetune.lora.target_modules == ["q_proj", "v_proj"]
    assert str(recipe.run_dir) == "out/demo"
    assert str(recipe.layout.extracted(recipe.sources[0])) == "out/demo/extract/book"


def test_run_dir_defaults_to_runs_name(tmp_path):
    assert str(load_recipe(write(tmp_path, "name: abc\n")).run_dir) == "runs/abc"


@pytest.mark.parametrize(
    "body, expected",
    [
        ("finetune: {lora: {r: sixteen}}", "finetune.lora.r: must be an integer, got 'sixteen'"),
        ("finetune: {lora: {r: 0}}", "finetune.lora.r: must be greater than 0, got 0"),
        ("finetune: {learning_rate: fast}", "finetune.learning_rate: must be a number, got 'fast'"),
        ("finetune: {packing: maybe}", "finetune.packing: must be true or false, got 'maybe'"),
        ("finetune: {method: full}", "finetune.method: must be one of 'lora', 'qlora' or 'dora', got 'full'"),
        ("finetune: {lora: [1, 2]}", "finetune.lora: must be a mapping (key: value), got [1, 2]"),
        ("sources: [{name: a, type: pdf}]", "sources[0]: give exactly one of path, url, site, dataset (got none)"),
        ("sources: [{name: a, type: pdf, path: p, url: 'https://x/y.pdf'}]",
         "sources[0]: give exactly one of path, url, site, dataset (got path, url)"),
        ("sources: [{name: a, type: pdf, site: codereview.stackexchange.com}]",
         "sources[0]: site: is for `type: stackexchange` sources (a dump on the Internet Archive)"),
        ("sources: [{name: a, type: huggingface, dataset: o/n}]",
         "sources[0]: map the dataset's fields: either `text: FIELD`, or `question: FIELD` and `answer: FIELD`"),
        ("sources: [{name: a, type: pdf, path: p, sha256: abc}]",
         "sources[0].sha256: string should match pattern '^[0-9a-fA-F]{64}$', got 'abc'"),
        ("sources: [{name: a, type: pdf, path: p, weight: -1}]", "sources[0].weight: must be greater than 0, got -1"),
    ],
)
def test_invalid_values_name_file_and_key(tmp_path, body, expected):
    path = write(tmp_path, f"name: x\n{body}\n")
    with pytest.raises(RecipeError) as error:
        load_recipe(path)
    assert f"{path}: {expected}" in str(error.value).splitlines()


@pytest.mark.parametrize(
    "body, expected",
    [
        ("finetun: {}", "finetun: unknown key; did you mean 'finetune'?"),
        ("finetune: {lora: {alpah: 3}}", "finetune.lora.alpah: unknown key; did you mean 'alpha'?"),
        ("sources: [{name: a, type: pdf, path: p, pdf: {langage: c}}]",
         "sources[0].pdf.langage: unknown key; did you mean 'language'?"),
    ],
)
def test_unknown_keys_suggest_the_closest_key(tmp_path, body, expected):
    path = write(tmp_path, f"name: x\n{body}\n")
    with pytest.raises(RecipeError, match=None) as error:
        load_recipe(path)
    assert f"{path}: {expected}" in str(error.value).splitlines()


def test_unknown_key_without_close_match_lists_known_keys(tmp_path):
    path = write(tmp_path, "name: x\nfinetune: {lora: {zzz: 3}}\n")
    with pytest.raises(RecipeError, match=r"finetune\.lora\.zzz: unknown key; known keys: r, alpha"):
        load_recipe(path)


def test_every_problem_is_reported_at_once(tmp_path):
    path = write(tmp_path, "finetune: {lora: {r: x}, epochs: 0}\n")
    lines = str(pytest.raises(RecipeError, load_recipe, path).value).splitlines()
    assert len(lines) == 3  # missing name, bad r, bad epochs
    assert all(line.startswith(f"{path}: ") for line in lines)


def test_repeated_source_names_are_rejected(tmp_path):
    path = write(tmp_path, "name: x\nsources: [{name: a, type: pdf, path: p}, {name: a, type: pdf, path: q}]\n")
    with pytest.raises(RecipeError, match="source names must be unique; repeated: a"):
        load_recipe(path)


def test_yaml_syntax_error_names_line(tmp_path):
    path = write(tmp_path, "name: x\nfinetune: {lora: [\n")
    with pytest.raises(RecipeError, match=rf"{path}: invalid YAML: line \d+, column \d+"):
        load_recipe(path)


def test_missing_file_and_non_mapping(tmp_path):
    with pytest.raises(RecipeError, match="no such recipe file"):
        load_recipe(tmp_path / "absent.yaml")
    with pytest.raises(RecipeError, match="a recipe must be a mapping of sections, got list"):
        load_recipe(write(tmp_path, "- a\n- b\n"))


def test_a_key_given_twice_is_an_error_naming_both_lines(tmp_path):
    path = write(tmp_path, """\
        name: x
        finetune:
          learning_rate: 0.1
          batch_size: 2
          learning_rate: 0.2
        """)
    with pytest.raises(RecipeError, match=r"x.yaml: .*duplicate key 'learning_rate' on lines 3 and 5"):
        load_recipe(path)


def test_a_repeated_source_name_is_named_without_printing_the_whole_recipe(tmp_path):
    path = write(tmp_path, """\
        name: x
        sources:
          - {name: a, type: pdf, path: books/}
          - {name: a, type: pdf, path: more/}
        """)
    with pytest.raises(RecipeError) as caught:
        load_recipe(path)
    message = str(caught.value)
    assert message == f"{path}: sources: source names must be unique; repeated: a"
    assert "books" not in message and "{" not in message
