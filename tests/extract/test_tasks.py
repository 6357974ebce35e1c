"""Extraction as datatrove tasks (LocalPipelineExecutor): same bytes as in-process, resume, failures by name, no leftovers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from codemill.cli import app
from codemill.extract.pdf import runner
from codemill.extract.stackexchange import extract as se_extract
from codemill.extract.tasks import UnitFailed, run_units, saved_results
from codemill.recipe.data import DataConfig
from codemill.recipe.stackexchange import StackExchangeOptions

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def _files(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` by relative name; the PDF report's timings (wall-clock) are left out."""
    found = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.suffix == ".json" and path.name != "summary.json":
            report = json.loads(data)
            report.pop("timings", None)
            data = json.dumps(report, sort_keys=True).encode()
        found[str(path.relative_to(folder))] = data
    return found


def _pdf_inputs(tmp_path: Path) -> Path:
    """The three sample PDFs and one file that is not a PDF at all."""
    inputs = tmp_path / "in"
    shutil.copytree(SAMPLES / "pdfs", inputs)
    (inputs / "broken.pdf").write_bytes(b"this is not a PDF\n")
    return inputs


def test_pdfs_as_tasks_write_the_same_files_and_report_the_bad_one_by_name(tmp_path):
    inputs = _pdf_inputs(tmp_path)
    here = runner.extract_pdfs([inputs], tmp_path / "here", show_progress=False)
    tasks = runner.extract_pdfs([inputs], tmp_path / "tasks", show_progress=False, executor=DataConfig(workers=2))
    assert _files(tmp_path / "tasks") == _files(tmp_path / "here")
    assert len(tasks.written) == 3 and tasks.pages == here.pages and tasks.page_warnings == here.page_warnings
    assert tasks.failed == here.failed and [path.name for path, _ in tasks.failed] == ["broken.pdf"]
    assert not (tmp_path / "tasks" / runner.TASKS_DIR).exists()
    again = runner.extract_pdfs([inputs], tmp_path / "tasks", show_progress=False, executor=DataConfig())
    assert len(again.skipped) == 3 and again.failed == here.failed


def test_a_pdf_whose_task_saved_its_result_is_recorded_not_redone(tmp_path):
    inputs, out = _pdf_inputs(tmp_path), tmp_path / "out"
    first = (inputs / "01-values-and-names.pdf").resolve()
    out.mkdir()
    work_dir = out.resolve() / runner.TASKS_DIR
    fingerprint = runner._fingerprint(runner.PdfOptions())
    # what a driver killed after this PDF's task finished leaves behind: the outputs and the task's saved result
    unit = {str(first): (str(first), first.stem, runner.PdfOptions(), str(out.resolve()))}
    assert run_units(DataConfig(), runner._convert_task, unit, work_dir, fingerprint, "extract pdf").results
    written = (out / f"{first.stem}.md").stat()

    summary = runner.extract_pdfs([inputs], out, show_progress=False, executor=DataConfig())
    assert (out / f"{first.stem}.md").stat().st_mtime_ns == written.st_mtime_ns
    assert sorted(path.name for path in summary.written) == [f"{pdf.stem}.md" for pdf in sorted(SAMPLES.glob("pdfs/*.pdf"))]
    assert not work_dir.exists()
    assert len(runner.extract_pdfs([inputs], out, show_progress=False).skipped) == 3


def _fails_on_two(out: str, n: int) -> int:
    if n == 2:
        raise ValueError("two is not allowed")
    if n == 3:
        raise UnitFailed("three: reported as it is")
    Path(out, f"{n}.txt").write_text(str(n))
    return n * 10


def test_a_failing_unit_is_reported_by_its_key_and_not_taken_for_a_result(tmp_path):
    units = {f"unit-{n}": (str(tmp_path), n) for n in (1, 2, 3)}
    outcome = run_units(DataConfig(), _fails_on_two, units, tmp_path / "work", "fp", "test")
    assert outcome.results == {"unit-1": 10}
    assert outcome.failed == {"unit-2": "ValueError: two is not allowed", "unit-3": "three: reported as it is"}
    assert saved_results(tmp_path / "work", "fp") == {"unit-1": 10}
    assert saved_results(tmp_path / "work", "another job") == {}


def test_stackexchange_shards_as_tasks_are_the_in_process_shards(tmp_path):
    options = StackExchangeOptions(site="demo.stackexchange.com", threads_per_shard=3)
    here = se_extract.extract_stackexchange(SAMPLES / "stackexchange", tmp_path / "here", options=options, show_progress=False)
    tasks = se_extract.extract_stackexchange(SAMPLES / "stackexchange", tmp_path / "tasks", options=options,
                                             show_progress=False, executor=DataConfig(workers=2))
    assert not tasks.failed and len(tasks.shards) == len(here.shards) > 1
    assert (tasks.threads_written, tasks.answers_written, tasks.skipped) == (here.threads_written, here.answers_written, here.skipped)
    shards = {name: data for name, data in _files(tmp_path / "tasks").items() if name.startswith("threads-")}
    assert shards == {name: data for name, data in _files(tmp_path / "here").items() if name.startswith("threads-")}
    assert sorted(path.name for path in (tmp_path / "tasks").iterdir()) == sorted(path.name for path in (tmp_path / "here").iterdir())


def test_cli_runs_pdfs_on_the_local_executor_and_refuses_an_unknown_one(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["extract", "pdf", str(SAMPLES / "pdfs"), "-o", str(out), "--executor", "local"])
    assert result.exit_code == 0, result.output
    assert "3 PDF(s) converted" in result.output and not (out / runner.TASKS_DIR).exists()
    bad = CliRunner().invoke(app, ["extract", "pdf", str(SAMPLES / "pdfs"), "-o", str(out), "--executor", "spark"])
    assert bad.exit_code != 0 and "--executor must be one of local, ray, slurm, got 'spark'" in bad.output
    recipe = tmp_path / "r.yaml"
    recipe.write_text("name: r\ndata:\n  executor: dask\n", encoding="utf-8")
    bad = CliRunner().invoke(app, ["extract", "stackexchange", str(SAMPLES / "stackexchange"), "--site", "demo.stackexchange.com",
                                   "-o", str(tmp_path / "se"), "--recipe", str(recipe)])
    assert bad.exit_code != 0 and "data.executor" in bad.output and "Traceback" not in bad.output


def test_a_recipe_extracts_on_its_data_executor_only_when_that_is_a_cluster():
    from codemill.extract.stage import cluster_executor

    assert cluster_executor(None) is None and cluster_executor(DataConfig(workers=4)) is None
    ray = DataConfig(executor="ray", workers=4)
    assert cluster_executor(ray) is ray
