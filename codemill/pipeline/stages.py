"""The stages of a recipe, in order, each with its settings, inputs, outputs and a call into its package.

Stage packages are imported when a stage runs, not before, so a recipe that skips a stage never pays
for importing it (torch, transformers) and tests can stand in for any stage function.
"""

from __future__ import annotations

import importlib
import importlib.util
import shutil
from pathlib import Path
from typing import Any

from codemill.recipe.base import RecipeError
from codemill.recipe.sources import SourceConfig
from codemill.pipeline.runner import Stage, StageFailure, run_stages, say
from codemill.pipeline.state import RunState
from codemill.recipe import Recipe

EVAL_MODELS = ("base", "finetuned")


def _dump(section: Any) -> Any:
    return section.model_dump(mode="json")


def _existing(*paths: Path | str | None) -> list[Path]:
    """The paths among `paths` that are set and exist locally (hub ids are settings, not inputs)."""
    return [Path(path) for path in paths if path is not None and Path(path).exists()]


def set_aside(path: Path) -> None:
    """Move a stale output to `<path>.previous` (replacing an older one) instead of deleting it outright."""
    if path.exists():
        previous = path.with_name(path.name + ".previous")
        shutil.rmtree(previous, ignore_errors=True)
        path.rename(previous)
        say(f"  earlier {path} moved to {previous}")


def _check_summary(summary: Any) -> None:
    """Extractors report per-file failures instead of raising; a run does not go on without them."""
    failed = list(getattr(summary, "failed", None) or [])
    if failed:
        listed = "; ".join(f"{path}: {reason}" for path, reason in failed[:5])
        more = f" (and {len(failed) - 5} more)" if len(failed) > 5 else ""
        raise StageFailure(str(failed[0][0]), f"{len(failed)} input(s) failed: {listed}{more}")


def extract_stage(source: SourceConfig, run_dir: Path) -> Stage:
    out_dir = source.extracted_dir(run_dir)
    options = source.pdf if source.type == "pdf" else source.stackexchange
    if source.site is not None and options.site is None:
        options = options.model_copy(update={"site": source.site})

    def action(fresh: bool) -> None:
        if source.type == "huggingface":
            extract_huggingface = importlib.import_module("codemill.extract.huggingface").extract_huggingface
            _check_summary(extract_huggingface(source, out_dir, force=fresh))
            return
        if source.path is not None and not source.path.exists():
            if source.extracted is not None and any(out_dir.glob("*")):
                say(f"  {source.path} is absent; using the already extracted {out_dir}")
                return
            raise StageFailure(str(source.path), f"source '{source.name}' path does not exist")
        remote = importlib.import_module("codemill.extract.remote")
        try:
            local = remote.local_input(source)  # url/site: downloaded once into the cache
        except (ValueError, OSError) as error:  # FetchError is an OSError
            raise StageFailure(source.location, str(error)) from None
        if source.type == "pdf":
            extract_pdfs = importlib.import_module("codemill.extract.pdf").extract_pdfs
            summary = extract_pdfs([local], out_dir, options=options, workers=source.workers, force=fresh)
        else:
            extract_stackexchange = importlib.import_module("codemill.extract.stackexchange").extract_stackexchange
            summary = extract_stackexchange(local, out_dir, options=options, workers=source.workers, force=fresh)
        _check_summary(summary)

    origin = {key: str(value) for key in ("url", "sha256", "site", "dataset") if (value := getattr(source, key))}
    settings = {"type": source.type, "options": _dump(options)} | origin
    if source.type == "huggingface":
        settings |= source.model_dump(mode="json", include={"config", "split", "limit", "text", "question", "answer",
                                                            "title", "license", "attribution"})
    inputs = [source.path] if source.path is not None else []
    return Stage(f"extract:{source.name}", source.location, settings, inputs, [out_dir], action)


def unextracted_sources(recipe: Recipe) -> list[SourceConfig]:
    """The sources whose extracted folder is absent or empty: `codemill data build` extracts them first."""
    return [source for source in recipe.sources
            if not (folder := source.extracted_dir(recipe.run_dir)).is_dir() or not any(folder.iterdir())]


def extract_sources(sources: list[SourceConfig], state: RunState) -> None:
    """Run the extract stages of `sources` as `codemill run` does (same lines, same manifest entries)."""
    run_stages([extract_stage(source, state.run_dir) for source in sources], state)


def data_stage(recipe: Recipe) -> Stage:
    run_dir = recipe.run_dir
    decont = recipe.data.decontamination
    inputs = [source.extracted_dir(run_dir) for source in recipe.sources]
    inputs += _existing(decont.humaneval_path, decont.mbpp_path, recipe.data.tokenizer)

    def action(fresh: bool) -> None:
        if fresh:
            shutil.rmtree(run_dir / "dataset.work", ignore_errors=True)  # the build's own resume state
        importlib.import_module("codemill.datasets").build_dataset(recipe)

    sources = [source.model_dump(mode="json", exclude={"workers"}) for source in recipe.sources]  # workers: speed only
    settings = {"data": _dump(recipe.data), "sources": sources}
    return Stage("data", "the extracted sources", settings, inputs, [run_dir / "dataset"], action)


def base_model_inputs(recipe: Recipe) -> list[Path]:
    """What the base model is read from: the built tiny model, or a local model folder."""
    if recipe.model.tiny is not None:
        return [recipe.run_dir / "base_model"]
    return _existing(recipe.model.name_or_path)


def finetune_stage(recipe: Recipe) -> Stage:
    run_dir = recipe.run_dir
    outputs = [run_dir / "finetune"] + ([run_dir / "base_model"] if recipe.model.tiny is not None else [])

    def action(fresh: bool) -> None:
        if fresh:
            for path in outputs:
                set_aside(path)
        if recipe.finetune.gpus > 1:  # one process per GPU, as `codemill finetune` starts them
            importlib.import_module("codemill.finetune.launch").launch_recipe(recipe, recipe.finetune.gpus, resume=not fresh)
        else:
            importlib.import_module("codemill.finetune").finetune(recipe, resume=not fresh)

    settings = {"model": _dump(recipe.model), "finetune": _dump(recipe.finetune)}
    inputs = [run_dir / "dataset"] + _existing(recipe.model.name_or_path)
    return Stage("finetune", str(run_dir / "dataset"), settings, inputs, outputs, action)


def benchmark_name(spec: Any) -> str:
    return spec.name


def eval_stage(recipe: Recipe, spec: Any, which: str) -> Stage:
    run_dir = recipe.run_dir
    out_dir = run_dir / "eval" / which / benchmark_name(spec)
    adapter = run_dir / "finetune" / "adapter" if which == "finetuned" else None

    def action(fresh: bool) -> None:
        if fresh:  # the evaluator resumes by model path, which stays the same when the weights change
            shutil.rmtree(out_dir, ignore_errors=True)
        model = importlib.import_module("codemill.finetune").resolve_base_model(recipe)
        evaluate_from_config = importlib.import_module("codemill.evals.runner").evaluate_from_config
        evaluate_from_config(recipe.eval, spec, out_dir, model=model, adapter=str(adapter) if adapter else None)

    eval_settings = _dump(recipe.eval) | {"benchmarks": None}
    settings = {"model": _dump(recipe.model), "eval": eval_settings, "benchmark": _dump(spec)}
    inputs = base_model_inputs(recipe) + _existing(spec.data_file) + ([adapter] if adapter else [])
    subject = f"{which} model on {benchmark_name(spec)}"
    return Stage(f"eval:{which}:{benchmark_name(spec)}", subject, settings, inputs, [out_dir], action)


def compare_stage(recipe: Recipe) -> Stage:
    run_dir = recipe.run_dir
    specs = recipe.eval.benchmarks
    eval_dirs = [run_dir / "eval" / which / benchmark_name(spec) for which in EVAL_MODELS for spec in specs]

    def action(fresh: bool) -> None:
        importlib.import_module("codemill.evals").compare_runs(eval_dirs, run_dir / "compare")

    return Stage("compare", "the eval results", {}, eval_dirs, [run_dir / "compare"], action)


def report_stage(recipe: Recipe) -> Stage:
    run_dir = recipe.run_dir
    inputs = [run_dir / name for name in ("dataset", "finetune", "eval", "compare")]

    def action(fresh: bool) -> None:
        importlib.import_module("codemill.pipeline.report").write_report(run_dir)

    return Stage("report", str(run_dir), {}, inputs, [run_dir / "report.html"], action)


def report_available() -> bool:
    return importlib.util.find_spec("codemill.pipeline.report") is not None


def _check_benchmark_names(recipe: Recipe) -> None:
    names = [benchmark_name(spec) for spec in recipe.eval.benchmarks]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise RecipeError(
            f"eval.benchmarks: {', '.join(repeated)} is listed more than once; each benchmark writes to "
            "eval/<model>/<name>/, so list each name once"
        )


def plan_stages(recipe: Recipe) -> list[Stage]:
    """Every stage the recipe asks for, in the order they must run."""
    _check_benchmark_names(recipe)
    stages = [extract_stage(source, recipe.run_dir) for source in recipe.sources]
    stages += [data_stage(recipe), finetune_stage(recipe)]
    for which in EVAL_MODELS:
        stages += [eval_stage(recipe, spec, which) for spec in recipe.eval.benchmarks]
    if recipe.eval.benchmarks:
        stages.append(compare_stage(recipe))
    if report_available():
        stages.append(report_stage(recipe))
    return stages
