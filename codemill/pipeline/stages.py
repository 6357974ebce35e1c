"""The stages of a recipe, in order, each with its settings, inputs, outputs and a call to its package's `run_<stage>`.

Every path comes from the recipe's `RunLayout`. The stage packages are imported inside the actions,
so a recipe that skips a stage never pays for importing it (torch, transformers) and `--help` stays fast.
The stage graph is data -> base_model -> (eval:base, finetune -> eval:finetuned) -> compare -> report,
run in that order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codemill.common.summary import Summary
from codemill.extract import extract_options
from codemill.pipeline.runner import Stage, run_stages
from codemill.pipeline.state import RunState
from codemill.recipe.loader import Recipe
from codemill.recipe.base import RecipeError
from codemill.recipe.data import DataConfig
from codemill.recipe.eval import BenchmarkSpec
from codemill.recipe.layout import RunLayout
from codemill.recipe.sources import SourceConfig

EVAL_MODELS = ("base", "finetuned")


def _dump(section: Any) -> Any:
    return section.model_dump(mode="json")


def _existing(*paths: Path | str | None) -> list[Path]:
    """The paths among `paths` that are set and exist locally (hub ids are settings, not inputs)."""
    return [Path(path) for path in paths if path is not None and Path(path).exists()]


def extract_stage(source: SourceConfig, run_dir: Path, data: DataConfig | None = None) -> Stage:
    out_dir = RunLayout(run_dir).extracted(source)
    inputs = [source.path] if source.path is not None else []  # url, site, dataset: fetched by the stage

    def action(fresh: bool) -> Summary:
        from codemill.extract import run_extract

        return run_extract(source, inputs, out_dir, force=fresh, data=data)

    origin = {key: str(value) for key in ("url", "sha256", "site", "dataset") if (value := getattr(source, key))}
    settings = {"type": source.type, "options": _dump(extract_options(source))} | origin
    if source.type == "huggingface":
        settings |= source.model_dump(mode="json", include={"config", "split", "limit", "text", "question", "answer",
                                                            "title", "license", "attribution"})
    return Stage(f"extract:{source.name}", source.location, settings, inputs, [out_dir], action)


def unextracted_sources(recipe: Recipe) -> list[SourceConfig]:
    """The sources whose extracted folder is absent or empty: `codemill data build` extracts them first."""
    return [source for source in recipe.sources
            if not (folder := recipe.layout.extracted(source)).is_dir() or not any(folder.iterdir())]


def extract_sources(sources: list[SourceConfig], state: RunState, data: DataConfig | None = None) -> None:
    """Run the extract stages of `sources` as `codemill run` does (same lines, same manifest entries)."""
    run_stages([extract_stage(source, state.run_dir, data) for source in sources], state)


def data_stage(recipe: Recipe) -> Stage:
    layout, decont = recipe.layout, recipe.data.decontamination
    extracted = [layout.extracted(source) for source in recipe.sources]

    def action(fresh: bool) -> Summary:
        from codemill.datasets import run_data

        return run_data(recipe, extracted, layout.dataset, force=fresh)

    sources = [source.model_dump(mode="json", exclude={"workers"}) for source in recipe.sources]  # workers: speed only
    settings = {"data": _dump(recipe.data), "sources": sources}
    inputs = extracted + _existing(decont.humaneval_path, decont.mbpp_path, recipe.data.tokenizer)
    return Stage("data", "the extracted sources", settings, inputs, [layout.dataset], action)


def base_model_stage(recipe: Recipe) -> Stage | None:
    """Builds `model.tiny` from the dataset; None for a hub or local model, which is read as it is."""
    tiny, layout, seed = recipe.model.tiny, recipe.layout, recipe.finetune.seed
    if tiny is None:
        return None

    def action(fresh: bool) -> Summary:
        from codemill.finetune import run_base_model

        return run_base_model(recipe.model, layout.dataset, layout.base_model, force=fresh, seed=seed)

    settings = {"tiny": _dump(tiny), "seed": seed}
    return Stage("base_model", str(layout.dataset), settings, [layout.dataset], [layout.base_model], action)


def base_model_path(recipe: Recipe) -> str:
    """The base model finetune and eval read: the run's built tiny model, or the recipe's hub id or folder."""
    if recipe.model.tiny is not None:
        return str(recipe.layout.base_model)
    if not recipe.model.name_or_path:
        raise RecipeError("model: set name_or_path (hub id or local folder) or tiny")
    return recipe.model.name_or_path


def base_model_inputs(recipe: Recipe) -> list[Path]:
    """What the base model is read from: the built tiny model, or a local model folder."""
    if recipe.model.tiny is not None:
        return [recipe.layout.base_model]
    return _existing(recipe.model.name_or_path)


def finetune_stage(recipe: Recipe) -> Stage:
    layout = recipe.layout

    def action(fresh: bool) -> Summary:
        from codemill.finetune import run_finetune

        return run_finetune(recipe, layout.dataset, layout.finetune, force=fresh, model=base_model_path(recipe))

    settings = {"model": _dump(recipe.model), "finetune": _dump(recipe.finetune)}
    inputs = [layout.dataset] + base_model_inputs(recipe)
    return Stage("finetune", str(layout.dataset), settings, inputs, [layout.finetune], action)


def eval_stage(recipe: Recipe, spec: BenchmarkSpec, which: str) -> Stage:
    layout = recipe.layout
    out_dir = layout.eval_dir(which, spec.name)
    adapter = layout.adapter if which == "finetuned" else None

    def action(fresh: bool) -> Summary:
        from codemill.evals import run_eval

        return run_eval(recipe.eval, base_model_path(recipe), out_dir, force=fresh, benchmark=spec, adapter=adapter)

    eval_settings = _dump(recipe.eval) | {"benchmarks": None}
    settings = {"model": _dump(recipe.model), "eval": eval_settings, "benchmark": _dump(spec)}
    inputs = base_model_inputs(recipe) + _existing(spec.data_file) + ([adapter] if adapter else [])
    return Stage(f"eval:{which}:{spec.name}", f"{which} model on {spec.name}", settings, inputs, [out_dir], action)


def compare_stage(recipe: Recipe) -> Stage:
    layout = recipe.layout
    eval_dirs = [layout.eval_dir(which, spec.name) for which in EVAL_MODELS for spec in recipe.eval.benchmarks]

    def action(fresh: bool) -> Summary:
        from codemill.evals import run_compare

        return run_compare(eval_dirs, layout.compare, force=fresh)

    return Stage("compare", "the eval results", {}, eval_dirs, [layout.compare], action)


def report_stage(recipe: Recipe) -> Stage:
    layout = recipe.layout
    inputs = [layout.dataset, layout.finetune, layout.eval, layout.compare]

    def action(fresh: bool) -> Summary:
        from codemill.pipeline.report import write_report

        return Summary(outputs=[write_report(layout.root)])  # always rewritten whole

    return Stage("report", str(layout.root), {}, inputs, [layout.report], action)


def _check_benchmark_names(recipe: Recipe) -> None:
    names = [spec.name for spec in recipe.eval.benchmarks]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise RecipeError(
            f"eval.benchmarks: {', '.join(repeated)} is listed more than once; each benchmark writes to "
            "eval/<model>/<name>/, so list each name once"
        )


def plan_stages(recipe: Recipe) -> list[Stage]:
    """Every stage the recipe asks for, in an order that runs each after the stages it reads from.

    The base model is scored before training starts: its scores do not wait on (or depend on) finetune."""
    _check_benchmark_names(recipe)
    stages = [extract_stage(source, recipe.run_dir, recipe.data) for source in recipe.sources]
    stages.append(data_stage(recipe))
    base_model = base_model_stage(recipe)
    stages += [base_model] if base_model is not None else []
    stages += [eval_stage(recipe, spec, "base") for spec in recipe.eval.benchmarks]
    stages.append(finetune_stage(recipe))
    stages += [eval_stage(recipe, spec, "finetuned") for spec in recipe.eval.benchmarks]
    if recipe.eval.benchmarks:
        stages.append(compare_stage(recipe))
    return stages + [report_stage(recipe)]
