"""The unbiased pass@k estimator: 1 - C(n-c, k) / C(n, k), computed as a stable product."""

from __future__ import annotations

DEFAULT_K = (1, 5, 10)  # `eval.k` chooses others; each is reported only where every task has n >= k


def pass_at_k(n: int, c: int, k: int) -> float:
    """Chance that at least one of k samples drawn without replacement from n (c correct) passes."""
    if not 0 <= c <= n or k < 1 or k > n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    product = 1.0
    for i in range(n - c + 1, n + 1):
        product *= 1.0 - k / i
    return 1.0 - product


def aggregate_pass_at_k(per_task: dict[str, dict[str, int]], ks=DEFAULT_K) -> dict[str, float]:
    """Mean pass@k over tasks for every k in `ks` that every task has enough samples for."""
    if not per_task:
        return {}
    smallest_n = min(entry["n"] for entry in per_task.values())
    scores = {}
    for k in sorted(set(ks)):
        if k <= smallest_n:
            values = [pass_at_k(entry["n"], entry["passed"], k) for entry in per_task.values()]
            scores[f"pass@{k}"] = sum(values) / len(values)
    return scores
