"""Read the run folder's files for the report, turning damaged files into errors that name them.

A missing file is `None` (that stage has not run); a damaged one raises `ReportInputError`, which the
report shows in place of the section. Unreadable JSON lines are skipped and counted, not fatal.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class ReportInputError(ValueError):
    """A run file the report cannot use; the message names the file and what is wrong."""


def read_text(path: Path) -> str | None:
    if not path.is_file():
        return None
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise ReportInputError(f"{path}: cannot read: {error.strerror or error}") from None


def read_json(path: Path) -> Any:
    """The parsed file, or None when it does not exist."""
    text = read_text(path)
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ReportInputError(f"{path}: not valid JSON (line {error.lineno}: {error.msg})") from None


def read_jsonl(path: Path, limit: int | None = None) -> tuple[list[dict], int]:
    """Up to `limit` JSON objects, one a line, and how many lines were skipped as unreadable."""
    text = read_text(path)
    if text is None:
        return [], 0
    records, skipped = [], 0
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            skipped += 1
            continue
        if not isinstance(record, dict):
            skipped += 1
            continue
        if limit is None or len(records) < limit:
            records.append(record)
    return records, skipped


def parquet_preview(path: Path, rows: int) -> tuple[int, list[dict]]:
    """The row count of a parquet file and its first `rows` rows as dicts."""
    import pyarrow.parquet as pq  # here, not at the top: `codemill run` imports this module, pyarrow costs ~0.3 s

    try:
        handle = pq.ParquetFile(path)
        total = handle.metadata.num_rows
        first = next(handle.iter_batches(batch_size=rows), None)
    except (OSError, ValueError) as error:
        raise ReportInputError(f"{path}: not a readable parquet file: {error}") from None
    return total, first.to_pylist() if first is not None else []


def as_number(value: Any) -> float | None:
    """A finite float, or None for anything else (strings, NaN, missing)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if value == value and abs(value) != float("inf") else None


def flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Nested figures as (dotted key, number or text) pairs for a plain table."""
    if isinstance(value, dict):
        pairs = []
        for key, inner in value.items():
            pairs += flatten(inner, f"{prefix}.{key}" if prefix else str(key))
        return pairs
    plain = isinstance(value, (str, int, float)) and not isinstance(value, bool)
    return [(prefix or "value", value if plain else json.dumps(value))]
