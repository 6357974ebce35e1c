"""The report's dataset part: the card, per-step drop counts with dropped examples, sample records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

from codemill.pipeline.report_inputs import ReportInputError, as_number, flatten, parquet_preview, read_json, read_jsonl, read_text
from codemill.recipe.layout import RunLayout

DROP_EXAMPLES_PER_STEP = 3
SAMPLE_RECORDS = 3
MAX_TEXT = 2000
_BODY_KEYS = ("text", "content", "markdown", "document", "messages", "body")


def shorten(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[:limit] + f"\n... ({len(text) - limit:,} more characters)"


def render_card(markdown: str) -> tuple[str | None, str]:
    """Split off YAML front matter and render the rest; raw HTML and images stay inert text."""
    front = None
    if markdown.startswith("---\n"):
        end = markdown.find("\n---", 4)
        if end != -1:
            front, markdown = markdown[4:end], markdown[end + 4:].lstrip("\n")
    renderer = MarkdownIt("commonmark", {"html": False}).enable("table").disable("image")
    return front, renderer.render(markdown)


def _step(name: str, entry: dict) -> dict:
    """One step's in/out/dropped, and its drop reasons or other counters as a details line."""
    count_in, count_out, dropped = (as_number(entry.get(key)) for key in ("in", "out", "dropped"))
    if dropped is None and count_in is not None and count_out is not None:
        dropped = count_in - count_out
    share = 100 * dropped / count_in if dropped is not None and count_in else None
    reasons = entry.get("reasons") if isinstance(entry.get("reasons"), dict) else {}
    others = {key: value for key, value in entry.items() if key not in ("in", "out", "dropped", "reasons")}
    details = ", ".join(f"{key}: {value}" for key, value in {**reasons, **others}.items())
    return {"name": name, "in": count_in, "out": count_out, "dropped": dropped, "share": share, "details": details}


def _step_rows(stats: dict) -> tuple[list[dict], list[tuple[str, Any]]]:
    """Steps (from `stats["steps"]`, or the top level in the older flat layout) and the other figures."""
    nested = isinstance(stats.get("steps"), dict)
    steps = stats["steps"] if nested else {k: v for k, v in stats.items() if isinstance(v, dict) and ("in" in v or "out" in v)}
    rows = [_step(str(name), entry if isinstance(entry, dict) else {"value": entry}) for name, entry in steps.items()]
    totals = []
    for name, value in stats.items():
        if (nested and name == "steps") or (not nested and name in steps):
            continue
        totals += [(key, shorten(item, 300) if isinstance(item, str) else item) for key, item in flatten(value, str(name))]
    return rows, totals


def _messages_text(messages: Any) -> str:
    if not isinstance(messages, list):
        return str(messages)
    parts = []
    for message in messages:
        if isinstance(message, dict):
            parts.append(f"[{message.get('role', '?')}]\n{message.get('content', '')}")
        else:
            parts.append(str(message))
    return "\n\n".join(parts)


def drop_example(record: dict) -> dict:
    """A dropped record as short metadata pairs (its filter reason first) plus one body text."""
    fields = dict(record)
    metadata = fields.pop("metadata", None)
    if isinstance(metadata, dict):
        fields.update({key: value for key, value in metadata.items() if key not in fields})
    body_key = next((key for key in _BODY_KEYS if key in fields), None)
    body = fields.pop(body_key, None) if body_key else None
    body_text = _messages_text(body) if body_key == "messages" else (body if isinstance(body, str) else json.dumps(body))
    first = [key for key in ("filter_reason", "reason") if key in fields]
    meta = []
    for key in first + [key for key in fields if key not in first]:
        value = fields[key]
        if value in (None, "", [], {}):
            continue
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
        meta.append((key, shorten(shown, 300)))
    return {"meta": meta, "body": shorten(body_text) if body_key else None}


def sample_record(row: dict) -> dict:
    """A training record (chat or completion) as the fields the report shows."""
    metadata = row.get("metadata")
    if isinstance(metadata, str):
        try:
            metadata = json.dumps(json.loads(metadata), indent=2, ensure_ascii=False)
        except json.JSONDecodeError:
            pass
    body = _messages_text(row["messages"]) if row.get("messages") is not None else str(row.get("text", ""))
    return {
        "id": str(row.get("id", "")),
        "source": str(row.get("source", "")),
        "metadata": shorten(str(metadata or "")),
        "body": shorten(body),
    }


def _splits(data_dir: Path) -> tuple[list[dict], list[dict]]:
    """Row counts per split, and a few records from the first training shard."""
    splits, samples = [], []
    for split in ("train", "validation"):
        shards = sorted(data_dir.glob(f"{split}-*.parquet"))
        if not shards:
            continue
        total = 0
        for shard in shards:
            rows, first = parquet_preview(shard, SAMPLE_RECORDS)
            total += rows
            if split == "train" and not samples:
                samples = [sample_record(row) for row in first]
        splits.append({"name": split, "rows": total, "shards": len(shards)})
    return splits, samples


def _drops(drops_dir: Path) -> list[dict]:
    found = []
    for path in sorted(drops_dir.glob("*.jsonl")):
        records, skipped = read_jsonl(path, limit=DROP_EXAMPLES_PER_STEP)
        found.append({"step": path.stem, "examples": [drop_example(r) for r in records], "skipped": skipped})
    return found


def dataset_section(run_dir: Path) -> dict | None:
    """Everything the report shows about `dataset/`, or None when the data build has not run."""
    folder = RunLayout(run_dir).dataset
    if not folder.is_dir():
        return None
    stats = read_json(folder / "stats.json")
    if stats is not None and not isinstance(stats, dict):
        raise ReportInputError(f"{folder / 'stats.json'}: expected a JSON object of steps, got {type(stats).__name__}")
    steps, totals = _step_rows(stats or {})
    card = read_text(folder / "README.md")
    front, card_html = render_card(card) if card is not None else (None, None)
    hits, skipped = read_jsonl(folder / "decontamination.jsonl")
    splits, samples = _splits(folder / "data")
    return {
        "card_front_matter": front,
        "card_html": card_html,
        "has_stats": stats is not None,
        "steps": steps,
        "totals": totals,
        "drops": _drops(folder / "drops"),
        "decontamination": {
            "ran": (folder / "decontamination.jsonl").is_file(),
            "count": len(hits),
            "skipped": skipped,
            "tasks": sorted({str(hit.get("task_id", "?")) for hit in hits})[:20],
        },
        "splits": splits,
        "samples": samples,
    }
