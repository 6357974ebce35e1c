"""Resume manifest: a job killed half-way resumes without losing or duplicating work."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

from codemill.common.manifest import JobManifest

JOB = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from codemill.common.atomic import atomic_write_json
    from codemill.common.manifest import JobManifest

    out = Path(sys.argv[1])
    manifest = JobManifest(out, "demo", fingerprint="v1")
    for unit in range(40):
        key = f"unit-{unit}"
        if manifest.is_done(key):
            continue
        with open(out / "executions.log", "a") as log:
            log.write(key + "\\n")
        time.sleep(0.02)
        atomic_write_json(out / f"{key}.json", {"unit": unit, "square": unit * unit})
        manifest.mark_done(key, {"rows": 1})
    """
)


def run_job(out, kill_after_units=None):
    process = subprocess.Popen([sys.executable, "-c", JOB, str(out)])
    if kill_after_units is None:
        assert process.wait(timeout=60) == 0
        return
    log = out / "executions.log"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if log.exists() and len(log.read_text().splitlines()) >= kill_after_units:
            break
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()


def test_killed_job_resumes_without_loss_or_duplication(tmp_path):
    run_job(tmp_path, kill_after_units=12)
    first_run = (tmp_path / "executions.log").read_text().splitlines()
    assert 12 <= len(first_run) < 40, "the job was meant to be killed half-way"

    run_job(tmp_path)
    executions = (tmp_path / "executions.log").read_text().splitlines()
    redone = len(executions) - 40
    assert redone <= 1, "at most the unit in flight at the kill may run twice"
    for unit in range(40):
        assert json.loads((tmp_path / f"unit-{unit}.json").read_text()) == {"unit": unit, "square": unit * unit}
    manifest = JobManifest(tmp_path, "demo", fingerprint="v1")
    assert sorted(manifest.done) == sorted(f"unit-{unit}" for unit in range(40))
    assert not list(tmp_path.glob(".*.tmp"))


def test_torn_last_line_is_ignored(tmp_path):
    manifest = JobManifest(tmp_path, "job", fingerprint="f")
    manifest.mark_done("a", {"n": 1})
    with open(manifest.path, "a") as handle:
        handle.write('{"key": "b", "inf')
    reloaded = JobManifest(tmp_path, "job", fingerprint="f")
    assert reloaded.is_done("a") and not reloaded.is_done("b")
    reloaded.mark_done("b")
    assert sorted(JobManifest(tmp_path, "job", fingerprint="f").done) == ["a", "b"]


def test_changed_settings_invalidate_earlier_work(tmp_path):
    JobManifest(tmp_path, "job", fingerprint="old").mark_done("a")
    fresh = JobManifest(tmp_path, "job", fingerprint="new")
    assert not fresh.is_done("a")
    fresh.mark_done("b")
    assert sorted(JobManifest(tmp_path, "job", fingerprint="new").done) == ["b"]
    assert JobManifest(tmp_path, "job", fingerprint="old").done == {}


def test_reset_forgets_everything(tmp_path):
    manifest = JobManifest(tmp_path, "job")
    manifest.mark_done("a")
    manifest.reset()
    assert not manifest.is_done("a") and not manifest.path.exists()
