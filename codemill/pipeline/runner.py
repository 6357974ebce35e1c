"""Run a list of stages in order, skipping the ones whose settings, inputs and outputs are unchanged.

A stage's fingerprint is a digest of its recipe settings and the content of every input it reads.
It is skipped when the manifest records it done with the same fingerprint and its outputs still have
the recorded digest. A stage that was interrupted or failed with the same fingerprint is resumed; one
whose fingerprint changed starts over. A failure is recorded, names the stage, the input and the
reason, and stops the run; what earlier stages produced stays in place.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from codemill.common.console import console
from codemill.common.errors import explain
from codemill.common.logs import library_logs
from codemill.common.summary import Summary
from codemill.pipeline.hashing import ContentHasher, digest_value
from codemill.pipeline.state import RunState, now_iso
from codemill.recipe.layout import RunLayout


class StageFailure(Exception):
    """Raised by a stage action to name the input that failed and why."""

    def __init__(self, subject: str, reason: str):
        super().__init__(f"{subject}: {reason}")
        self.subject, self.reason = subject, reason


class PipelineError(Exception):
    """A stage failed; the message names the stage, the input and the reason."""

    def __init__(self, stage: str, subject: str, reason: str):
        super().__init__(f"stage '{stage}' failed on {subject}: {reason}")
        self.stage, self.subject, self.reason = stage, subject, reason


@dataclass
class Stage:
    """One step of a run: `action(fresh)` starts over when `fresh`, otherwise resumes partial work, and
    returns the stage's Summary (its `failed` inputs stop the run, its counts go into the manifest)."""

    key: str
    subject: str  # the input named when the stage fails
    settings: Any  # the recipe settings the stage depends on (JSON-able)
    inputs: list[Path]
    outputs: list[Path]
    action: Callable[[bool], Summary | None]
    input_digests: dict[str, str] = field(default_factory=dict)


@dataclass
class StageOutcome:
    key: str
    status: str  # "ran" or "skipped"
    reason: str
    duration_s: float
    counts: dict = field(default_factory=dict)  # the stage's key figures, when it ran


def say(text: str) -> None:
    """A progress line, printed as is (stage keys such as `extract:book:` are not emoji codes)."""
    console.print(text, markup=False, emoji=False, highlight=False, soft_wrap=True)


def stage_log(run_dir: Path, key: str) -> Path:
    """Where a stage's library output goes: `<run_dir>/logs/<stage>.log` (`eval:base:humaneval` -> `eval-base-humaneval`)."""
    return RunLayout(run_dir).log(key)


def _fingerprint(stage: Stage, hasher: ContentHasher) -> tuple[str, str, dict[str, str]]:
    settings_digest = digest_value(stage.settings)
    inputs = {str(path): hasher.tree(path) for path in stage.inputs}
    return digest_value([settings_digest, inputs]), settings_digest, inputs


def _outputs_digest(stage: Stage, hasher: ContentHasher) -> str:
    return digest_value({str(path): hasher.tree(path) for path in stage.outputs})


def _why_run(record: dict | None, fingerprint: str, settings_digest: str, inputs: dict[str, str]) -> str:
    """A short reason for the progress line: why this stage is not skipped."""
    if record is None:
        return "not run before"
    if record.get("fingerprint") == fingerprint:
        status = record.get("status")
        return "outputs changed or missing" if status == "done" else f"resuming ({status} last time)"
    if record.get("settings_digest") != settings_digest:
        return "recipe settings changed"
    changed = [path for path, digest in inputs.items() if record.get("inputs", {}).get(path) != digest]
    return f"input changed: {', '.join(changed)}" if changed else "inputs changed"


def _is_up_to_date(record: dict | None, fingerprint: str, outputs_digest: str) -> bool:
    return (
        record is not None
        and record.get("status") == "done"
        and record.get("fingerprint") == fingerprint
        and record.get("outputs_digest") == outputs_digest
    )


def _check_failed(summary: Summary | None) -> None:
    """Stages report per-input failures instead of raising; a run does not go on without them."""
    failed = list(summary.failed) if summary is not None else []
    if failed:
        listed = "; ".join(f"{path}: {reason}" for path, reason in failed[:5])
        more = f" (and {len(failed) - 5} more)" if len(failed) > 5 else ""
        raise StageFailure(str(failed[0][0]), f"{len(failed)} input(s) failed: {listed}{more}")


def _execute(stage: Stage, fresh: bool, state: RunState) -> Summary:
    """Run the action, turning any error into a PipelineError after recording it; Ctrl-C is recorded too."""
    try:
        summary = stage.action(fresh)
        _check_failed(summary)
    except KeyboardInterrupt:
        state.update(stage.key, status="interrupted", finished=now_iso())
        raise
    except StageFailure as failure:
        state.update(stage.key, status="failed", finished=now_iso(), error=str(failure))
        raise PipelineError(stage.key, failure.subject, failure.reason) from failure
    except Exception as error:  # any stage error stops the run with its name, never a bare traceback
        reason = explain(error) if isinstance(error, (OSError, UnicodeDecodeError)) else f"{type(error).__name__}: {error}"
        state.update(stage.key, status="failed", finished=now_iso(), error=reason)
        raise PipelineError(stage.key, stage.subject, reason) from error
    return summary if summary is not None else Summary()


def run_stage(stage: Stage, state: RunState, hasher: ContentHasher, force: bool, label: str) -> StageOutcome:
    """Skip, resume or (re)run one stage and record the result in the manifest."""
    fingerprint, settings_digest, inputs = _fingerprint(stage, hasher)
    record = state.record(stage.key)
    if not force and _is_up_to_date(record, fingerprint, _outputs_digest(stage, hasher)):
        say(f"{label} {stage.key}: up to date, skipped")
        return StageOutcome(stage.key, "skipped", "up to date", 0.0)
    reason = "--force" if force else _why_run(record, fingerprint, settings_digest, inputs)
    resumable = record is not None and record.get("fingerprint") == fingerprint and record.get("status") != "done"
    fresh = force or not resumable
    say(f"{label} {stage.key}: running ({reason})")
    attempts = (record or {}).get("attempts", 0) + 1
    state.update(
        stage.key, status="running", fingerprint=fingerprint, settings_digest=settings_digest, inputs=inputs,
        started=now_iso(), finished=None, error=None, attempts=attempts, outputs_digest=None, counts=None,
    )
    started = time.monotonic()
    with library_logs(stage_log(state.run_dir, stage.key)):
        summary = _execute(stage, fresh, state)
    duration = round(time.monotonic() - started, 3)
    state.update(stage.key, status="done", finished=now_iso(), duration_s=duration, counts=summary.counts,
                 outputs_digest=_outputs_digest(stage, hasher))
    return StageOutcome(stage.key, "ran", reason, duration, summary.counts)


def run_stages(stages: list[Stage], state: RunState, force: bool = False) -> list[StageOutcome]:
    """Run every stage in order; the hash cache is saved even when a stage fails or is interrupted."""
    hasher = ContentHasher(state.hash_cache)
    outcomes = []
    try:
        for index, stage in enumerate(stages, start=1):
            outcomes.append(run_stage(stage, state, hasher, force, f"[{index}/{len(stages)}]"))
    finally:
        hasher.forget_missing()
        state.save_hash_cache(hasher.cache)
    return outcomes
