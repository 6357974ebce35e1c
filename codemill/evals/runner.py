"""`evaluate`: problems -> completions (generated or read) -> timeout calibration -> sandbox -> pass@k.

Every step resumes: generated completions, the calibration and each executed sample are recorded
as they finish, so a rerun with the same settings executes only what is missing.
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
import time
from pathlib import Path

from codemill import __version__
from codemill.common.atomic import atomic_open, atomic_write_json
from codemill.common.console import console
from codemill.common.manifest import JobManifest
from codemill.common.progress import progress
from codemill.evals.config import BenchmarkSpec, EvalConfig
from codemill.evals.calibrate import calibrate, reference_failures
from codemill.evals.generate import GenerationSettings
from codemill.evals.passk import aggregate_pass_at_k
from codemill.evals.postprocess import describe_rules, postprocess
from codemill.evals.problems import EvalDataError, Problem, load_problems, mbpp_task_id, problems_fingerprint
from codemill.evals.sandbox import Job, Limits, SandboxPool, detect


def _hash(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


def read_samples(path: str | Path, problems: list[Problem]) -> dict[str, list[dict]]:
    """Completions made elsewhere: JSONL records with task_id and `completion` or a full `solution`."""
    known = {problem.task_id: problem for problem in problems}
    benchmark = problems[0].benchmark
    grouped: dict[str, list[dict]] = {}
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise EvalDataError(f"{path}: line {number}: invalid JSON: {error}") from None
            if "task_id" not in record or not ({"completion", "solution"} & set(record)):
                raise EvalDataError(f"{path}: line {number}: needs task_id and completion or solution")
            task_id = mbpp_task_id(record["task_id"]) if benchmark == "mbpp" else str(record["task_id"])
            if task_id not in known:
                continue  # outside --limit or another split
            full = "solution" in record
            grouped.setdefault(task_id, []).append({"completion": record["solution" if full else "completion"],
                                                    "full_solution": full})
    if not grouped:
        raise EvalDataError(f"{path}: no record matches a {benchmark} task id")
    return grouped


def _generate(problems, model, adapter, settings, prompt_format, backend, out_dir, fingerprint) -> tuple[dict, str]:
    from codemill.evals import generate as gen

    manifest = JobManifest(out_dir, "generation", fingerprint)
    todo = [problem for problem in problems if not manifest.is_done(problem.task_id)]
    use_vllm = backend == "vllm" or (backend == "auto" and gen.vllm_available())
    if todo:
        with progress("generating", total=len(todo)) as bar:
            def record(problem, prompt, raw_outputs, fmt):
                completions = [postprocess(raw, problem.benchmark, fmt) for raw in raw_outputs]
                manifest.mark_done(problem.task_id, {"prompt": prompt, "raw": raw_outputs, "completions": completions,
                                                     "prompt_format": fmt})
                bar.advance(1)

            if use_vllm:
                gen.generate_vllm(model, adapter, todo, prompt_format, settings, record)
            else:
                lm, tokenizer = gen.load_model(model, adapter)
                gen.generate_transformers(lm, tokenizer, todo, gen.choose_prompt_format(tokenizer, prompt_format),
                                          settings, record)
    done = manifest.done
    used = {entry["prompt_format"] for entry in done.values()}
    samples = {task: [{"completion": c, "full_solution": False} for c in done[task]["completions"]] for task in done}
    return samples, ",".join(sorted(used)) or prompt_format


def _calibration(problems, pool, out_dir, base_s, factor) -> dict:
    path = out_dir / "calibration.json"
    key = {"problems": problems_fingerprint(problems), "base_s": base_s, "factor": factor, "host": platform.node()}
    if path.exists():
        saved = json.loads(path.read_text(encoding="utf-8"))
        if saved.get("key") == key:
            return saved["tasks"]
    with progress("calibrating timeouts", total=len(problems)) as bar:
        tasks = calibrate(problems, pool, base_s, factor, bar)
    atomic_write_json(path, {"key": key, "tasks": tasks})
    return tasks


def _execute(problems, samples, calibration, pool, out_dir, fingerprint) -> list[dict]:
    known = {problem.task_id: problem for problem in problems}
    manifest = JobManifest(out_dir, "execution", fingerprint)
    records, jobs = {}, []
    for task_id, entries in samples.items():
        problem = known[task_id]
        for index, entry in enumerate(entries):
            make = problem.full_solution_program if entry["full_solution"] else problem.program
            program = make(entry["completion"])
            key = f"{task_id}#{index}#{_hash(program)}"
            records[key] = {"task_id": task_id, "sample_index": index, "completion": entry["completion"]}
            if not manifest.is_done(key):
                jobs.append(Job(key, program, calibration[task_id]["timeout_s"]))
    with progress("executing samples", total=len(jobs)) as bar:
        for outcome in pool.map(jobs):
            manifest.mark_done(outcome.key, {"status": outcome.status, "error": outcome.error,
                                             "runtime_s": outcome.runtime_s})
            bar.advance(1)
    done = manifest.done
    return [{**records[key], **{f: done[key][f] for f in ("status", "error", "runtime_s")}} for key in records]


def _per_task(rows: list[dict]) -> dict:
    table: dict[str, dict[str, int]] = {}
    for row in rows:
        entry = table.setdefault(row["task_id"], {"passed": 0, "n": 0})
        entry["n"] += 1
        entry["passed"] += row["status"] == "pass"
    return table


def _write_samples(path: Path, rows: list[dict], problems: list[Problem]) -> None:
    """samples.jsonl in benchmark order, written atomically."""
    order = {problem.task_id: index for index, problem in enumerate(problems)}
    rows.sort(key=lambda row: (order[row["task_id"]], row["sample_index"]))
    with atomic_open(path) as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def _timeouts_record(calibration: dict, base_s: float, factor: float) -> dict:
    return {"rule": "max(base_s, factor x reference runtime)", "base_s": base_s, "factor": factor,
            "per_task": calibration, "reference_failures": reference_failures(calibration)}


def _versions() -> dict:
    versions = {"codemill": __version__, "python": sys.version.split()[0], "platform": platform.platform()}
    for name in ("torch", "transformers", "peft", "vllm"):
        module = sys.modules.get(name)
        if module is not None:
            versions[name] = getattr(module, "__version__", "?")
    return versions


def evaluate(out_dir: str | Path, benchmark: str = "humaneval", *, model: str | None = None, adapter: str | None = None,
             samples_file: str | Path | None = None, data_file: str | Path | None = None, limit: int | None = None,
             n_samples: int = 1, temperature: float = 0.0, max_new_tokens: int = 512, batch_size: int = 8,
             prompt_format: str = "auto", backend: str = "auto", seed: int = 0, workers: int | None = None,
             timeout_base_s: float = 3.0, timeout_factor: float = 10.0, limits: Limits = Limits(),
             sandbox: str = "auto") -> dict:
    """Score a model (or a samples file) on a benchmark; writes samples.jsonl + results.json, returns results."""
    if (model is None) == (samples_file is None):
        raise ValueError("evaluate needs exactly one of model or samples_file")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    problems = load_problems(benchmark, data_file, limit)
    settings = GenerationSettings(n_samples, temperature, max_new_tokens=max_new_tokens, batch_size=batch_size, seed=seed)
    gen_key = _hash([model, adapter, str(samples_file), problems_fingerprint(problems), settings.__dict__,
                     prompt_format, backend])
    if samples_file is not None:
        samples, used_format = read_samples(samples_file, problems), "external"
        if len(samples) < len(problems):
            console.print(f"[yellow]note:[/] {samples_file} has samples for {len(samples)} of {len(problems)} "
                          "tasks; pass@k is over those tasks only", markup=True)
    else:
        samples, used_format = _generate(problems, model, adapter, settings, prompt_format, backend, out_dir, gen_key)
    isolation = detect(sandbox)
    for warning in isolation.warnings:
        console.print(f"[bold yellow]sandbox warning:[/] {warning}", markup=True)
    started = time.monotonic()
    with SandboxPool(workers, limits, isolation) as pool:
        calibration = _calibration(problems, pool, out_dir, timeout_base_s, timeout_factor)
        exec_key = _hash([gen_key, calibration, limits.__dict__, isolation.backend])
        rows = _execute(problems, samples, calibration, pool, out_dir, exec_key)
    _write_samples(out_dir / "samples.jsonl", rows, problems)
    per_task = _per_task(rows)
    results = {
        "benchmark": benchmark, "model": model, "adapter": adapter, "num_tasks": len(per_task),
        "n_samples": n_samples, "pass_at_k": aggregate_pass_at_k(per_task), "per_task": per_task,
        "status_counts": {s: sum(r["status"] == s for r in rows) for s in ("pass", "fail", "timeout", "error")},
        "settings": {
            "data": str(data_file) if data_file else f"hub:{benchmark}",
            "samples_file": str(samples_file) if samples_file else None, "limit": limit,
            "prompt_format": used_format, "temperature": temperature, "top_p": settings.top_p,
            "max_new_tokens": max_new_tokens, "batch_size": batch_size, "seed": seed, "backend": backend,
            "postprocessing": describe_rules(), "timeouts": _timeouts_record(calibration, timeout_base_s, timeout_factor),
            "limits": limits.__dict__, "sandbox": isolation.record(), "workers": pool.size,
            "execution_s": round(time.monotonic() - started, 3), "versions": _versions()},
    }
    atomic_write_json(out_dir / "results.json", results)
    return results


def evaluate_from_config(config: EvalConfig, spec: BenchmarkSpec, out_dir: str | Path, *, model: str,
                         adapter: str | None = None) -> dict:
    """`evaluate` driven by a recipe's `eval` section, for one of its benchmarks."""
    box = config.sandbox
    limits = Limits(memory_mb=box.memory_mb, max_processes=box.max_processes, output_bytes=box.output_bytes)
    return evaluate(out_dir, spec.name, model=model, adapter=adapter, data_file=spec.data_file, limit=spec.limit,
                    n_samples=config.n_samples, temperature=config.temperature, max_new_tokens=config.max_new_tokens,
                    batch_size=config.batch_size, prompt_format=config.prompt_format, backend=config.backend,
                    seed=config.seed, workers=box.workers, timeout_base_s=box.timeout_base_s,
                    timeout_factor=box.timeout_factor, limits=limits, sandbox=box.backend)
