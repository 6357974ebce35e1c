"""Curation at scale: documents/s of `data build` on each executor, and how each stage grows with the corpus.

The corpus is the shared Cardano dump's threads, repeated with fresh ids up to the asked size. Each copy
gets a different half of its words marked, so copies are neither exact nor near duplicates of each other
and every stage (filters, exact and MinHash dedup, decontamination, finalize) does its full work.

    .venv/bin/python benchmarks/scale.py [--docs 10000,100000] [--executors local1,local2,ray,slurm]

local1/local2: the local executor with 1 and 2 workers (tasks = 2). Per stage, the wall time and the
peak RSS of the process that ran it and its workers (a fork per stage; the parent's own RSS is reported
apart). ray: a fresh 2-CPU head in a loopback-only network namespace (root). slurm: the
one-node cluster of scripts/slurm_single_node.sh (root; started and stopped here), timed from submission
to the last job's end. Ratios are against local1 measured in the same run.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
BIN = Path(sys.executable).parent
THREADS_PER_SHARD = 5000


def base_threads(work: Path) -> list[dict]:
    from codemill.extract.stackexchange.extract import extract_stackexchange

    out = work / "cardano"
    extract_stackexchange(SHARED / "stackexchange" / "cardano.stackexchange.com.7z", out, show_progress=False)
    threads = []
    for shard in sorted(out.glob("threads-*.jsonl.gz")):
        with gzip.open(shard, "rt", encoding="utf-8") as handle:
            threads += [json.loads(line) for line in handle]
    return threads


def _mark(text: str, rng: random.Random, tag: str) -> str:
    return " ".join(word + tag if rng.random() < 0.5 and word.isalpha() else word for word in text.split(" "))


def write_corpus(threads: list[dict], size: int, folder: Path) -> None:
    """`size` threads in the extractor's shard format; copy k of a thread gets fresh ids and its own marks."""
    folder.mkdir(parents=True)
    shard, handle = 0, None
    for n in range(size):
        base = threads[n % len(threads)]
        copy, rng = n // len(threads), random.Random(n)
        record = json.loads(json.dumps(base))
        if copy:
            tag = f"q{copy}"
            record["question_id"] = base["question_id"] + copy * 10_000_000
            record["question"]["markdown"] = _mark(base["question"]["markdown"], rng, tag)
            for answer in record["answers"]:
                answer["id"] = answer["id"] + copy * 10_000_000
                answer["markdown"] = _mark(answer["markdown"], rng, tag)
        if n % THREADS_PER_SHARD == 0:
            if handle:
                handle.close()
            handle = gzip.open(folder / f"threads-{shard:05d}.jsonl.gz", "wt", encoding="utf-8")
            shard += 1
        handle.write(json.dumps(record) + "\n")
    handle.close()


def write_recipe(work: Path, name: str, corpus: Path, data: dict) -> Path:
    recipe = {
        "name": name, "output_dir": str(work / "runs" / name),
        "sources": [{"name": "se", "type": "stackexchange", "path": "unused", "extracted": str(corpus)}],
        "data": {"tasks": 2, **data, "decontamination": {"humaneval_path": str(SHARED / "evals" / "HumanEval.jsonl.gz"),
                                                         "mbpp_path": str(SHARED / "evals" / "mbpp.jsonl")}},
    }
    path = work / f"{name}.yaml"
    path.write_text(yaml.safe_dump(recipe), encoding="utf-8")
    return path


def local_by_stage(recipe_path: Path) -> dict:
    """Each stage in a fork of its own: wall seconds and that process's peak RSS."""
    from codemill.datasets.build import _fingerprint, _plan, _reset_stale_work, _stages
    from codemill.common.executors import make_executor, run_to_completion
    from codemill.datasets.read import list_inputs
    from codemill.recipe.loader import load_recipe

    recipe = load_recipe(recipe_path)
    plan, inputs = _plan(recipe), list_inputs(recipe)
    _reset_stale_work(plan, _fingerprint(plan, inputs))
    stages = _stages(recipe, plan, inputs)
    parent_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {"parent_rss_mib": round(parent_rss), "stages": {}}
    start = time.perf_counter()
    for name, pipeline, tasks in stages:
        began = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                run_to_completion(make_executor(recipe.data, pipeline, tasks, plan.logs(name)), name)
            except BaseException as error:  # noqa: BLE001 - reported by the parent through the exit code
                print(error, file=sys.stderr)
                code = 1
            os._exit(code)
        _, status, usage = os.wait4(pid, 0)
        if status != 0:
            raise SystemExit(f"stage {name} failed")
        result["stages"][name] = {"s": round(time.perf_counter() - began, 2), "peak_rss_mib": round(usage.ru_maxrss / 1024)}
    result["s"] = round(time.perf_counter() - start, 2)
    return result


def timed(command: list[str], env: dict | None = None, log: Path | None = None) -> float:
    began = time.perf_counter()
    with (log or Path(os.devnull)).open("w") as out:
        subprocess.run(command, env=env, stdout=out, stderr=subprocess.STDOUT, check=True)
    return time.perf_counter() - began


def ray_build(recipe: Path, log: Path) -> float:
    script = (f'set -e; ip link set lo up; export RAY_ADDRESS=; "{BIN}/ray" start --head --num-cpus 2 --port 0 '
              f'--include-dashboard false --disable-usage-stats >/dev/null 2>&1; trap \'"{BIN}/ray" stop --force >/dev/null 2>&1\' EXIT; '
              f'RAY_ADDRESS=auto "{BIN}/codemill" data build "{recipe}"')
    return timed(["unshare", "-n", "bash", "-c", script], log=log)


def slurm_build(recipe: Path, work: Path, log: Path) -> float:
    env = dict(os.environ, CODEMILL_SLURM_DIR=str(work / "slurm"), PATH=f"{BIN}:{os.environ['PATH']}")
    script = ROOT / "scripts" / "slurm_single_node.sh"
    subprocess.run(["bash", str(script), "up"], env=env, check=True, capture_output=True)
    env["SLURM_CONF"] = str(work / "slurm" / "slurm.conf")
    try:
        began = time.perf_counter()
        timed([str(BIN / "codemill"), "data", "build", str(recipe)], env=env, log=log)
        while subprocess.run(["squeue", "-h"], env=env, capture_output=True, text=True).stdout.strip():
            time.sleep(1)
        return time.perf_counter() - began
    finally:
        subprocess.run(["bash", str(script), "down"], env=env, capture_output=True)


def records(run: Path) -> int:
    stats = json.loads((run / "dataset" / "stats.json").read_text())
    return stats["records"]["train"] + stats["records"]["validation"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", default="10000,100000", help="comma-separated corpus sizes (threads)")
    parser.add_argument("--executors", default="local1,local2,ray,slurm")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    if not SHARED.is_dir():
        raise SystemExit(f"needs {SHARED}")
    executors = args.executors.split(",")
    work = Path(tempfile.mkdtemp(prefix="codemill-scale-"))
    threads = base_threads(work)
    rows = []
    try:
        for size in [int(n) for n in args.docs.split(",")]:
            corpus = work / f"corpus-{size}"
            write_corpus(threads, size, corpus)
            row = {"docs": size}
            if "local1" in executors:
                row["local1"] = local_by_stage(write_recipe(work, f"local1-{size}", corpus, {"workers": 1}))
                row["records"] = records(work / "runs" / f"local1-{size}")
            if "local2" in executors:
                row["local2"] = local_by_stage(write_recipe(work, f"local2-{size}", corpus, {"workers": 2}))
                row["records"] = records(work / "runs" / f"local2-{size}")
            root = os.geteuid() == 0
            if "ray" in executors and root:
                row["ray"] = {"s": round(ray_build(write_recipe(work, f"ray-{size}", corpus, {"workers": 2, "executor": "ray"}), work / f"ray-{size}.log"), 2)}
            if "slurm" in executors and root and shutil.which("slurmctld"):
                recipe = write_recipe(work, f"slurm-{size}", corpus, {"workers": 2, "executor": "slurm", "slurm": {"mem_per_cpu_gb": 1}})
                row["slurm"] = {"s": round(slurm_build(recipe, work, work / f"slurm-{size}.log"), 2)}
            rows.append(row)
            print(json.dumps(row), flush=True)
        report(rows)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def report(rows: list[dict]) -> None:
    print("\n| docs | executor | wall s | docs/s | vs local1 |")
    print("|---:|---|---:|---:|---:|")
    for row in rows:
        base = row.get("local1", {}).get("s")
        for name in ("local1", "local2", "ray", "slurm"):
            if name in row:
                seconds = row[name]["s"]
                ratio = f"{base / seconds:.2f}x" if base else "-"
                print(f"| {row['docs']:,} | {name} | {seconds:.1f} | {row['docs'] / seconds:,.0f} | {ratio} |")
    for executor in ("local1", "local2"):
        measured = [row for row in rows if executor in row]
        if not measured:
            continue
        print(f"\n{executor} by stage (wall s / peak RSS MiB of the process that ran it), docs: "
              + ", ".join(f"{row['docs']:,}" for row in measured))
        names = dict.fromkeys(name for row in measured for name in row[executor]["stages"])
        for name in names:
            cells = [f"{row[executor]['stages'][name]['s']:.1f} s / {row[executor]['stages'][name]['peak_rss_mib']}"
                     for row in measured if name in row[executor]["stages"]]
            print(f"  {name:18s} " + "  |  ".join(cells))


if __name__ == "__main__":
    main()
