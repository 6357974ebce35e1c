"""Sandbox correctness and overhead: every HumanEval canonical solution and MBPP test-split reference,
run under each isolation backend this machine has, against the unprotected `none` backend in the same run.

Each backend must pass 164/164 HumanEval and 500/500 MBPP references; the script prints, per backend,
the median time to start a 2-worker pool and to run all 664 programs, and the ratio to `none`. The
backends take turns within each repeat, so load from other jobs on the machine falls on all of them.

    .venv/bin/python benchmarks/sandbox_overhead.py [--repeats 3] [--workers 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from codemill.benchmarks import load_benchmark
from codemill.evals.sandbox import Job, Limits, SandboxPool, SandboxUnavailable, detect

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "evals"


def references() -> dict[str, list[Job]]:
    humaneval = load_benchmark("humaneval", DATA / "HumanEval.jsonl.gz").problems
    mbpp = load_benchmark("mbpp", DATA / "mbpp.jsonl").problems
    return {name: [Job(p.task_id, p.program(p.reference), 60.0) for p in problems]
            for name, problems in (("humaneval", humaneval), ("mbpp", mbpp))}


def run(backend: str, suites: dict[str, list[Job]], workers: int) -> tuple[float, float, dict[str, str]]:
    """(pool start seconds, execution seconds, {suite: 'passed/total'}) for one backend."""
    isolation = detect(backend)
    start = time.perf_counter()
    with SandboxPool(workers, Limits(), isolation) as pool:
        started = time.perf_counter()
        scores = {}
        for name, jobs in suites.items():
            outcomes = list(pool.map(jobs))
            failed = [f"{o.key}: {o.status} {o.error}" for o in outcomes if o.status != "pass"]
            scores[name] = f"{len(jobs) - len(failed)}/{len(jobs)}"
            for line in failed[:5]:
                print(f"  {backend} {name} not passed: {line}")
        finished = time.perf_counter()
    return started - start, finished - started, scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not (DATA / "HumanEval.jsonl.gz").exists() or not (DATA / "mbpp.jsonl").exists():
        sys.exit(f"shared data not found under {DATA}")
    suites = references()
    total = sum(len(jobs) for jobs in suites.values())
    backends = []
    for backend in ("bwrap", "unshare", "none"):
        try:
            detect(backend)
            backends.append(backend)
        except SandboxUnavailable as error:
            print(f"{backend}: not available here ({error})")
    print(f"{total} reference programs, {args.workers} workers, median of {args.repeats}, backends interleaved")
    starts = {backend: [] for backend in backends}
    runs = {backend: [] for backend in backends}
    scores = {}
    for _ in range(args.repeats):
        for backend in backends:
            start_s, run_s, scores[backend] = run(backend, suites, args.workers)
            starts[backend].append(start_s)
            runs[backend].append(run_s)
    medians = {backend: (statistics.median(starts[backend]), statistics.median(runs[backend])) for backend in backends}
    for backend, (start_s, run_s) in medians.items():
        print(f"{backend:8s} scores {scores[backend]}  pool start {start_s:.2f} s  run {run_s:.2f} s  "
              f"({total / run_s:.0f} programs/s)")
    if "none" in medians:
        for backend in backends:
            ratio = medians[backend][1] / medians["none"][1]
            print(f"{backend:8s} execution time / none: {ratio:.2f}x")


if __name__ == "__main__":
    main()
