"""Extraction units (one PDF, one StackExchange shard) run as datatrove tasks on a data executor.

This lets extraction use the same engine as curation: a Ray cluster or a Slurm allocation instead of
one machine's processes. Task `rank` runs `work(*args)` for the `rank`-th unit left to do and saves
what it returns (or the error it raised) to `<work_dir>/results/<hash of key>.json`, stamped with the
job's fingerprint, so a unit whose result is saved is not redone even when the driver was killed before
recording it. datatrove's completion markers only name the ranks of one run (the units left differ from
run to run), so they are cleared before each run.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from datatrove.pipeline.base import PipelineStep

from codemill.common.atomic import atomic_write_json
from codemill.common.logs import library_logs
from codemill.common.executors import StageIncomplete, connect_ray, make_executor, run_to_completion


class UnitFailed(Exception):
    """Raised by a unit's work with the reason to report as it is (no exception type in front)."""


class UnitTask(PipelineStep):
    """One extraction unit per datatrove task: `units[rank]` is `(key, args)` for `work(*args)`."""

    name = "extract unit"
    type = "EXTRACT"

    def __init__(self, work: Callable[..., Any], units: list[tuple[str, tuple]], results_dir: str, fingerprint: str):
        super().__init__()
        self.work, self.units, self.results_dir, self.fingerprint = work, units, results_dir, fingerprint

    def run(self, data=None, rank: int = 0, world_size: int = 1):
        key, args = self.units[rank]
        saved = {"fingerprint": self.fingerprint, "key": key}
        try:
            saved["result"] = self.work(*args)
        except UnitFailed as error:
            saved["error"] = str(error)
        except Exception as error:  # one unit's failure is reported by its key; the task itself completes
            saved["error"] = f"{type(error).__name__}: {error}"
        atomic_write_json(_result_path(Path(self.results_dir), key), saved)
        self.stat_update("failed" if "error" in saved else "done")
        return data


@dataclass
class UnitOutcome:
    """Results by unit key, and the reasons of the units that failed; `unfinished` ones left no word at all."""

    results: dict[str, Any] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)
    unfinished: list[str] = field(default_factory=list)


def _result_path(results_dir: Path, key: str) -> Path:
    return results_dir / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.json"


def _saved(work_dir: Path, fingerprint: str) -> dict[str, dict]:
    found = {}
    for path in sorted((work_dir / "results").glob("*.json")):
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(saved, dict) and saved.get("fingerprint") == fingerprint and "key" in saved:
            found[saved["key"]] = saved
    return found


def saved_results(work_dir: Path, fingerprint: str) -> dict[str, Any]:
    """The results earlier tasks of this job (same fingerprint) saved, by unit key; failed units are left out."""
    return {key: saved["result"] for key, saved in _saved(work_dir, fingerprint).items() if "result" in saved}


def run_units(data, work: Callable[..., Any], units: dict[str, tuple], work_dir: Path, fingerprint: str,
              job: str) -> UnitOutcome:
    """Run `work(*args)` for each unit as one task on `data`'s executor (`data.executor`, `workers`, `ray`,
    `slurm`). Every unit ends in `results` or in `failed` with its reason. Call `clear_units` once the
    results are recorded."""
    outcome = UnitOutcome()
    if units:
        logs = work_dir / "logs"
        shutil.rmtree(logs, ignore_errors=True)
        for key in units:  # an older failure of a unit run again must not stand in for a task that dies now
            _result_path(work_dir / "results", key).unlink(missing_ok=True)
        task = UnitTask(work, list(units.items()), str(work_dir / "results"), fingerprint)
        if data.executor == "ray":
            connect_ray(data.ray)
        executor = make_executor(data, [task], len(units), str(logs), job_name=f"codemill-{job.replace(' ', '-')}")
        try:
            with library_logs(logs / "driver.log"):  # datatrove's banners and stats stay off the terminal
                run_to_completion(executor, "tasks", job=job)
        except StageIncomplete:
            pass  # the units with no saved result are reported below, by key
        saved = _saved(work_dir, fingerprint)
        for key in units:
            entry = saved.get(key)
            if entry is None:
                outcome.unfinished.append(key)
                entry = {"error": f"its task did not finish (killed?); see {logs}/logs/ and rerun to redo it"}
            if "result" in entry:
                outcome.results[key] = entry["result"]
            else:
                outcome.failed[key] = entry["error"]
    return outcome


def clear_units(work_dir: Path, outcome: UnitOutcome) -> None:
    """Delete the saved results and logs once recorded, unless a task did not finish (its log may say why)."""
    if not outcome.unfinished:
        shutil.rmtree(work_dir, ignore_errors=True)
