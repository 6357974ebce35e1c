"""`codemill report RUN_DIR`: one self-contained HTML page showing what a run did and what it changed.

The page has no scripts and loads nothing: CSS is inline, charts are inline SVG, every piece of text
from the run folder (records, generated code) is escaped by the template, and a Content-Security-Policy
forbids scripts and remote loads besides. A stage that has not run shows as "not run"; a damaged file
shows its error in place of its section, and the rest of the page still renders.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any, Callable

import jinja2

from codemill.common.atomic import atomic_write_text
from codemill.pipeline.report_charts import loss_chart
from codemill.pipeline.report_dataset import dataset_section
from codemill.pipeline.report_eval import eval_section, problems_section
from codemill.pipeline.report_inputs import ReportInputError, as_number, read_json, read_jsonl, read_text
from codemill.recipe.layout import RunLayout


def _guarded(build: Callable[..., dict | None], *args: Any) -> dict:
    """Run one section builder; a damaged input becomes that section's error instead of a crash."""
    try:
        return {"data": build(*args), "error": None}
    except ReportInputError as error:
        return {"data": None, "error": str(error)}


def _loss_points(rows: list[dict], key: str, x_key: str) -> list[tuple[float, float]]:
    points = []
    for row in rows:
        x, y = as_number(row.get(x_key)), as_number(row.get(key))
        if x is not None and y is not None:
            points.append((x, y))
    return points


def training_section(run_dir: Path) -> dict | None:
    """Loss curves and headline figures from the trainer's log history (`finetune/metrics.jsonl`)."""
    path = RunLayout(run_dir).finetune / "metrics.jsonl"
    if not path.is_file():
        return None
    rows, skipped = read_jsonl(path)
    x_key = "step" if any("step" in row for row in rows) else "epoch"
    train, validation = _loss_points(rows, "loss", x_key), _loss_points(rows, "eval_loss", x_key)
    summary = [("logged rows", len(rows))]
    if train:
        summary += [(f"last {x_key}", f"{train[-1][0]:g}"), ("last training loss", f"{train[-1][1]:.4f}")]
    if validation:
        best = min(validation, key=lambda point: point[1])
        summary.append(("best validation loss", f"{best[1]:.4f} at {x_key} {best[0]:g}"))
    final = next((row for row in reversed(rows) if "train_runtime" in row), {})
    for key, label in (("train_loss", "mean training loss"), ("train_runtime", "training time (s)")):
        if as_number(final.get(key)) is not None:
            summary.append((label, f"{final[key]:.4g}"))
    return {
        "chart": loss_chart(train, validation, x_key) if train or validation else None,
        "summary": summary,
        "skipped": skipped,
        "recipe": read_text(RunLayout(run_dir).finetune / "recipe.yaml"),
    }


def _stage_rows(manifest: Any) -> list[dict]:
    """Each stage in manifest.json (written by `codemill run`) with its status, time and any error."""
    stages = manifest.get("stages") if isinstance(manifest, dict) else None
    if not isinstance(stages, dict):
        return []
    rows = []
    for name, stage in stages.items():
        stage = stage if isinstance(stage, dict) else {"status": stage}
        duration = as_number(stage.get("duration_s"))
        rows.append({"name": name, "status": str(stage.get("status", "?")),
                     "duration": f"{duration:.1f} s" if duration is not None else "",
                     "finished": str(stage.get("finished") or ""), "error": str(stage.get("error") or "")})
    return rows


def _load_compare(run_dir: Path) -> Any:
    return read_json(RunLayout(run_dir).compare / "compare.json")


def _eval(run_dir: Path) -> dict | None:
    return eval_section(run_dir, _load_compare(run_dir))


def _problems(run_dir: Path) -> dict | None:
    return problems_section(run_dir, _load_compare(run_dir))


def _manifest(run_dir: Path) -> dict:
    return {"stages": _stage_rows(read_json(RunLayout(run_dir).manifest))}


def report_context(run_dir: Path) -> dict:
    """Everything the template needs, one guarded entry per section."""
    return {
        "run_name": run_dir.resolve().name,
        "run_dir": str(run_dir),
        "generated": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "tiny_model": RunLayout(run_dir).base_model.is_dir(),
        "manifest": _guarded(_manifest, run_dir),
        "dataset": _guarded(dataset_section, run_dir),
        "training": _guarded(training_section, run_dir),
        "evaluation": _guarded(_eval, run_dir),
        "problems": _guarded(_problems, run_dir),
    }


def render_report(run_dir: Path) -> str:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment.get_template("report_template.html").render(report_context(run_dir))


def write_report(run_dir: str | Path) -> Path:
    """Write `<run_dir>/report.html` (atomically) and return its path."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ReportInputError(f"{run_dir}: no such run folder")
    target = RunLayout(run_dir).report
    atomic_write_text(target, render_report(run_dir))
    return target
