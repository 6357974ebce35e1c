"""Per-step counts gathered from datatrove's per-task stats files, in pipeline order."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

# datatrove step names -> the names the dataset card and stats.json use
_STEP_NAMES = {"🎯 MinHash stage 4": "near_dedup", "💥 exact-deduplication stage 3": "exact_dedup"}


def _step_name(label: str) -> str:
    """`"🔻 - FILTER: length"` -> `"length"`; dedup stages get short names."""
    name = label.split(": ", 1)[-1]
    return _STEP_NAMES.get(name, name)


def _value(metric) -> float:
    return metric.get("total", 0) if isinstance(metric, dict) else metric


def merge_stage_stats(logs_folder: str | Path) -> list[tuple[str, dict[str, float]]]:
    """Sum each step's counters over the stage's finished tasks; steps keep their pipeline order."""
    totals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    order: list[str] = []
    for path in sorted(Path(logs_folder, "stats").glob("*.json")):
        for step in json.loads(path.read_text(encoding="utf-8")):
            name = _step_name(step["name"])
            if name not in order:
                order.append(name)
            for key, metric in step.get("stats", {}).items():
                totals[name][key] += _value(metric)
    return [(name, dict(totals[name])) for name in order]


def step_counts(name: str, counters: dict[str, float]) -> dict | None:
    """`{in, out, dropped, reasons}` for a step that passes documents on; None for bookkeeping steps."""
    if "total" in counters and ("forwarded" in counters or "dropped" in counters):
        reasons = {k.removeprefix("dropped_"): int(v) for k, v in counters.items() if k.startswith("dropped_")}
        entry = {"in": int(counters["total"]), "out": int(counters.get("forwarded", 0)), "dropped": int(counters.get("dropped", 0))}
        return entry | ({"reasons": reasons} if reasons else {})
    return None
