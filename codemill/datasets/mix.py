"""Deterministic split (grouped by thread/document), per-source mixing weights and a token budget."""

from __future__ import annotations

import math

import xxhash


def unit_hash(seed: int, key: str) -> float:
    """A stable pseudo-random number in [0, 1) for `key`."""
    return xxhash.xxh64_intdigest(key.encode(), seed=seed) / 2**64


def split_groups(groups: list[str], validation_fraction: float, seed: int) -> set[str]:
    """The groups that go to validation; at least one when the fraction is positive and there are two or more."""
    unique = sorted(set(groups))
    if validation_fraction <= 0 or len(unique) < 2:
        return set()
    chosen = {g for g in unique if unit_hash(seed, g) < validation_fraction}
    if not chosen:
        chosen = {min(unique, key=lambda g: unit_hash(seed, g))}
    if len(chosen) == len(unique):
        chosen.discard(max(unique, key=lambda g: unit_hash(seed, g)))
    return chosen


def apply_weights(records: list[dict], weights: dict[str, float], seed: int) -> list[dict]:
    """Repeat or subsample each source's records by its weight (2.0: every record twice; 0.5: half)."""
    mixed = []
    for record in records:
        weight = weights.get(record["source"], 1.0)
        copies = math.floor(weight) + (unit_hash(seed + 1, record["id"]) < weight - math.floor(weight))
        for copy in range(copies):
            mixed.append(record if copy == 0 else dict(record, id=f"{record['id']}~r{copy}"))
    return mixed


def apply_token_budget(records: list[dict], budget: int | None, seed: int) -> list[dict]:
    """Keep a pseudo-random subset (same for every run) whose tokens fit in `budget`; order is preserved."""
    if budget is None or sum(r["tokens"] for r in records) <= budget:
        return records
    kept, used = set(), 0
    for index in sorted(range(len(records)), key=lambda i: unit_hash(seed + 2, records[i]["id"])):
        if used + records[index]["tokens"] <= budget:
            kept.add(index)
            used += records[index]["tokens"]
    return [record for index, record in enumerate(records) if index in kept]
