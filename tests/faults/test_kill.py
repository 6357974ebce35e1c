"""Kill codemill at several points (kill -9, SIGTERM): no process of ours is left, the folder is not
left locked, and the rerun finishes with the same outputs as a run that was never interrupted."""

from __future__ import annotations

import gzip
import shutil
import signal
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.faults.procs import REPO, codemill, launch, left_behind, ours, stop, wait_until

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and prctl are Linux-only")

SITE = "python-primer.example.stackexchange.com"
RECIPE = """\
name: NAME
sources:
  - name: primer
    type: pdf
    path: samples/pdfs
    extracted: samples/textbook
data:
  format: chat
  validation_fraction: 0.2
  max_chunk_tokens: 384
  min_chunk_tokens: 32
  decontamination:
    benchmarks: [humaneval]
    humaneval_path: samples/evals/smoke.jsonl
"""


def _dataset(run_dir: Path) -> dict:
    data = run_dir / "dataset"
    tables = {path.name: pq.read_table(path).to_pylist() for path in sorted((data / "data").glob("*.parquet"))}
    return {"tables": tables, "decontamination": (data / "decontamination.jsonl").read_text()}


def _completed(run_dir: Path, stage: str) -> bool:
    return any((run_dir / "dataset.work/logs" / stage / "completions").glob("*"))


def test_data_build_killed_at_several_points_then_rerun_gives_the_same_dataset(tmp_path):
    for name in ("pdfs", "textbook", "evals"):
        shutil.copytree(REPO / "samples" / name, tmp_path / "samples" / name)
    for name in ("clean", "killed"):
        (tmp_path / f"{name}.yaml").write_text(RECIPE.replace("NAME", name))
    done = codemill(["data", "build", "clean.yaml"], tmp_path)
    assert done.returncode == 0, done.stderr
    run_dir = tmp_path / "runs" / "killed"
    # killed between two datatrove stages, stopped as `timeout` or Slurm would, killed while finalizing
    for point, sig in (("prepare", signal.SIGKILL), ("exact_filter", signal.SIGTERM), ("minhash_filter", signal.SIGKILL)):
        process, tag = launch(["data", "build", "killed.yaml"], tmp_path)
        assert wait_until(lambda: _completed(run_dir, point) or process.poll() is not None, timeout=120, every=0.01)
        code, err = stop(process, sig)
        assert left_behind(tag) == [], f"processes left after {sig!r} at {point}"
        if sig == signal.SIGTERM and code != 0:  # it may have finished first
            assert code == 143 and "Traceback" not in err and "rerun the same command to resume" in err, err
    rerun = codemill(["data", "build", "killed.yaml"], tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert _dataset(run_dir) == _dataset(tmp_path / "runs" / "clean")


def test_extract_stackexchange_workers_stop_with_the_command(tmp_path):
    shutil.copytree(REPO / "samples" / "stackexchange", tmp_path / "dump")
    args = ["extract", "stackexchange", "dump", "--site", SITE, "-o", "out", "--workers", "2", "--threads-per-shard", "2"]
    for sig in (signal.SIGKILL, signal.SIGTERM):
        process, tag = launch(args, tmp_path)
        assert wait_until(lambda: len(ours(tag)) >= 3 or process.poll() is not None, timeout=60, every=0.02)
        code, err = stop(process, sig)
        assert left_behind(tag) == [], f"workers left after {sig!r}"
        if sig == signal.SIGTERM and code != 0:
            assert code == 143 and "Traceback" not in err and "rerun the same command to resume" in err, err
    rerun = codemill(args, tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    fresh = codemill([*args[:5], "-o", "fresh", "--threads-per-shard", "2"], tmp_path)
    assert fresh.returncode == 0, fresh.stderr
    shards = sorted(path.name for path in (tmp_path / "out").glob("threads-*.jsonl.gz"))
    assert shards and shards == sorted(path.name for path in (tmp_path / "fresh").glob("threads-*.jsonl.gz"))
    for name in shards:
        assert gzip.decompress((tmp_path / "out" / name).read_bytes()) == gzip.decompress((tmp_path / "fresh" / name).read_bytes())


def test_extract_pdf_workers_die_with_a_killed_command(tmp_path):
    args = ["extract", "pdf", str(REPO / "samples" / "pdfs"), "-o", "out", "--workers", "2"]
    process, tag = launch(args, tmp_path)
    assert wait_until(lambda: len(ours(tag)) >= 3 or process.poll() is not None, timeout=60, every=0.02)
    stop(process, signal.SIGKILL)
    assert left_behind(tag) == []
