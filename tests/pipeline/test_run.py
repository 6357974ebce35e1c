"""`codemill run`: stage order, skipping, reruns after edits, failures and resume, with stand-in stages.

Every stage function is replaced by a stand-in that records its call and writes small outputs, so
these tests exercise the orchestration only; tests/pipeline/test_demo.py runs the real stages.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import codemill.datasets.build
import codemill.evals.compare
import codemill.evals.runner
import codemill.extract.pdf.runner
import codemill.extract.stackexchange.extract
import codemill.finetune.base_model
import codemill.finetune.train
import codemill.pipeline.report
from codemill.cli import app
from codemill.pipeline.preflight import PreflightError
from codemill.pipeline.run import run_recipe
from codemill.pipeline.runner import PipelineError
from codemill.pipeline.stages import plan_stages
from codemill.recipe.loader import load_recipe


class Summary:
    def __init__(self, failed=()):
        self.failed = list(failed)
        self.written, self.skipped, self.pages = [], [], 0
        self.threads_written = self.answers_written = 0


class Stages:
    """Stand-ins for the work under each stage's `run_<stage>`; `calls` lists (stage, detail) in call order."""

    def __init__(self, monkeypatch):
        self.calls: list[tuple[str, object]] = []
        self.failing_pdfs: list[tuple[str, str]] = []
        self.finetune_error: Exception | None = None
        patch = monkeypatch.setattr
        patch(codemill.extract.pdf.runner, "extract_pdfs", self.extract_pdfs)
        patch(codemill.extract.stackexchange.extract, "extract_stackexchange", self.extract_stackexchange)
        patch(codemill.datasets.build, "build_dataset", self.build_dataset)
        patch(codemill.finetune.base_model, "ensure_tiny_model", self.ensure_tiny_model)
        patch(codemill.finetune.train, "finetune", self.finetune)
        patch(codemill.evals.runner, "evaluate_from_config", self.evaluate)
        patch(codemill.evals.compare, "compare_runs", self.compare_runs)
        patch(codemill.pipeline.report, "write_report", self.write_report)

    def names(self):
        return [name for name, _ in self.calls]

    def extract_pdfs(self, inputs, out_dir, *, options, workers, force, executor):
        assert executor is None  # a local data executor: the extractor's own processes
        self.calls.append(("extract_pdfs", force))
        out_dir.mkdir(parents=True, exist_ok=True)
        for folder in inputs:
            for pdf in sorted(Path(folder).glob("*.pdf")):
                if str(pdf) not in dict(self.failing_pdfs):
                    (out_dir / f"{pdf.stem}.md").write_text(pdf.read_text().upper())
        return Summary(self.failing_pdfs)

    def extract_stackexchange(self, source, out_dir, *, options, workers, force, executor):
        assert executor is None
        self.calls.append(("extract_stackexchange", force))
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "threads-00000.jsonl").write_text(Path(source, "Posts.xml").read_text())
        return Summary()

    def build_dataset(self, recipe, *, force):
        self.calls.append(("build_dataset", force))
        out = recipe.run_dir / "dataset"
        out.mkdir(parents=True, exist_ok=True)
        folders = [recipe.layout.extracted(source) for source in recipe.sources]
        parts = sorted(p.read_text() for folder in folders for p in folder.rglob("*") if p.is_file())
        (out / "train.txt").write_text("\n".join(parts))
        return out

    def ensure_tiny_model(self, tiny, dataset_dir, target, seed):
        self.calls.append(("ensure_tiny_model", Path(dataset_dir).name))
        data = (Path(dataset_dir) / "train.txt").read_text()
        target.mkdir(parents=True, exist_ok=True)
        (target / "tokenizer.json").write_text(f"trained on {len(data)} characters")
        (target / "config.json").write_text(json.dumps({"vocab_size": tiny.vocab_size}))
        return target

    def finetune(self, recipe, resume=False, *, dataset_dir, out_dir, model_path):
        self.calls.append(("finetune", resume))
        if self.finetune_error is not None:
            raise self.finetune_error
        data = (dataset_dir / "train.txt").read_text()
        base = Path(model_path, "tokenizer.json").read_text()
        adapter = out_dir / "adapter"
        adapter.mkdir(parents=True, exist_ok=True)
        (adapter / "adapter.safetensors").write_text(f"{recipe.finetune.learning_rate}:{len(data)}:{base}")
        (out_dir / "run_info.json").write_text(json.dumps({"global_step": 2, "train_rows": 1}))
        return out_dir

    def evaluate(self, config, spec, out_dir, *, model, adapter):
        benchmark = spec.name
        self.calls.append(("evaluate", (Path(out_dir).parent.name, benchmark, adapter is not None)))
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        weights = Path(adapter, "adapter.safetensors") if adapter else Path(model, "tokenizer.json")
        results = {"benchmark": benchmark, "model": model, "adapter": adapter, "weights": weights.read_text(),
                   "num_tasks": 1, "pass_at_k": {"pass@1": 0.5}}
        (Path(out_dir) / "results.json").write_text(json.dumps(results))
        return results

    def compare_runs(self, run_dirs, out_dir):
        self.calls.append(("compare_runs", [Path(d).parent.name for d in run_dirs]))
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        (Path(out_dir) / "compare.json").write_text("{}")
        return {"benchmarks": {"humaneval": {}}, "fixed": [], "broken": []}

    def write_report(self, run_dir):
        self.calls.append(("write_report", None))
        (Path(run_dir) / "report.html").write_text("<html></html>")
        return Path(run_dir) / "report.html"


@pytest.fixture()
def stages(monkeypatch):
    return Stages(monkeypatch)


@pytest.fixture()
def project(tmp_path, monkeypatch):
    """A folder with two tiny sources, a benchmark file and a recipe; the cwd, since recipe paths are relative."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pdfs").mkdir()
    (tmp_path / "pdfs" / "a.pdf").write_text("chapter a")
    (tmp_path / "pdfs" / "b.pdf").write_text("chapter b")
    (tmp_path / "dump").mkdir()
    (tmp_path / "dump" / "Posts.xml").write_text("<posts/>")
    smoke = Path(__file__).resolve().parents[2] / "samples" / "evals" / "smoke.jsonl"
    (tmp_path / "smoke.jsonl").write_text(smoke.read_text().splitlines()[0] + "\n")  # preflight loads it
    recipe = {
        "name": "t",
        "sources": [{"name": "book", "type": "pdf", "path": "pdfs"}, {"name": "qa", "type": "stackexchange", "path": "dump"}],
        "data": {"decontamination": {"benchmarks": []}},
        "model": {"tiny": {"hidden_size": 32}},
        "finetune": {"max_steps": 2},
        "eval": {"benchmarks": [{"name": "humaneval", "data_file": "smoke.jsonl"}], "max_new_tokens": 16},
    }
    write_recipe(tmp_path / "recipe.yaml", recipe)
    return tmp_path


def write_recipe(path, recipe):
    path.write_text(yaml.safe_dump(recipe))


def edit_recipe(project, change):
    recipe = yaml.safe_load((project / "recipe.yaml").read_text())
    change(recipe)
    write_recipe(project / "recipe.yaml", recipe)


def stage_status(project):
    manifest = json.loads((project / "runs" / "t" / "manifest.json").read_text())
    return {key: entry["status"] for key, entry in manifest["stages"].items()}


EXPECTED_ORDER = [
    "extract_pdfs", "extract_stackexchange", "build_dataset", "ensure_tiny_model", "evaluate", "finetune", "evaluate",
    "compare_runs", "write_report",
]
STAGE_KEYS = ["extract:book", "extract:qa", "data", "base_model", "eval:base:humaneval", "finetune",
              "eval:finetuned:humaneval", "compare", "report"]


def test_runs_every_stage_in_order_then_skips_them_all(project, stages):
    outcomes = run_recipe("recipe.yaml")
    assert stages.names() == EXPECTED_ORDER
    assert [detail for name, detail in stages.calls if name == "evaluate"] == [
        ("base", "humaneval", False), ("finetuned", "humaneval", True),
    ]
    assert ("compare_runs", ["base", "finetuned"]) in stages.calls
    assert all(outcome.status == "ran" for outcome in outcomes)
    assert set(stage_status(project).values()) == {"done"}
    stages.calls.clear()
    outcomes = run_recipe("recipe.yaml")
    assert stages.calls == []
    assert all(outcome.status == "skipped" for outcome in outcomes)


def test_eval_setting_change_reruns_only_the_evals(project, stages):
    run_recipe("recipe.yaml")
    stages.calls.clear()
    edit_recipe(project, lambda r: r["eval"].update(max_new_tokens=32))
    outcomes = {o.key: o for o in run_recipe("recipe.yaml")}
    assert stages.names() == ["evaluate", "evaluate"]  # same results: compare and report stay up to date
    assert outcomes["eval:base:humaneval"].reason == "recipe settings changed"


def test_changed_pdf_reruns_its_extract_and_everything_downstream(project, stages):
    run_recipe("recipe.yaml")
    stages.calls.clear()
    (project / "pdfs" / "a.pdf").write_text("chapter a, second edition")
    outcomes = {o.key: o for o in run_recipe("recipe.yaml")}
    assert stages.names() == [n for n in EXPECTED_ORDER if n != "extract_stackexchange"]
    assert outcomes["extract:book"].reason == "input changed: pdfs"
    assert ("extract_pdfs", True) in stages.calls  # changed input: extract from scratch


def test_finetune_setting_change_sets_the_old_adapter_aside(project, stages):
    run_recipe("recipe.yaml")
    edit_recipe(project, lambda r: r["finetune"].update(learning_rate=0.001))
    stages.calls.clear()
    run_recipe("recipe.yaml")
    assert ("finetune", False) in stages.calls  # fresh start: resume=False
    previous = project / "runs" / "t" / "finetune.previous" / "adapter" / "adapter.safetensors"
    assert previous.read_text().startswith("0.0002:")


def test_failed_pdf_stops_the_run_naming_stage_and_file(project, stages):
    stages.failing_pdfs = [("pdfs/b.pdf", "no text layer on any page")]
    with pytest.raises(PipelineError) as caught:
        run_recipe("recipe.yaml")
    message = str(caught.value)
    assert "extract:book" in message and "pdfs/b.pdf" in message and "no text layer" in message
    assert stages.names() == ["extract_pdfs"]
    assert (project / "runs" / "t" / "extract" / "book" / "a.md").exists()
    assert stage_status(project) == {"extract:book": "failed"}


def test_failed_finetune_keeps_earlier_outputs_and_the_rerun_resumes_it(project, stages):
    stages.finetune_error = RuntimeError("loss became NaN at step 3")
    with pytest.raises(PipelineError, match="stage 'finetune' failed .*loss became NaN"):
        run_recipe("recipe.yaml")
    assert (project / "runs" / "t" / "dataset" / "train.txt").exists()
    assert stage_status(project)["finetune"] == "failed"
    assert stage_status(project)["eval:base:humaneval"] == "done"  # the base model is scored without training
    stages.finetune_error = None
    stages.calls.clear()
    run_recipe("recipe.yaml")
    assert stages.names() == ["finetune", "evaluate", "compare_runs", "write_report"]  # the base eval stays done
    assert stages.calls[0] == ("finetune", True)  # resume=True: same settings and inputs as the failed attempt


def test_force_reruns_every_stage(project, stages):
    run_recipe("recipe.yaml")
    stages.calls.clear()
    run_recipe("recipe.yaml", force=True)
    assert stages.names() == EXPECTED_ORDER


def test_cli_reports_a_stage_failure_and_exits_non_zero(project, stages):
    stages.failing_pdfs = [("pdfs/b.pdf", "encrypted")]
    result = CliRunner().invoke(app, ["run", "recipe.yaml"])
    assert result.exit_code == 1
    assert "extract:book" in result.output and "pdfs/b.pdf: encrypted" in result.output


def test_cli_names_the_recipe_key_that_is_wrong(project, stages):
    edit_recipe(project, lambda r: r["finetune"].update(learning_rate="fast"))
    result = CliRunner().invoke(app, ["run", "recipe.yaml"])
    assert result.exit_code == 2
    assert "recipe.yaml: finetune.learning_rate: must be a number" in result.output
    assert stages.calls == []


def test_missing_source_path_is_named_before_anything_starts(project, stages):
    edit_recipe(project, lambda r: r["sources"][0].update(path="nowhere"))
    with pytest.raises(PreflightError, match=r"recipe.yaml: sources\[0\].path: nowhere does not exist"):
        run_recipe("recipe.yaml")
    assert stages.calls == [] and not (project / "runs" / "t" / "manifest.json").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX paths in the manifest")
def test_manifest_records_input_hashes_and_timings(project, stages):
    run_recipe("recipe.yaml")
    manifest = json.loads((project / "runs" / "t" / "manifest.json").read_text())
    data = manifest["stages"]["data"]
    assert set(data["inputs"]) == {"runs/t/extract/book", "runs/t/extract/qa"}
    assert data["duration_s"] >= 0 and data["outputs_digest"]
    assert manifest["recipe"] == "recipe.yaml"


def test_a_second_run_on_the_same_folder_is_refused(project, stages):
    import subprocess

    from codemill.common.lock import FolderBusy

    holder = subprocess.Popen(  # another command holding the run folder (the lock is per process)
        [sys.executable, "-c", "import time\nfrom codemill.common.lock import folder_lock\n"
         "with folder_lock('runs/t'):\n    print('locked', flush=True); time.sleep(60)"],
        cwd=project, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(FolderBusy, match="being written by another codemill command"):
            run_recipe("recipe.yaml")
    finally:
        holder.kill()
        holder.wait()
    assert stages.calls == []
    run_recipe("recipe.yaml")
    assert stages.names() == EXPECTED_ORDER


def test_pre_extracted_source_without_its_raw_input_is_used_as_is(project, stages):
    extracted = project / "already" / "book"
    extracted.mkdir(parents=True)
    (extracted / "a.md").write_text("# A")
    edit_recipe(project, lambda r: r["sources"][0].update(path="gone", extracted=str(extracted)))
    run_recipe("recipe.yaml")
    assert "extract_pdfs" not in stages.names()
    assert "# A" in (project / "runs" / "t" / "dataset" / "train.txt").read_text()


def test_the_same_benchmark_twice_is_a_recipe_error(project, stages):
    spec = {"name": "humaneval", "data_file": "smoke.jsonl"}
    edit_recipe(project, lambda r: r["eval"].update(benchmarks=[spec, {"name": "humaneval"}]))
    result = CliRunner().invoke(app, ["run", "recipe.yaml"])
    assert result.exit_code == 2 and "eval.benchmarks: humaneval is listed more than once" in result.output
    assert stages.calls == []


def test_base_model_is_a_stage_of_its_own_and_the_manifest_keeps_each_stage_counts(project, stages):
    outcomes = run_recipe("recipe.yaml")
    assert [outcome.key for outcome in outcomes] == STAGE_KEYS
    manifest = json.loads((project / "runs" / "t" / "manifest.json").read_text())["stages"]
    assert set(manifest["base_model"]["inputs"]) == {"runs/t/dataset"}
    assert manifest["base_model"]["counts"] == {"vocab size": 2048}
    assert manifest["eval:base:humaneval"]["counts"] == {"tasks": 1, "pass@1": 0.5}
    assert manifest["finetune"]["counts"] == {"global step": 2, "train rows": 1}
    assert "runs/t/base_model" in manifest["finetune"]["inputs"]
    edit_recipe(project, lambda r: r["model"]["tiny"].update(hidden_size=64))
    stages.calls.clear()
    run_recipe("recipe.yaml")
    assert stages.names() == ["ensure_tiny_model", "evaluate", "finetune", "evaluate"]  # same results: compare stays
    assert (project / "runs" / "t" / "base_model.previous" / "tokenizer.json").exists()  # the old one set aside


def test_a_local_base_model_has_no_base_model_stage_and_is_an_input_of_finetune_and_eval(project):
    (project / "model").mkdir()
    edit_recipe(project, lambda r: r.update(model={"name_or_path": "model"}))
    stages = {stage.key: stage for stage in plan_stages(load_recipe("recipe.yaml"))}
    assert list(stages) == [key for key in STAGE_KEYS if key != "base_model"]
    assert Path("model") in stages["finetune"].inputs and Path("model") in stages["eval:base:humaneval"].inputs
    assert stages["finetune"].outputs == [Path("runs/t/finetune")]  # the model folder is never set aside
