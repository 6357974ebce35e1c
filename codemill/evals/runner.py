"""`evaluate`: problems -> completions (generated or read) -> timeout calibration -> sandbox -> pass@k.

Every step resumes: generated completions, the calibration and each executed sample are recorded
as they finish, so a rerun with the same settings executes only what is missing.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path

from codemill import __version__
from codemill.benchmarks import (Benchmark, BenchmarkError, Problem, canonical_task_id, load_benchmark,
                                 problems_fingerprint, read_numbered)
from codemill.common.atomic import atomic_open, atomic_write_json
from codemill.common.console import console
from codemill.common.digest import fingerprint
from codemill.common.manifest import JobManifest
from codemill.common.progress import progress
from codemill.evals import plus
from codemill.evals.calibrate import calibrate, reference_failures
from codemill.recipe.eval import BenchmarkSpec, EvalConfig
from codemill.evals.generate import GenerationSettings
from codemill.evals.passk import DEFAULT_K, aggregate_pass_at_k
from codemill.evals.postprocess import describe_rules, postprocess
from codemill.sandbox import Job, Limits, SandboxPool, detect

EXAMPLES = 5  # unknown task ids listed in results.json
DEFAULTS = EvalConfig()  # the recipe's defaults are the only ones: the CLI and `evaluate` take theirs from here


def _hash(obj) -> str:
    return fingerprint(obj, 16)


def read_samples(path: str | Path, problems: list[Problem], mode: str = "none") -> tuple[dict[str, list[dict]], dict]:
    """Completions made elsewhere: JSONL records with task_id and `completion` or a full `solution`.

    `mode` post-processes each completion as if it were raw chat or completion output (`none`: as is).
    Returns the samples by task and an account of the file: records read, used, with unknown task ids,
    with a null completion.
    """
    known = {problem.task_id: problem for problem in problems}
    benchmark = problems[0].benchmark
    grouped: dict[str, list[dict]] = {}
    account = {"records": 0, "used": 0, "unknown_task_ids": 0, "unknown_examples": [], "null_completions": 0}
    for number, record in read_numbered(path):
        if "task_id" not in record or not {"completion", "solution"} & set(record):
            raise BenchmarkError(f"{path}: line {number}: needs task_id and completion or solution")
        account["records"] += 1
        try:
            task_id = canonical_task_id(benchmark, record["task_id"])
        except BenchmarkError:
            task_id = str(record["task_id"])
        full = "solution" in record
        text = record["solution" if full else "completion"]
        if task_id not in known:
            account["unknown_task_ids"] += 1
            if len(account["unknown_examples"]) < EXAMPLES:
                account["unknown_examples"].append(task_id)
            continue
        if text is None:
            account["null_completions"] += 1
            continue
        if not isinstance(text, str):
            raise BenchmarkError(f"{path}: line {number}: {'solution' if full else 'completion'} must be a string")
        problem = known[task_id]
        if not full:
            text = postprocess(text, benchmark, mode, problem.entry_point, problem.prompt)
        account["used"] += 1
        grouped.setdefault(task_id, []).append({"completion": text, "full_solution": full})
    if not grouped:
        raise BenchmarkError(f"{path}: no record matches a {benchmark} task id "
                             f"(first ids seen: {', '.join(account['unknown_examples']) or 'none'})")
    return grouped, account


def _generate(problems, model, adapter, settings, prompt_format, backend, out_dir, fingerprint) -> tuple[dict, str]:
    from codemill.evals import generate as gen

    manifest = JobManifest(out_dir, "generation", fingerprint)
    todo = [problem for problem in problems if not manifest.is_done(problem.task_id)]
    use_vllm = backend == "vllm" or (backend == "auto" and gen.vllm_available())
    if todo:
        with progress("generating", total=len(todo)) as bar:
            def record(problem, prompt, raw_outputs, fmt):
                completions = [postprocess(raw, problem.benchmark, fmt, problem.entry_point, problem.prompt)
                               for raw in raw_outputs]
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


def _prepare_plus(benchmark: Benchmark, pool) -> tuple[list[Problem], dict, dict]:
    """HumanEval+/MBPP+: expected outputs from the canonical solutions, then each problem's differential tests.

    Returns the problems with their tests, a calibration-like timeout table, and each task's base-pass mark.
    """
    digest = benchmark.source.get("sha256") or benchmark.source.get("revision") or "unknown"
    with progress("expected outputs (canonical solutions)", total=len(benchmark.problems)) as bar:
        entries = plus.expected_outputs(benchmark.problems, pool, digest, bar)
    problems, table, marks = [], {}, {}
    for problem in benchmark.problems:
        entry = entries[problem.task_id]
        checked, wall, marks[problem.task_id] = plus.with_checks(problem, entry)
        problems.append(checked)
        status = "error" if entry["error"] else ("fail" if entry["reference_errors"] else "pass")
        table[problem.task_id] = {"reference_s": round(sum(entry["times"]), 4), "reference_status": status,
                                  "reference_error": entry["error"] or "; ".join(
                                      f"input {i}: {text}" for i, text in list(entry["reference_errors"].items())[:3]),
                                  "timeout_s": wall, "inputs": len(entry["expected"]),
                                  "per_input_limits": f"max({plus.FLOOR_S}, {plus.FACTOR} x canonical time)"}
    return problems, table, marks


def _execute(problems, samples, calibration, pool, out_dir, fingerprint, marks) -> list[dict]:
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
            status, info = outcome.status, {}
            mark = marks.get(outcome.key.split("#", 1)[0])
            if mark is not None:
                status, info["base_passed"] = plus.classify(outcome.status, outcome.error, outcome.output, mark)
            manifest.mark_done(outcome.key, {"status": status, "error": outcome.error,
                                             "runtime_s": outcome.runtime_s, **info})
            bar.advance(1)
    done = manifest.done
    fields = ("status", "error", "runtime_s", "base_passed")
    return [{**records[key], **{f: done[key][f] for f in fields if f in done[key]}} for key in records]


def _per_task(rows: list[dict], passed=lambda row: row["status"] == "pass") -> dict:
    table: dict[str, dict[str, int]] = {}
    for row in rows:
        entry = table.setdefault(row["task_id"], {"passed": 0, "n": 0})
        entry["n"] += 1
        entry["passed"] += bool(passed(row))
    return table


def _write_samples(path: Path, rows: list[dict], problems: list[Problem]) -> None:
    """samples.jsonl in benchmark order, written atomically."""
    order = {problem.task_id: index for index, problem in enumerate(problems)}
    rows.sort(key=lambda row: (order[row["task_id"]], row["sample_index"]))
    with atomic_open(path) as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def _timeouts_record(calibration: dict, base_s: float, factor: float, is_plus: bool) -> dict:
    rule = (f"per input max({plus.FLOOR_S} s, {plus.FACTOR} x canonical time); per sample their sum, at most "
            f"{plus.TASK_CAP_S} s, + 2 s" if is_plus else "max(base_s, factor x reference runtime)")
    return {"rule": rule, "base_s": base_s, "factor": factor, "per_task": calibration,
            "reference_failures": reference_failures(calibration)}


def _versions() -> dict:
    versions = {"codemill": __version__, "python": sys.version.split()[0], "platform": platform.platform()}
    for name in ("torch", "transformers", "peft", "vllm"):
        module = sys.modules.get(name)
        if module is not None:
            versions[name] = getattr(module, "__version__", "?")
    return versions


def _sample_counts(samples: dict) -> int | dict:
    """Samples per task: one number when every task has the same, else {min, max}."""
    counts = sorted({len(entries) for entries in samples.values()})
    return counts[0] if len(counts) == 1 else {"min": counts[0], "max": counts[-1]}


def evaluate(out_dir: str | Path, benchmark: str = "humaneval", *, model: str | None = None, adapter: str | None = None,
             samples_file: str | Path | None = None, data_file: str | Path | None = None, limit: int | None = None,
             n_samples: int = DEFAULTS.n_samples, temperature: float = DEFAULTS.temperature,
             max_new_tokens: int = DEFAULTS.max_new_tokens, batch_size: int = DEFAULTS.batch_size,
             prompt_format: str = DEFAULTS.prompt_format, backend: str = DEFAULTS.backend, seed: int = DEFAULTS.seed,
             workers: int | None = DEFAULTS.sandbox.workers, timeout_base_s: float = DEFAULTS.sandbox.timeout_base_s,
             timeout_factor: float = DEFAULTS.sandbox.timeout_factor, limits: Limits = Limits(),
             sandbox: str = DEFAULTS.sandbox.backend, postprocess_samples: str = "none", k: list[int] | None = None,
             hub_config: str | None = None, revision: str | None = None) -> dict:
    """Score a model (or a samples file) on a benchmark; writes samples.jsonl + results.json, returns results."""
    if (model is None) == (samples_file is None):
        raise ValueError("evaluate needs exactly one of model or samples_file")
    isolation = detect(sandbox)  # before any heavy work: refuses when no backend can contain samples
    for warning in isolation.warnings:
        console.print(f"[bold yellow]sandbox warning:[/] {warning}", markup=True)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = load_benchmark(benchmark, data_file, limit=limit, config=hub_config, revision=revision)
    problems = data.problems
    settings = GenerationSettings(n_samples, temperature, max_new_tokens=max_new_tokens, batch_size=batch_size, seed=seed)
    gen_key = _hash([model, adapter, str(samples_file), problems_fingerprint(problems), settings.__dict__,
                     prompt_format, backend, postprocess_samples])
    account = None
    if samples_file is not None:
        samples, account = read_samples(samples_file, problems, postprocess_samples)
        used_format = "external"
        notes = []
        if len(samples) < len(problems):
            notes.append(f"samples for {len(samples)} of {len(problems)} tasks; pass@k is over those tasks only")
        if account["unknown_task_ids"]:
            notes.append(f"{account['unknown_task_ids']} records with task ids not in {benchmark} "
                         f"(e.g. {', '.join(account['unknown_examples'][:3])}) were not scored")
        if account["null_completions"]:
            notes.append(f"{account['null_completions']} records with a null completion were not scored")
        for note in notes:
            console.print(f"[yellow]note:[/] {samples_file}: {note}", markup=True)
    else:
        samples, used_format = _generate(problems, model, adapter, settings, prompt_format, backend, out_dir, gen_key)
    is_plus = benchmark.endswith("+")
    started = time.monotonic()
    with SandboxPool(workers, limits, isolation) as pool:
        if is_plus:
            problems, calibration, marks = _prepare_plus(data, pool)
        else:
            calibration, marks = _calibration(problems, pool, out_dir, timeout_base_s, timeout_factor), {}
        exec_key = _hash([gen_key, calibration, limits.__dict__, isolation.backend])
        rows = _execute(problems, samples, calibration, pool, out_dir, exec_key, marks)
    _write_samples(out_dir / "samples.jsonl", rows, problems)
    per_task = _per_task(rows)
    ks = list(k) if k else list(DEFAULT_K)
    generated = samples_file is None
    modes = used_format.split(",") if generated else [postprocess_samples]
    results = {
        "benchmark": benchmark, "model": model, "adapter": adapter, "num_tasks": len(per_task),
        "n_samples": n_samples if generated else _sample_counts(samples),
        "pass_at_k": aggregate_pass_at_k(per_task, ks), "per_task": per_task,
        "status_counts": {s: sum(r["status"] == s for r in rows) for s in ("pass", "fail", "timeout", "error")},
        "settings": {
            "data": data.source, "samples_file": str(samples_file) if samples_file else None,
            "samples_input": account, "limit": limit, "k": ks, "prompt_format": used_format,
            "generation": ({"temperature": temperature, "top_p": settings.top_p, "max_new_tokens": max_new_tokens,
                            "batch_size": batch_size, "seed": seed, "backend": backend} if generated else None),
            "postprocessing": [describe_rules(mode) for mode in modes if mode in ("chat", "completion", "none")],
            "timeouts": _timeouts_record(calibration, timeout_base_s, timeout_factor, is_plus),
            "limits": limits.__dict__, "sandbox": isolation.record(), "workers": pool.size,
            "execution_s": round(time.monotonic() - started, 3), "versions": _versions()},
    }
    if is_plus and any(problem.plus.n_base for problem in problems):
        base_per_task = _per_task(rows, lambda row: row.get("base_passed"))
        results["base_pass_at_k"] = aggregate_pass_at_k(base_per_task, ks)
        results["base_per_task"] = base_per_task
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
                    timeout_factor=box.timeout_factor, limits=limits, sandbox=box.backend, k=config.k,
                    hub_config=spec.config, revision=spec.revision)
