"""The table `codemill run` ends with: each stage, its time, and the figures a person looks for first."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from codemill.common.console import console
from codemill.pipeline.report_inputs import ReportInputError, as_number, read_json, read_jsonl
from codemill.recipe.layout import RunLayout


def key_figures(run_dir: Path) -> dict[str, str]:
    """Records, tokens, last training loss and pass@1 base -> fine-tuned, for those the run has made."""
    layout = RunLayout(run_dir)
    try:
        stats = read_json(layout.dataset / "stats.json") or {}
        history, _ = read_jsonl(layout.finetune / "metrics.jsonl")
        compare = read_json(layout.compare / "compare.json") or {}
    except ReportInputError:  # a damaged file is the report's to explain; the summary just leaves it out
        stats, history, compare = {}, [], {}
    figures = {}
    records, tokens = stats.get("records") or {}, stats.get("tokens") or {}
    if records:
        figures["dataset"] = f"{records.get('train', 0):,} train / {records.get('validation', 0):,} validation records"
    if tokens.get("train") is not None:
        figures["train tokens"] = f"{tokens['train']:,}"
    losses = [loss for loss in (as_number(row.get("loss")) for row in history) if loss is not None]
    if losses:
        figures["last training loss"] = f"{losses[-1]:.4f}"
    for benchmark, systems in (compare.get("benchmarks") or {}).items():
        scores = [row.get("pass@1") for row in systems.values() if isinstance(row, dict)]
        if scores and all(isinstance(score, (int, float)) for score in scores):
            figures[f"{benchmark} pass@1"] = " -> ".join(f"{100 * score:.1f}%" for score in scores)
    return figures


def print_summary(run_dir: Path, outcomes: list) -> None:
    ran = sum(outcome.status == "ran" for outcome in outcomes)
    title = f"codemill run: finished, {ran} stage(s) ran, {len(outcomes) - ran} up to date; library output in {RunLayout(run_dir).logs}"
    console.print(title, markup=False, emoji=False, highlight=False, soft_wrap=True)  # not wrapped to the table's width
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("stage")
    table.add_column("status")
    table.add_column("time", justify="right")
    for outcome in outcomes:
        table.add_row(outcome.key, outcome.status, f"{outcome.duration_s:.1f}s" if outcome.status == "ran" else "-")
    console.print(table, emoji=False, highlight=False)
    figures = Table.grid(padding=(0, 2))
    for name, value in key_figures(run_dir).items():
        figures.add_row(name, value)
    console.print(figures, emoji=False, highlight=False)
