"""The stage runner: skips up-to-date stages, reruns on changed content or settings, resumes, reports failures."""

from __future__ import annotations

import json
import os

import pytest

from codemill.pipeline.runner import PipelineError, Stage, StageFailure, run_stages
from codemill.pipeline.state import RunState


class Pipeline:
    """Two stages: `upper` reads in.txt and writes a.txt; `count` reads a.txt and writes b.txt."""

    def __init__(self, folder):
        self.folder = folder
        self.calls: list[tuple[str, bool]] = []
        self.settings = {"suffix": "!"}
        self.fail_count_with: BaseException | None = None
        (folder / "in.txt").write_text("hello")

    def _upper(self, fresh):
        self.calls.append(("upper", fresh))
        text = (self.folder / "in.txt").read_text().upper()
        (self.folder / "a.txt").write_text(text + self.settings["suffix"])

    def _count(self, fresh):
        self.calls.append(("count", fresh))
        if self.fail_count_with is not None:
            raise self.fail_count_with
        (self.folder / "b.txt").write_text(str(len((self.folder / "a.txt").read_text())))

    def stages(self):
        folder = self.folder
        return [
            Stage("upper", "in.txt", dict(self.settings), [folder / "in.txt"], [folder / "a.txt"], self._upper),
            Stage("count", "a.txt", {}, [folder / "a.txt"], [folder / "b.txt"], self._count),
        ]

    def run(self, force=False):
        self.calls.clear()
        state = RunState(self.folder / "run", self.folder / "recipe.yaml")
        return run_stages(self.stages(), state, force=force)

    def manifest(self):
        return json.loads((self.folder / "run" / "manifest.json").read_text())["stages"]


@pytest.fixture()
def pipeline(tmp_path):
    (tmp_path / "run").mkdir()
    return Pipeline(tmp_path)


def test_second_run_skips_every_stage(pipeline):
    first = pipeline.run()
    assert [o.status for o in first] == ["ran", "ran"]
    assert pipeline.calls == [("upper", True), ("count", True)]
    second = pipeline.run()
    assert [o.status for o in second] == ["skipped", "skipped"]
    assert pipeline.calls == []
    stages = pipeline.manifest()
    assert stages["count"]["status"] == "done" and stages["count"]["duration_s"] >= 0
    assert str(pipeline.folder / "in.txt") in stages["upper"]["inputs"]


def test_changed_input_content_reruns_the_stage_and_what_depends_on_it(pipeline):
    pipeline.run()
    (pipeline.folder / "in.txt").write_text("world")
    outcomes = pipeline.run()
    assert [o.status for o in outcomes] == ["ran", "ran"]
    assert "input changed" in outcomes[0].reason
    assert (pipeline.folder / "b.txt").read_text() == "6"


def test_rewriting_an_input_with_the_same_content_skips(pipeline):
    pipeline.run()
    path = pipeline.folder / "in.txt"
    path.write_text("hello")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 5_000_000_000))
    assert [o.status for o in pipeline.run()] == ["skipped", "skipped"]


def test_changed_settings_rerun_from_scratch(pipeline):
    pipeline.run()
    pipeline.settings["suffix"] = "?"
    outcomes = pipeline.run()
    assert outcomes[0].reason == "recipe settings changed"
    assert pipeline.calls == [("upper", True), ("count", True)]


def test_unchanged_upstream_output_keeps_downstream_skipped(pipeline):
    pipeline.run()
    (pipeline.folder / "a.txt").unlink()
    outcomes = pipeline.run()
    assert [o.status for o in outcomes] == ["ran", "skipped"]
    assert outcomes[0].reason == "outputs changed or missing"


def test_failure_names_stage_input_and_reason_and_keeps_earlier_outputs(pipeline):
    pipeline.fail_count_with = ValueError("a.txt is not a number")
    with pytest.raises(PipelineError) as caught:
        pipeline.run()
    message = str(caught.value)
    assert "'count'" in message and "a.txt" in message and "ValueError: a.txt is not a number" in message
    assert (pipeline.folder / "a.txt").read_text() == "HELLO!"
    stages = pipeline.manifest()
    assert stages["upper"]["status"] == "done"
    assert stages["count"]["status"] == "failed" and "not a number" in stages["count"]["error"]


def test_stage_failure_names_its_own_input(pipeline):
    pipeline.fail_count_with = StageFailure("data/broken.pdf", "no text layer")
    with pytest.raises(PipelineError, match="failed on data/broken.pdf: no text layer"):
        pipeline.run()


def test_rerun_after_failure_resumes_only_the_failed_stage(pipeline):
    pipeline.fail_count_with = RuntimeError("disk full")
    with pytest.raises(PipelineError):
        pipeline.run()
    pipeline.fail_count_with = None
    outcomes = pipeline.run()
    assert [o.status for o in outcomes] == ["skipped", "ran"]
    assert pipeline.calls == [("count", False)]
    assert outcomes[1].reason == "resuming (failed last time)"
    assert pipeline.manifest()["count"]["attempts"] == 2


def test_interrupt_is_recorded_and_the_next_run_resumes(pipeline):
    pipeline.fail_count_with = KeyboardInterrupt()
    with pytest.raises(KeyboardInterrupt):
        pipeline.run()
    assert pipeline.manifest()["count"]["status"] == "interrupted"
    pipeline.fail_count_with = None
    pipeline.run()
    assert pipeline.calls == [("count", False)]


def test_force_reruns_everything_from_scratch(pipeline):
    pipeline.run()
    outcomes = pipeline.run(force=True)
    assert [o.status for o in outcomes] == ["ran", "ran"]
    assert pipeline.calls == [("upper", True), ("count", True)]


def test_unreadable_manifest_means_everything_reruns(pipeline):
    pipeline.run()
    (pipeline.folder / "run" / "manifest.json").write_text("{torn")
    assert [o.status for o in pipeline.run()] == ["ran", "ran"]
