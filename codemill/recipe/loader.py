"""The recipe file: every section validated together, with `--set KEY=VALUE` overrides on top."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field, ValidationError, field_validator

from codemill.recipe.base import RecipeError, StrictModel, format_validation_error, read_yaml
from codemill.recipe.data import DataConfig
from codemill.recipe.eval import EvalConfig
from codemill.recipe.sources import SourceConfig
from codemill.recipe.finetune import FinetuneConfig, ModelConfig
from codemill.recipe.layout import RunLayout


class Recipe(StrictModel):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    output_dir: Path | None = None  # default: runs/<name>
    sources: list[SourceConfig] = []
    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    finetune: FinetuneConfig = FinetuneConfig()
    eval: EvalConfig = EvalConfig()

    @field_validator("sources")
    @classmethod
    def _unique_source_names(cls, sources: list[SourceConfig]) -> list[SourceConfig]:
        names = [source.name for source in sources]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"source names must be unique; repeated: {', '.join(repeated)}")
        return sources

    @property
    def run_dir(self) -> Path:
        return self.output_dir if self.output_dir is not None else Path("runs") / self.name

    @property
    def layout(self) -> RunLayout:
        return RunLayout(self.run_dir)


def _override(text: str) -> tuple[str, list[str], Any]:
    """`KEY=VALUE` -> (key, key parts, VALUE read as YAML, so numbers, booleans and lists keep their type)."""
    key, equals, value = text.partition("=")
    key = key.strip()
    parts = key.split(".")
    if not equals or not all(part.strip() for part in parts):
        raise RecipeError(f"--set {text}: give KEY=VALUE with a dotted key, e.g. --set finetune.learning_rate=1e-4")
    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError as error:
        raise RecipeError(f"--set {key}: the value is not valid YAML: {getattr(error, 'problem', None) or error}") from None
    return key, [part.strip() for part in parts], parsed


def _apply(data: dict, key: str, parts: list[str], value: Any) -> None:
    """Set `value` at the dotted `parts` of `data`; sections absent from the file are created, list items go by index."""
    node: Any = data
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        where = ".".join(parts[:depth]) or "the recipe"
        if isinstance(node, list):
            if not node:
                raise RecipeError(f"--set {key}: {where} has no items to index; give the whole list, "
                                  f"e.g. --set '{where}=[...]'")
            if not part.isdigit() or int(part) >= len(node):
                raise RecipeError(f"--set {key}: {where} is a list of {len(node)} item(s); "
                                  f"give an index from 0 to {len(node) - 1} instead of '{part}'")
            index: Any = int(part)
        elif isinstance(node, dict):
            index = part
        else:
            raise RecipeError(f"--set {key}: {where} is a single value ({node!r}), not a section with keys")
        if last:
            node[index] = value
        else:
            if isinstance(node, dict) and node.get(index) is None:
                node[index] = [] if parts[depth + 1].isdigit() else {}  # an index into nothing: said just below
            node = node[index]


def _location(parts: list[str]) -> str:
    """The key path as validation errors print it: `sources.0.path` -> `sources[0].path`."""
    return "".join(f"[{part}]" if part.isdigit() else (f".{part}" if i else part) for i, part in enumerate(parts))


def _blame(message: str, path: str | Path, overrides: list[tuple[str, list[str], Any]]) -> str:
    """Point each error line at the `--set` that caused it, in the user's own spelling of the key."""
    lines = []
    for line in message.splitlines():
        rest = line.removeprefix(f"{path}: ")
        where = rest.split(": ", 1)[0]
        for key, parts, _ in reversed(overrides):  # the last --set of a key is the one that counts
            found = next((loc for loc in (_location(parts), ".".join(parts))  # `.0` is a mapping key named '0'
                          if rest == loc or rest.startswith((loc + ":", loc + ".", loc + "["))), None)
            if found is not None:
                line = f"--set {key}{rest[len(found):]}"
                break
            if _location(parts).startswith((where + ".", where + "[")):  # a check of a whole section the --set changed
                line = f"{path} with --set {key}: {rest}"
                break
        lines.append(line)
    return "\n".join(lines)


def load_recipe(path: str | Path, overrides: Sequence[str] = ()) -> Recipe:
    """Read and validate a recipe file with `--set KEY=VALUE` overrides applied on top.

    Any problem raises RecipeError naming the file (or the `--set`) and the key."""
    data = read_yaml(path)
    if data is None and overrides:
        data = {}
    if not isinstance(data, dict):
        raise RecipeError(f"{path}: a recipe must be a mapping of sections, got {type(data).__name__}")
    parsed = [_override(text) for text in overrides]
    data = copy.deepcopy(data)
    for key, parts, value in parsed:
        _apply(data, key, parts, value)
    try:
        return Recipe.model_validate(data)
    except ValidationError as error:
        raise RecipeError(_blame(format_validation_error(str(path), Recipe, error), path, parsed)) from None
