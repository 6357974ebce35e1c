"""The dataset card (README.md): how to load it, sources and licences, every step's counts, the recipe."""

from __future__ import annotations

import json
import re
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
        folder = s.get("extracted")  # the source's extracted folder (build._plan)
        if s["type"] != "stackexchange" or folder is None or not (summary := Path(folder) / "summary.json").is_file():
            continue
        try:
            skipped = json.loads(summary.read_text(encoding="utf-8"))["skipped"]
            count = sum(skipped.get(reason, {}).get("count", 0) for reason in FABRICATED)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
        lines.append(f"- fabricated posts dropped from {s['name']} at extraction: {count} "
                     "(Community-user questions and answers, and ids far above the rest)")
    return lines


def _benchmark_source(source: dict) -> str:
    """One benchmark read, in words: `file PATH (sha256 ...)`, `package NAME VERSION`, `hub REPO at REVISION`."""
    digest = f" (sha256 {source['sha256'][:12]})" if source.get("sha256") else ""
    if source.get("kind") == "hub":
        return f"Hub `{source.get('repo')}` at revision `{source.get('revision')}`"
    if source.get("kind") == "package":
        return f"package `{source.get('package')}` {source.get('version')}{digest}"
    return f"file `{source.get('path')}`{digest}"


def _steps_table(stats: dict) -> list[str]:
    lines = ["| step | in | out | dropped | details |", "|---|---|---|---|---|"]
    for name, entry in stats["steps"].items():
        extra = {k: v for k, v in entry.items() if k not in ("in", "out", "dropped", "reasons")}
        details = ", ".join(f"{k}: {v}" for k, v in (entry.get("reasons", {}) | extra).items())
        lines.append(f"| {name} | {entry.get('in', '')} | {entry.get('out', '')} | {entry.get('dropped', '')} | {details} |")
    return lines


def _licence_note(licence: str) -> str:
    notes = [note for note, pattern in (("non-commercial", r"\bNC\b|non[- ]?commercial"), ("share-alike", r"\bSA\b|share[- ]?alike"))
             if re.search(pattern, licence, re.IGNORECASE)]
    return f"{licence} ({'; '.join(notes)})" if notes else licence


def _synthesis_section(plan: BuildPlan, stats: dict) -> list[str]:
    """Who made the synthetic samples, how many were made, checked and kept, and the licences they carry."""
    config = plan.data.get("synthesize")
    if not config:
        return []
    made, checked = stats["steps"].get("synthesize", {}), stats["steps"].get("check_code", {})
    teacher = config["teacher"]
    who = f"`{teacher['model']}` at {teacher['endpoint']}" if teacher.get("endpoint") else \
        f"`{teacher['model']}` (revision {teacher.get('revision') or 'default'}, {teacher['backend']})"
    kept = sum(int(checked.get(k, 0)) for k in ("passed", "no_code", "unchecked"))
    drops = {k.removeprefix("dropped_"): v for k, v in (made | checked).items() if k.startswith("dropped_")}
    sources = config.get("sources") or [s["name"] for s in plan.sources if s["type"] == "pdf"]
    found = stats.get("licenses_by_source", {})
    licences = sorted({licence for s in plan.sources if s["name"] in sources
                       for licence in ([s["license"]] if s.get("license") else found.get(s["name"], []))})
    return [
        "## Synthetic samples", "",
        f"Teacher: {who}; tasks {', '.join(config['tasks'])}, {config['per_chunk']} per chunk, seed {config['seed']}."
        f" {made.get('chunks', 0)} chunks; {made.get('sent', 0)} requests sent, {made.get('cache_hits', 0)} answered from the cache.",
        "",
        "| made | well-formed | checked (code run) | passed | kept |", "|---|---|---|---|---|",
        f"| {made.get('requests', 0)} | {made.get('made', 0)} | {checked.get('checked', 0)} | {checked.get('passed', 0)} | {kept} |",
        "",
        f"Dropped, by reason: {', '.join(f'{k}: {v}' for k, v in drops.items()) or 'none'} (examples in `drops/synthesize.jsonl`)."
        " Each sample's `metadata` names its chunk, source, licence, attribution, teacher, prompt template digest and seed.",
        "",
        f"Licences carried from the chunks: {', '.join(_licence_note(x) for x in licences) or 'not stated: check before use'}.",
        "",
    ]


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
        *(f"- decontaminated against {name}: {_benchmark_source(source)}"
          for name, source in stats.get("decontamination_sources", {}).items()),
        *_fabricated_lines(plan),
        "",
        *_synthesis_section(plan, stats),
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
