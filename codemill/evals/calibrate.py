"""Per-task timeouts from the reference solution's runtime on this machine: max(base, factor x ref)."""

from __future__ import annotations

from codemill.benchmarks import Problem
from codemill.sandbox import Job, SandboxPool

CALIBRATION_WALL_S = 60.0


def calibrate(problems: list[Problem], pool: SandboxPool, base_s: float, factor: float, progress=None) -> dict:
    """Run every reference once in the sandbox; return {task_id: {reference_s, reference_status, timeout_s}}.

    A problem without a reference (a custom benchmark may have none) gets `base_s`."""
    by_key = {problem.task_id: problem for problem in problems}
    jobs = (Job(problem.task_id, problem.program(problem.reference), CALIBRATION_WALL_S)
            for problem in problems if problem.reference is not None)
    table = {problem.task_id: {"reference_s": None, "reference_status": "none", "reference_error": "",
                               "timeout_s": base_s} for problem in problems if problem.reference is None}
    if progress is not None:
        progress.advance(len(table))
    for outcome in pool.map(jobs):
        table[outcome.key] = {"reference_s": outcome.runtime_s, "reference_status": outcome.status,
                              "reference_error": outcome.error,
                              "timeout_s": round(max(base_s, factor * outcome.runtime_s), 3)}
        if progress is not None:
            progress.advance(1)
    return {task_id: table[task_id] for task_id in by_key}


def reference_failures(calibration: dict) -> dict[str, str]:
    """Tasks whose own reference solution does not pass, with the reason."""
    return {task: entry["reference_error"] or entry["reference_status"]
            for task, entry in calibration.items() if entry["reference_status"] not in ("pass", "none")}
