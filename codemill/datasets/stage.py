"""`run_data`: the recipe's extracted sources -> the training dataset, as one stage of `codemill run`."""

from __future__ import annotations

import json
from pathlib import Path

from codemill.common.summary import Summary


def run_data(recipe, inputs: list[Path], out_dir: Path, *, force: bool) -> Summary:
    """Build the dataset from `inputs` (the extracted folder of each recipe source, in order) into `out_dir`.

    The build reads the recipe's `data` and `sources` sections and keeps its resume state beside the
    dataset; `force` discards that state first. The folders must be the recipe's own run layout."""
    from codemill.datasets.build import build_dataset

    layout = recipe.layout
    expected = [layout.extracted(source) for source in recipe.sources]
    if [Path(path) for path in inputs] != expected or Path(out_dir) != layout.dataset:
        raise ValueError(f"data build reads {expected} and writes {layout.dataset}, the recipe's run folder")
    dataset = build_dataset(recipe, force=force)
    stats_file = dataset / "stats.json"  # absent when Slurm jobs were only queued
    stats = json.loads(stats_file.read_text(encoding="utf-8")) if stats_file.is_file() else {}
    records, tokens = stats.get("records") or {}, stats.get("tokens") or {}
    counts = {f"{split} records": count for split, count in records.items() if isinstance(count, (int, float))}
    if isinstance(tokens.get("train"), (int, float)):
        counts["train tokens"] = tokens["train"]
    return Summary(counts=counts, outputs=[dataset])
