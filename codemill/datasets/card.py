"""The dataset card (README.md): how to load it, sources and licences, every step's counts, the recipe."""

from __future__ import annotations

import json
from pathlib import Path

from codemill.datasets.plan import BuildPlan

FABRICATED = ("fabricated_community_post", "fabricated_id_outlier")  # skip reasons of the StackExchange extractor

# No `configs:` block on purpose: the `datasets` cache keys a card-declared layout by its relative
# paths only, so every run's `dataset/` folder would load the first one's cached copy. The
# data/train-*.parquet and data/validation-*.parquet names are found by `datasets` on their own.
_HEADER = """---
tags:
- codemill
- code
---
"""


def _sources_table(plan: BuildPlan, licenses_found: dict[str, list[str]]) -> list[str]:
    lines = ["| source | type | weight | licence | attribution |", "|---|---|---|---|---|"]
    for s in plan.sources:
        stated = s["type"] != "huggingface"  # a huggingface source's keys may name fields: its records say
        licence = (stated and s.get("license")) or ", ".join(licenses_found.get(s["name"], [])) or "not stated: check before use"
        attribution = (stated and s.get("attribution")) or "per record (`metadata.attribution`)"
        lines.append(f"| {s['name']} | {s['type']} | {s['weight']:g} | {licence} | {attribution} |")
    return lines


def _fabricated_lines(plan: BuildPlan) -> list[str]:
    """Posts each StackExchange source dropped as fabricated at extraction (read from its summary.json)."""
    lines = []
    for s in plan.sources:
        summary = Path(plan.run_dir) / "extract" / s["name"] / "summary.json"
        if s["type"] != "stackexchange" or not summary.is_file():
            continue
        try:
            skipped = json.loads(summary.read_text(encoding="utf-8"))["skipped"]
            count = sum(skipped.get(reason, {}).get("count", 0) for reason in FABRICATED)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
        lines.append(f"- fabricated posts dropped from {s['name']} at extraction: {count} "
                     "(Community-user questions and answers, and ids far above the rest)")
    return lines


def _steps_table(stats: dict) -> list[str]:
    lines = ["| step | in | out | dropped | details |", "|---|---|---|---|---|"]
    for name, entry in stats["steps"].items():
        extra = {k: v for k, v in entry.items() if k not in ("in", "out", "dropped", "reasons")}
        details = ", ".join(f"{k}: {v}" for k, v in (entry.get("reasons", {}) | extra).items())
        lines.append(f"| {name} | {entry.get('in', '')} | {entry.get('out', '')} | {entry.get('dropped', '')} | {details} |")
    return lines


def render_card(plan: BuildPlan, stats: dict) -> str:
    data = plan.data
    body = [
        _HEADER,
        f"# Training data built by codemill from `{plan.run_dir}`",
        "",
        f"Format: **{data['format']}** ({'`messages` of role/content' if data['format'] == 'chat' else 'plain `text`'}),"
        " plus `id`, `source`, `group` (the thread or document the record came from; a group never straddles"
        " train and validation) and `metadata` (a JSON string with licence, attribution, url, heading path).",
        "",
        "```python",
        "from datasets import load_dataset",
        f"dataset = load_dataset({str(plan.dataset_dir)!r})",
        "```",
        "",
        "## Sources, licences and attribution",
        "",
        *_sources_table(plan, stats.get("licenses_by_source", {})),
        "",
        "StackExchange content is CC BY-SA: keep each record's `metadata.attribution` (authors, site, url, licence) "
        "with anything derived from it. Textbook licences are the source's `license:` key.",
        "",
        "## Records and tokens",
        "",
        f"- train: {stats['records']['train']} records, {stats['tokens']['train']} tokens",
        f"- validation: {stats['records']['validation']} records, {stats['tokens']['validation']} tokens",
        f"- tokens counted with: {stats['token_counter']}",
        f"- train tokens by source: {stats['train_tokens_by_source']}",
        f"- malformed input records skipped: {len(stats['malformed'])} (listed in stats.json)",
        f"- benchmark hits removed by decontamination: {stats['decontamination_hits']} (decontamination.jsonl)",
        *_fabricated_lines(plan),
        "",
        "## Steps",
        "",
        *_steps_table(stats),
        "",
        "A few dropped examples per filter are in `drops/<step>.jsonl`.",
        "",
        "## Recipe",
        "",
        "```yaml",
        plan.recipe_yaml.rstrip(),
        "```",
        "",
    ]
    return "\n".join(body)
