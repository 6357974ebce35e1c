"""The report's evaluation part: pass rates with intervals, and the problems the fine-tune fixed or broke."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codemill.pipeline.report_charts import pass_rate_chart
from codemill.pipeline.report_dataset import shorten
from codemill.pipeline.report_inputs import ReportInputError, as_number, flatten, read_json, read_jsonl
from codemill.recipe.layout import RunLayout

BASE, TUNED = "base", "finetuned"
MAX_PROBLEMS = 200
MAX_CODE = 6000

Scores = dict[str, dict[str, tuple[float, float | None, float | None]]]


def _interval(entry: dict) -> tuple[float | None, float | None]:
    bounds = entry.get("ci95") or entry.get("ci95@1")
    if isinstance(bounds, (list, tuple)) and len(bounds) == 2:
        return as_number(bounds[0]), as_number(bounds[1])
    return None, None


def short_names(compare: dict) -> dict[str, str]:
    """System label -> the eval folder it came from ('base', 'finetuned'), when compare.json says so."""
    names = {}
    for run in compare.get("runs") or []:
        if isinstance(run, dict) and isinstance(run.get("dir"), str) and run.get("system") is not None:
            parts = Path(run["dir"]).parts
            if "eval" in parts[:-1]:
                names[str(run["system"])] = parts[parts.index("eval") + 1]
    return names


def scores_from_compare(compare: Any, path: Path) -> Scores:
    """`compare.json`'s benchmarks as {benchmark: {run: (pass@1, low, high)}}."""
    benchmarks = compare.get("benchmarks") if isinstance(compare, dict) else None
    if not isinstance(benchmarks, dict):
        raise ReportInputError(f"{path}: 'benchmarks' must be an object of {{benchmark: {{run: scores}}}}")
    scores: Scores = {}
    names = short_names(compare)
    for benchmark, by_run in benchmarks.items():
        if not isinstance(by_run, dict):
            raise ReportInputError(f"{path}: benchmarks.{benchmark} must be an object of {{run: scores}}")
        for run, entry in by_run.items():
            value = as_number(entry.get("pass@1")) if isinstance(entry, dict) else None
            if value is not None:
                scores.setdefault(str(benchmark), {})[names.get(str(run), str(run))] = (value, *_interval(entry))
    return scores


def scores_from_results(eval_dir: Path) -> Scores:
    """pass@1 from each `eval/<run>/<benchmark>/results.json`, without intervals (compare has not run)."""
    scores: Scores = {}
    for path in sorted(eval_dir.glob("*/*/results.json")):
        results = read_json(path)
        pass_at_k = results.get("pass_at_k") if isinstance(results, dict) else None
        value = as_number(pass_at_k.get("pass@1")) if isinstance(pass_at_k, dict) else None
        if value is None:
            raise ReportInputError(f"{path}: no numeric pass_at_k['pass@1']")
        scores.setdefault(path.parent.name, {})[path.parent.parent.name] = (value, None, None)
    return scores


def _score_rows(scores: Scores) -> list[dict]:
    rows = []
    for benchmark, by_run in scores.items():
        first = next(iter(by_run.values()))[0]
        for position, (run, (value, low, high)) in enumerate(by_run.items()):
            rows.append({
                "benchmark": benchmark,
                "run": run,
                "pass1": f"{100 * value:.1f}%",
                "interval": f"{100 * low:.1f} – {100 * high:.1f}%" if low is not None and high is not None else "—",
                "change": f"{100 * (value - first):+.1f} pts" if position else "",
            })
    return rows


def _percent(value: Any, signed: bool = False) -> str:
    number = as_number(value)
    return "—" if number is None else (f"{100 * number:+.1f}" if signed else f"{100 * number:.1f}")


def paired_rows(paired: Any, names: dict[str, str]) -> list[dict]:
    """compare.json's paired tests, one row per (benchmark, candidate vs baseline)."""
    rows = []
    for benchmark, tests in (paired.items() if isinstance(paired, dict) else []):
        for test in tests if isinstance(tests, list) else [tests]:
            if not isinstance(test, dict) or "p_value" not in test:
                continue
            low, high = (test.get("diff_ci95") or [None, None])[:2]
            p_value = as_number(test.get("p_value"))
            rows.append({
                "benchmark": benchmark,
                "pair": f"{names.get(str(test.get('candidate')), test.get('candidate'))} vs "
                        f"{names.get(str(test.get('baseline')), test.get('baseline'))}",
                "change": f"{_percent(test.get('diff_pass@1'), True)} pts ({_percent(low, True)} to {_percent(high, True)})",
                "fixed_broken": f"{test.get('fixed_count', '?')} / {test.get('broken_count', '?')}",
                "p_value": "—" if p_value is None else f"{p_value:.3g}",
                "verdict": "" if p_value is None else ("significant at 5%" if p_value < 0.05 else "not significant at 5%"),
                "test": str(test.get("test", "")),
            })
    return rows


def sandbox_lines(eval_dir: Path) -> list[str]:
    """Which sandbox layers were active in each eval run, from results.json's settings.sandbox."""
    lines = []
    for path in sorted(eval_dir.glob("*/*/results.json")):
        try:
            results = read_json(path)
        except ReportInputError:
            continue
        record = (results.get("settings") or {}).get("sandbox") if isinstance(results, dict) else None
        if isinstance(record, dict):
            missing = ", ".join(record.get("missing_layers") or []) or "none"
            lines.append(f"{path.parent.parent.name}/{path.parent.name}: backend {record.get('backend', '?')}; "
                         f"active: {', '.join(record.get('active_layers') or []) or '?'}; missing: {missing}")
    return lines


def plus_rows(run_dir: Path, compare: Any) -> list[dict]:
    """HumanEval+/MBPP+ runs: pass@1 on the original (base) tests beside base + plus tests, per run."""
    pairs: dict[tuple[str, str], tuple[Any, Any]] = {}
    table = compare.get("base_vs_plus") if isinstance(compare, dict) else None
    if isinstance(table, dict):
        names = short_names(compare)
        for benchmark, by_run in table.items():
            for run, pair in (by_run.items() if isinstance(by_run, dict) else []):
                if isinstance(pair, dict):
                    pairs[(benchmark, names.get(str(run), str(run)))] = (
                        (pair.get("base") or {}).get("pass@1"), (pair.get("plus") or {}).get("pass@1"))
    else:
        for path in sorted(RunLayout(run_dir).eval.glob("*/*+/results.json")):
            try:
                results = read_json(path)
            except ReportInputError:
                continue
            if isinstance(results, dict) and isinstance(results.get("base_pass_at_k"), dict):
                pairs[(path.parent.name, path.parent.parent.name)] = (
                    results["base_pass_at_k"].get("pass@1"), (results.get("pass_at_k") or {}).get("pass@1"))
    rows = []
    for (benchmark, run), (base, plus) in pairs.items():
        base, plus = as_number(base), as_number(plus)
        rows.append({"benchmark": benchmark, "base_name": benchmark.rstrip("+"), "run": run,
                     "base": _percent(base), "plus": _percent(plus),
                     "drop": f"{100 * (plus - base):+.1f} pts" if base is not None and plus is not None else "—"})
    return rows


def eval_section(run_dir: Path, compare: Any) -> dict | None:
    """Pass rates per benchmark and run, from compare.json or, failing that, the raw eval results."""
    layout = RunLayout(run_dir)
    path = layout.compare / "compare.json"
    scores = scores_from_compare(compare, path) if compare is not None else scores_from_results(layout.eval)
    if not scores:
        return None
    paired = compare.get("paired_test") if compare is not None else None
    rows = paired_rows(paired, short_names(compare)) if paired else []
    return {
        "from_compare": compare is not None,
        "rows": _score_rows(scores),
        "chart": pass_rate_chart(scores),
        "paired": rows,
        "paired_other": flatten(paired) if paired and not rows else [],
        "sandbox": sandbox_lines(layout.eval),
        "plus": plus_rows(run_dir, compare),
    }


def _earlier(record: dict, than: dict | None) -> bool:
    index, other = record.get("sample_index", 0), (than or {}).get("sample_index", 0)
    return than is None or (isinstance(index, int) and isinstance(other, int) and index < other)


def _tasks(path: Path) -> tuple[dict[str, dict], int]:
    """Per task: passes, samples, the lowest-index sample and the lowest-index passing one."""
    records, skipped = read_jsonl(path)
    tasks: dict[str, dict] = {}
    for record in records:
        task = tasks.setdefault(str(record.get("task_id")), {"passed": 0, "n": 0, "first": None, "first_pass": None})
        task["n"] += 1
        if _earlier(record, task["first"]):
            task["first"] = record
        if record.get("status") == "pass":
            task["passed"] += 1
            if _earlier(record, task["first_pass"]):
                task["first_pass"] = record
    return tasks, skipped


def _side(task: dict | None) -> dict | None:
    """What one model did on a task: its first passing sample, or its first sample when none passed."""
    if task is None:
        return None
    shown = task["first_pass"] or task["first"]
    return {
        "passed": task["passed"],
        "n": task["n"],
        "status": str(shown.get("status", "?")),
        "error": shorten(str(shown.get("error") or ""), 600),
        "code": shorten(str(shown.get("completion", "")), MAX_CODE),
    }


def _derived(base: dict, tuned: dict, fixed: bool) -> list[str]:
    """Tasks no base sample passed but some fine-tuned one did (fixed), or the other way (broken)."""
    before, after = (base, tuned) if fixed else (tuned, base)
    return [task for task in before if task in after and before[task]["passed"] == 0 and after[task]["passed"] > 0]


def _listed(compare: Any, key: str) -> list[tuple[str | None, str]] | None:
    """compare.json's fixed/broken list as (benchmark or None, task id) pairs; None when absent."""
    items = compare.get(key) if isinstance(compare, dict) else None
    if not isinstance(items, list):
        return None
    pairs = []
    for item in items:
        if isinstance(item, dict):
            pairs.append((item.get("benchmark"), str(item.get("task_id"))))
        else:
            pairs.append((None, str(item)))
    return pairs


def problems_section(run_dir: Path, compare: Any) -> dict | None:
    """Fixed and broken problems with base and fine-tuned code side by side."""
    layout = RunLayout(run_dir)
    names = sorted(p.parent.name for p in (layout.eval / BASE).glob("*/samples.jsonl")
                   if (layout.eval_dir(TUNED, p.parent.name) / "samples.jsonl").is_file())
    if not names:
        return None
    loaded, skipped = {}, []
    for name in names:
        base, base_bad = _tasks(layout.eval_dir(BASE, name) / "samples.jsonl")
        tuned, tuned_bad = _tasks(layout.eval_dir(TUNED, name) / "samples.jsonl")
        loaded[name] = (base, tuned)
        skipped += [f"eval/{run}/{name}/samples.jsonl: {n} unreadable lines skipped"
                    for run, n in ((BASE, base_bad), (TUNED, tuned_bad)) if n]
    section = {"benchmarks": names, "skipped": skipped, "from_compare": False}
    changed = set()
    for key in ("fixed", "broken"):
        listed = _listed(compare, key)
        if listed is None:
            listed = [(name, task) for name, (base, tuned) in loaded.items()
                      for task in _derived(base, tuned, key == "fixed")]
        else:
            section["from_compare"] = True
        section[key] = _problems(listed, loaded)
        changed |= {task for _, task in listed}
    section["unchanged"] = _problems([(name, task) for name, (base, _) in loaded.items()
                                      for task in base if task not in changed], loaded)
    return section


def _problems(listed: list[tuple[str | None, str]], loaded: dict) -> dict:
    """Each listed task with both sides' first sample; a task with no samples is still listed."""
    entries = []
    for benchmark, task in listed:
        names = [benchmark] if benchmark in loaded else [n for n, runs in loaded.items() if any(task in r for r in runs)]
        for name in names or [benchmark or "?"]:
            base, tuned = loaded.get(name, ({}, {}))
            entries.append({"benchmark": name, "task_id": task,
                            "base": _side(base.get(task)), "finetuned": _side(tuned.get(task))})
    return {"total": len(entries), "shown": entries[:MAX_PROBLEMS]}
