"""Sandbox correctness and overhead: every HumanEval canonical solution and MBPP test-split reference,
run under each isolation backend this machine has, against the unprotected `none` backend in the same run.

Each backend must pass 164/164 HumanEval and 500/500 MBPP references. Printed per backend (medians): the
time to start a 2-worker pool, to run the 664 references, and the cost per sample of 1000 trivial
programs (fork, limits, verdict, clean-up), with ratios to `none`. The backends take turns within each
repeat, so load from other jobs on the machine falls on all of them.

    .venv/bin/python benchmarks/sandbox_overhead.py [--repeats 3] [--workers 2]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from codemill.benchmarks import load_benchmark
from codemill.sandbox import Job, Limits, SandboxPool, SandboxUnavailable, detect

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "evals"


def suites() -> dict[str, list[Job]]:
    humaneval = load_benchmark("humaneval", DATA / "HumanEval.jsonl.gz").problems
    mbpp = load_benchmark("mbpp", DATA / "mbpp.jsonl").problems
    found = {name: [Job(p.task_id, p.program(p.reference), 60.0) for p in problems]
             for name, problems in (("humaneval", humaneval), ("mbpp", mbpp))}
    found["trivial"] = [Job(f"trivial/{i}", "assert True") for i in range(1000)]
    return found


def run(backend: str, jobs_by_suite: dict[str, list[Job]], workers: int) -> dict[str, tuple[float, str]]:
    """{"start": (seconds, ""), suite: (seconds, "passed/total")} for one pool of `backend`."""
    isolation = detect(backend)
    start = time.perf_counter()
    with SandboxPool(workers, Limits(), isolation) as pool:
        found = {"start": (time.perf_counter() - start, "")}
        for name, jobs in jobs_by_suite.items():
            began = time.perf_counter()
            outcomes = list(pool.map(jobs))
            failed = [f"{o.key}: {o.status} {o.error}" for o in outcomes if o.status != "pass"]
            found[name] = (time.perf_counter() - began, f"{len(jobs) - len(failed)}/{len(jobs)}")
            for line in failed[:5]:
                print(f"  {backend} {name} not passed: {line}")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not (DATA / "HumanEval.jsonl.gz").exists() or not (DATA / "mbpp.jsonl").exists():
        sys.exit(f"shared data not found under {DATA}")
    jobs = suites()
    backends = []
    for backend in ("bwrap", "unshare", "none"):
        try:
            detect(backend)
            backends.append(backend)
        except SandboxUnavailable as error:
            print(f"{backend}: not available here ({error})")
    print(f"{args.workers} workers, median of {args.repeats}, backends interleaved")
    times: dict[str, dict[str, list[float]]] = {b: {} for b in backends}
    scores: dict[str, dict[str, str]] = {b: {} for b in backends}
    for _ in range(args.repeats):
        for backend in backends:
            for name, (seconds, score) in run(backend, jobs, args.workers).items():
                times[backend].setdefault(name, []).append(seconds)
                scores[backend][name] = score
    median = {b: {name: statistics.median(values) for name, values in times[b].items()} for b in backends}
    base = median.get("none")
    for backend in backends:
        m = median[backend]
        references = m["humaneval"] + m["mbpp"]
        per_sample_ms = 1000 * m["trivial"] / len(jobs["trivial"])
        line = (f"{backend:8s} humaneval {scores[backend]['humaneval']}, mbpp {scores[backend]['mbpp']}; "
                f"pool start {m['start']:.2f} s; references {references:.2f} s; trivial {per_sample_ms:.2f} ms/sample")
        if base:
            line += (f"; vs none: references {references / (base['humaneval'] + base['mbpp']):.2f}x, "
                     f"trivial {m['trivial'] / base['trivial']:.2f}x")
        print(line)


if __name__ == "__main__":
    main()
