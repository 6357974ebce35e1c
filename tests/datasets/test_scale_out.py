"""Curation on a real Ray cluster and a real Slurm cluster gives the local executor's dataset, and resumes.

Minutes on two cores, so they are marked `cluster` and run by scripts/cluster_tests.sh, not by default.

The cluster lives in a network namespace of its own that has only loopback, so nothing it starts can
listen on or reach another address. Needs root (CI runs as root), `unshare` and `pip install ray`."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

pytest.importorskip("ray")

from codemill.datasets.build import build_dataset  # noqa: E402
from codemill.extract.pdf.runner import extract_pdfs  # noqa: E402
from codemill.extract.stackexchange.extract import extract_stackexchange  # noqa: E402
from codemill.recipe.loader import load_recipe  # noqa: E402
from codemill.recipe.stackexchange import StackExchangeOptions  # noqa: E402

BIN = Path(sys.executable).parent


def _loopback_namespace_works() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    return subprocess.run(["unshare", "-n", "ip", "link", "set", "lo", "up"], capture_output=True).returncode == 0


def dataset_rows(dataset: Path) -> dict:
    rows = {}
    for path in sorted((dataset / "data").glob("*.parquet")):
        split = path.name.split("-")[0]
        for row in pq.read_table(path).to_pylist():
            assert (split, row["id"]) not in rows, f"record {row['id']} written twice"
            rows[split, row["id"]] = row
    return rows


def write_recipe(root: Path, name: str, extracted: Path, evals: Path, data: dict) -> Path:
    recipe = {
        "name": name, "output_dir": str(root / name),
        "sources": [
            {"name": "cardano", "type": "stackexchange", "path": "unused", "extracted": str(extracted / "cardano")},
            {"name": "py4e", "type": "pdf", "path": "unused", "extracted": str(extracted / "py4e"),
             "license": "CC BY-NC-SA 3.0", "attribution": "Python for Everybody, by Charles R. Severance"},
        ],
        "data": {"workers": 2, "tasks": 2, **data,
                 "decontamination": {"humaneval_path": str(evals / "HumanEval.jsonl.gz"), "mbpp_path": str(evals / "mbpp.jsonl")}},
    }
    path = root / f"{name}.yaml"
    path.write_text(yaml.safe_dump(recipe), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, shared_data):
    """The shared Cardano dump and py4e chapters, extracted once, and the local executor's dataset of them."""
    root = tmp_path_factory.mktemp("scale")
    extract_stackexchange(shared_data / "stackexchange" / "cardano.stackexchange.com.7z", root / "extracted" / "cardano", show_progress=False)
    extract_pdfs([shared_data / "pdfs" / "py4e"], root / "extracted" / "py4e")
    local = build_dataset(load_recipe(write_recipe(root, "local", root / "extracted", shared_data / "evals", {})))
    return root, shared_data / "evals", dataset_rows(local)


def _ray_build(recipe: Path, log: Path) -> subprocess.Popen:
    """`codemill data build` against a fresh 2-CPU Ray head, all inside a loopback-only network namespace."""
    return _on_ray(f'"{BIN}/codemill" data build "{recipe}"', log)


def _on_ray(command: str, log: Path) -> subprocess.Popen:
    """`command` (a shell line) against a fresh 2-CPU Ray head, all inside a loopback-only network namespace."""
    script = f"""
set -u
ip link set lo up
export RAY_ADDRESS=
"{BIN}/ray" start --head --num-cpus 2 --port 0 --include-dashboard false --disable-usage-stats >/dev/null 2>&1 || exit 3
RAY_ADDRESS=auto {command}
rc=$?
"{BIN}/ray" stop --force >/dev/null 2>&1
exit $rc
"""
    return subprocess.Popen(["unshare", "-n", "bash", "-c", script], stdout=log.open("w"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def _namespace_processes(netns: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and os.readlink(entry / "ns" / "net") == netns:
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def _own_namespace(process: subprocess.Popen) -> str:
    """The build's network namespace, once `unshare` has made it (never this process's own)."""
    ours = os.readlink("/proc/self/ns/net")
    for _ in range(100):
        theirs = os.readlink(f"/proc/{process.pid}/ns/net")
        if theirs != ours:
            return theirs
        time.sleep(0.05)
    raise AssertionError("the build did not enter a network namespace of its own")


def _kill_namespace(netns: str) -> None:
    """SIGKILL every process of the build's network namespace: the driver, the Ray head and its workers."""
    assert netns != os.readlink("/proc/self/ns/net")
    for pid in _namespace_processes(netns):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _succeeds(process: subprocess.Popen, log: Path) -> None:
    """`process` (run by `_on_ray`) exits 0 within 400 s; its namespace is torn down either way."""
    netns = _own_namespace(process)
    try:
        assert process.wait(timeout=400) == 0, log.read_text()[-2000:]
    finally:
        _kill_namespace(netns)


@pytest.mark.cluster
@pytest.mark.skipif(not _loopback_namespace_works(), reason="needs root and a loopback-only network namespace")
def test_ray_cluster_builds_the_local_dataset_and_a_killed_build_resumes(corpus):
    root, evals, local_rows = corpus
    recipe = write_recipe(root, "ray", root / "extracted", evals, {"executor": "ray"})
    log = root / "ray.log"
    first_stage = root / "ray" / "dataset.work" / "logs" / "prepare" / "completions"
    build = _ray_build(recipe, log)
    netns = _own_namespace(build)
    try:  # kill the whole cluster and the driver once the first stage has finished part of its work
        deadline = time.monotonic() + 240
        while build.poll() is None and time.monotonic() < deadline and not any(first_stage.glob("*")):
            time.sleep(0.2)
        assert build.poll() is None, "the build ended before it could be killed:\n" + log.read_text()[-2000:]
        done_before = {path.name for path in first_stage.glob("*")}
        assert done_before, log.read_text()[-2000:]
        _kill_namespace(netns)
        build.wait(timeout=30)
    finally:
        _kill_namespace(netns)
    assert not (root / "ray" / "dataset" / "data").exists()

    _succeeds(_ray_build(recipe, log), log)
    assert {path.name for path in first_stage.glob("*")} >= done_before
    assert dataset_rows(root / "ray" / "dataset") == local_rows


def _same_as_in_process(pdfs: Path, dump: Path, pdf_out: Path, dump_out: Path) -> None:
    """The task-extracted folders hold the files, byte for byte, that extraction in this process writes."""
    here = pdf_out.parent / "here"
    extract_pdfs([pdfs], here / "pdf", show_progress=False)
    extract_stackexchange(dump, here / "se", options=StackExchangeOptions(threads_per_shard=500), show_progress=False)
    for ours, theirs in ((pdf_out, here / "pdf"), (dump_out, here / "se")):
        names = sorted(path.name for path in theirs.iterdir() if path.name != "summary.json")
        assert sorted(path.name for path in ours.iterdir() if path.name not in ("summary.json", ".codemill.lock")) == names
        for name in names:
            if name.endswith((".md", ".jsonl.gz")):
                assert (ours / name).read_bytes() == (theirs / name).read_bytes(), name


@pytest.mark.cluster
@pytest.mark.skipif(not _loopback_namespace_works(), reason="needs root and a loopback-only network namespace")
def test_extraction_as_ray_tasks_writes_the_in_process_files(tmp_path, shared_data):
    root = tmp_path
    pdfs, dump = shared_data / "pdfs" / "py4e", shared_data / "stackexchange" / "cardano.stackexchange.com.7z"
    codemill = f'"{BIN}/codemill" extract'
    commands = (f'{codemill} pdf "{pdfs}" -o "{root}/ray-pdf" --executor ray --workers 2 && '
                f'{codemill} stackexchange "{dump}" -o "{root}/ray-se" --executor ray --workers 2 --threads-per-shard 500')
    log = root / "ray-extract.log"
    _succeeds(_on_ray(commands, log), log)
    _same_as_in_process(pdfs, dump, root / "ray-pdf", root / "ray-se")


SLURM_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "slurm_single_node.sh"


@pytest.fixture
def slurm_cluster(tmp_path):
    """A one-node Slurm cluster on loopback, started by the shipped script and torn down after the test."""
    if os.geteuid() != 0 or shutil.which("slurmctld") is None or shutil.which("munged") is None:
        pytest.skip("needs root and Debian's slurm-wlm and munge")
    env = dict(os.environ, CODEMILL_SLURM_DIR=str(tmp_path / "slurm"), PATH=f"{BIN}:{os.environ['PATH']}")
    started = subprocess.run(["bash", str(SLURM_SCRIPT), "up"], env=env, capture_output=True, text=True, timeout=120)
    if started.returncode != 0:
        pytest.skip(f"slurm did not start: {started.stderr[-500:]}")
    env["SLURM_CONF"] = str(tmp_path / "slurm" / "slurm.conf")
    yield env
    subprocess.run(["bash", str(SLURM_SCRIPT), "down"], env=env, capture_output=True, timeout=60)


def _wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(1)
    return False


def _queue_empty(env) -> bool:
    return subprocess.run(["squeue", "-h"], env=env, capture_output=True, text=True).stdout.strip() == ""


@pytest.mark.cluster
def test_slurm_cluster_builds_the_local_dataset_and_resumes_after_scancel(corpus, slurm_cluster):
    root, evals, local_rows = corpus
    env = slurm_cluster
    recipe = write_recipe(root, "slurm", root / "extracted", evals, {"executor": "slurm", "slurm": {"time": "00:20:00", "mem_per_cpu_gb": 1}})
    build = ["codemill", "data", "build", str(recipe)]
    logs = root / "slurm" / "dataset.work" / "logs"
    submitted = subprocess.run(build, env=env, capture_output=True, text=True, timeout=120)
    assert submitted.returncode == 0, submitted.stderr[-2000:]
    assert _wait_for(lambda: len(list((logs / "prepare" / "completions").glob("*"))) == 2, 180)
    subprocess.run(["scancel", "--user=root"], env=env, check=True)
    assert _wait_for(lambda: _queue_empty(env), 60)
    assert not (root / "slurm" / "dataset" / "data").exists()
    prepared_launch = (logs / "prepare" / "launch_script.slurm").stat().st_mtime_ns

    resubmitted = subprocess.run(build, env=env, capture_output=True, text=True, timeout=120)
    assert resubmitted.returncode == 0, resubmitted.stderr[-2000:]
    assert _wait_for(lambda: _queue_empty(env), 300)
    assert (logs / "prepare" / "launch_script.slurm").stat().st_mtime_ns == prepared_launch  # finished work is not redone
    assert dataset_rows(root / "slurm" / "dataset") == local_rows


@pytest.mark.cluster
def test_extraction_as_slurm_tasks_writes_the_in_process_files(tmp_path, shared_data, slurm_cluster):
    pdfs, dump = shared_data / "pdfs" / "py4e", shared_data / "stackexchange" / "cardano.stackexchange.com.7z"
    recipe = tmp_path / "slurm.yaml"
    recipe.write_text(yaml.safe_dump({"name": "x", "data": {"executor": "slurm", "workers": 2,
                                                            "slurm": {"time": "00:20:00", "mem_per_cpu_gb": 1}}}), encoding="utf-8")
    for command in (["pdf", str(pdfs), "-o", str(tmp_path / "slurm-pdf")],
                    ["stackexchange", str(dump), "-o", str(tmp_path / "slurm-se"), "--threads-per-shard", "500"]):
        done = subprocess.run(["codemill", "extract", *command, "--recipe", str(recipe)], env=slurm_cluster,
                              capture_output=True, text=True, timeout=400)
        assert done.returncode == 0, done.stdout[-1000:] + done.stderr[-2000:]
    _same_as_in_process(pdfs, dump, tmp_path / "slurm-pdf", tmp_path / "slurm-se")
