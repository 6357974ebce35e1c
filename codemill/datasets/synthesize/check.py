"""Run each sample's Python (an exercise's solution with its tests, or an answer's code) in the eval sandbox."""

from __future__ import annotations

import contextlib
import os
from typing import Iterator

from codemill.recipe.synthesize import CheckConfig

# sandbox status -> drop reason
REASONS = {"fail": "tests_failed", "error": "code_error", "timeout": "timeout"}


@contextlib.contextmanager
def sandbox_pool(check: CheckConfig) -> Iterator:
    """The eval sandbox's pool with this section's limits (the strongest isolation the machine allows)."""
    from codemill.recipe.base import RecipeError
    from codemill.sandbox import Limits, SandboxPool, SandboxUnavailable, detect

    try:
        isolation = detect(check.backend)
    except SandboxUnavailable as error:
        raise RecipeError(f"data.synthesize.check.backend: {error}") from None
    workers = check.workers or min(4, os.cpu_count() or 1)
    with SandboxPool(workers, Limits(wall_s=check.timeout_s, memory_mb=check.memory_mb), isolation) as pool:
        yield pool


def run_programs(pool, programs: dict[str, str], timeout_s: float) -> dict[str, tuple[str | None, str]]:
    """{key: (drop reason or None when it passed, sandbox error text)} for {key: program}."""
    from codemill.sandbox import Job

    jobs = [Job(key, program, timeout_s) for key, program in programs.items()]
    return {outcome.key: (REASONS.get(outcome.status) if outcome.status != "pass" else None, outcome.error[:300])
            for outcome in pool.map(jobs)}
