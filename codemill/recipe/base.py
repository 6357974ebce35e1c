"""Typed recipe configuration: YAML in, validated pydantic objects out, errors that name the key.

Every stage declares its own section as a `StrictModel`; `codemill.recipe.loader.Recipe` puts them together.
Validation happens once, at the edge; the rest of the code receives plain, trusted objects.
"""

from __future__ import annotations

import difflib
import types
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError


class StrictModel(BaseModel):
    """Base for every config section: unknown keys are errors, values are checked on assignment too."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, protected_namespaces=())


class RecipeError(ValueError):
    """A recipe that cannot be used; the message names the file, the key path and what is wrong."""


_MESSAGES = {
    "int_parsing": "must be an integer",
    "int_type": "must be an integer",
    "int_from_float": "must be a whole number",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": "must be a string",
    "list_type": "must be a list",
    "dict_type": "must be a mapping (key: value)",
    "model_type": "must be a mapping (key: value)",
    "model_attributes_type": "must be a mapping (key: value)",
    "missing": "is required",
}


_BOUNDS = {
    "greater_than": ("greater than", "gt"),
    "greater_than_equal": ("at least", "ge"),
    "less_than": ("less than", "lt"),
    "less_than_equal": ("at most", "le"),
}


def _describe(error: dict[str, Any]) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind in _MESSAGES:
        message = _MESSAGES[kind]
    elif kind in _BOUNDS:
        words, key = _BOUNDS[kind]
        message = f"must be {words} {ctx[key]:g}"
    elif kind in ("literal_error", "enum"):
        message = f"must be one of {ctx.get('expected', '')}"
    elif kind == "value_error":  # a validator's own sentence: it says what to do, the input is the whole mapping
        return str(ctx.get("error") or error["msg"])
    else:
        message = error["msg"][0].lower() + error["msg"][1:]
    if kind in ("value_error", "assertion_error"):
        message = message.removeprefix("value error, ").removeprefix("assertion failed, ")
    if kind != "missing" and not (kind in ("value_error", "assertion_error") and isinstance(error["input"], (dict, list))):
        got = repr(error["input"])
        message += f", got {got if len(got) <= 120 else got[:117] + '...'}"
    return message


def _unwrap_model(annotation: Any) -> type[BaseModel] | None:
    """The config class inside an annotation such as `X`, `X | None`, `list[X]` or `dict[str, X]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list, tuple, dict, typing.Annotated):
        for arg in typing.get_args(annotation):
            found = _unwrap_model(arg)
            if found is not None:
                return found
    return None


def _model_at(root: type[BaseModel], path: tuple) -> type[BaseModel] | None:
    """Walk the config classes along a pydantic error location to the class that owns its last key."""
    model: type[BaseModel] | None = root
    for part in path:
        if model is None:
            return None
        if isinstance(part, int) or part not in model.model_fields:
            continue  # list index, dict key or union tag: stay on the same class
        model = _unwrap_model(model.model_fields[part].annotation)
    return model


def _format_location(loc: tuple) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def format_validation_error(source: str, root: type[BaseModel], error: ValidationError) -> str:
    """One line per problem: `source: key.path: what is wrong, got VALUE` (plus 'did you mean')."""
    lines = []
    for item in error.errors():
        loc = tuple(part for part in item["loc"] if not (isinstance(part, str) and "[" in part))
        where = _format_location(loc)
        if item["type"] == "extra_forbidden":
            owner = _model_at(root, loc[:-1])
            known = list(owner.model_fields) if owner else []
            guess = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
            hint = f"; did you mean '{guess[0]}'?" if guess else (f"; known keys: {', '.join(known)}" if known else "")
            lines.append(f"{source}: {where}: unknown key{hint}")
        else:
            lines.append(f"{source}: {where}: {_describe(item)}")
    return "\n".join(lines)


def validate_config(model: type[BaseModel], data: Any, source: str = "<recipe>"):
    """Validate plain data into `model`, raising RecipeError with key-path messages."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise RecipeError(format_validation_error(source, model, error)) from None


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a mapping with the same key twice (PyYAML keeps the last one silently)."""

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                first = seen.setdefault(key, line)
            except TypeError:
                continue  # an unhashable key: the regular constructor reports it
            if first != line:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key '{key}' on lines {first} and {line}; keep one of them",
                    key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: str | Path) -> Any:
    """Parse a YAML file, turning I/O and syntax problems into a RecipeError naming the file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RecipeError(f"{path}: no such recipe file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise RecipeError(f"{path}: cannot read: {error}") from None
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise RecipeError(f"{path}: invalid YAML: {where}{problem}") from None
