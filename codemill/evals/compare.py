"""`compare_runs`: pass@k side by side with bootstrap CIs, a paired test, fixed/broken tasks, chart + report.

The first system given is the baseline; every other system is compared with it, problem by problem.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

from codemill.common.atomic import atomic_open, atomic_write_json, atomic_write_text
from codemill.benchmarks import BenchmarkError
from codemill.evals.passk import DEFAULT_K, pass_at_k

BOOTSTRAP_ROUNDS = 2000
SEED = 0


def load_run(run_dir: str | Path) -> dict:
    path = Path(run_dir) / "results.json"
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BenchmarkError(f"{run_dir}: not an eval output folder (no results.json)") from None
    except json.JSONDecodeError as error:
        raise BenchmarkError(f"{path}: invalid JSON: {error}") from None
    for key in ("benchmark", "per_task"):
        if key not in results:
            raise BenchmarkError(f"{path}: missing '{key}'")
    results["_dir"] = str(run_dir)
    return results


def system_label(results: dict) -> str:
    if results.get("model") is None:
        return results.get("settings", {}).get("samples_file") or results["_dir"]
    return results["model"] + (f" + {results['adapter']}" if results.get("adapter") else "")


def task_scores(per_task: dict, k: int) -> dict[str, float]:
    return {task: pass_at_k(entry["n"], entry["passed"], k) for task, entry in per_task.items() if entry["n"] >= k}


def bootstrap_ci(values: list[float], rounds: int = BOOTSTRAP_ROUNDS, seed: int = SEED) -> list[float]:
    """95% percentile interval of the mean, resampling tasks with replacement."""
    if not values:
        return [math.nan, math.nan]
    rng = random.Random(seed)
    n = len(values)
    means = sorted(sum(rng.choices(values, k=n)) / n for _ in range(rounds))
    return [means[int(0.025 * rounds)], means[min(rounds - 1, int(0.975 * rounds))]]


def mcnemar_exact(broken: int, fixed: int) -> float:
    """Two-sided exact McNemar p-value: a binomial test of the discordant pairs against 1/2."""
    total = broken + fixed
    if total == 0:
        return 1.0
    tail = sum(math.comb(total, i) for i in range(min(broken, fixed) + 1)) / 2 ** total
    return min(1.0, 2 * tail)


def paired_comparison(base: dict, candidate: dict) -> dict:
    """Per-problem outcomes (solved = pass@1 >= 0.5) on shared tasks: McNemar, fixed/broken, diff CI."""
    base_scores, cand_scores = task_scores(base["per_task"], 1), task_scores(candidate["per_task"], 1)
    shared = [task for task in base_scores if task in cand_scores]  # the benchmark's own task order
    fixed = [t for t in shared if base_scores[t] < 0.5 <= cand_scores[t]]
    broken = [t for t in shared if cand_scores[t] < 0.5 <= base_scores[t]]
    diffs = [cand_scores[t] - base_scores[t] for t in shared]
    return {"baseline": base["_label"], "candidate": candidate["_label"], "shared_tasks": len(shared),
            "test": "exact McNemar on per-problem solved/unsolved (solved: pass@1 >= 0.5)",
            "fixed_count": len(fixed), "broken_count": len(broken), "p_value": mcnemar_exact(len(broken), len(fixed)),
            "diff_pass@1": sum(diffs) / len(diffs) if diffs else math.nan,
            "diff_ci95": bootstrap_ci(diffs), "fixed": fixed, "broken": broken}


def run_ks(results: dict) -> list[int]:
    """The k values a run reports (`settings.k`, or the default for runs that predate it)."""
    ks = (results.get("settings") or {}).get("k") or DEFAULT_K
    return sorted({int(k) for k in ks})


def _scores(results: dict, per_task_key: str = "per_task") -> dict:
    row = {}
    per_task = results[per_task_key]
    for k in run_ks(results):
        values = list(task_scores(per_task, k).values())
        if values and len(values) == len(per_task):
            row[f"pass@{k}"] = sum(values) / len(values)
            row[f"ci95@{k}"] = bootstrap_ci(values)
    row["ci95"] = row.get("ci95@1")
    row["num_tasks"] = len(per_task)
    return row


def base_vs_plus(runs: list[dict]) -> dict:
    """{plus benchmark: {system: {"base": scores, "plus": scores}}}: EvalPlus's base tests beside all tests.

    The base column is the plus run's own verdict on the original inputs, so both columns score the
    same samples; a run of the original benchmark by the same system is used when the plus run has none.
    """
    table: dict[str, dict] = {}
    originals = {(run["benchmark"], run["_label"]): run for run in runs if not run["benchmark"].endswith("+")}
    for run in runs:
        if not run["benchmark"].endswith("+"):
            continue
        if "base_per_task" in run:
            base = _scores(run, "base_per_task")
        elif (original := originals.get((run["benchmark"][:-1], run["_label"]))) is not None:
            base = _scores(original)
        else:
            continue
        table.setdefault(run["benchmark"], {})[run["_label"]] = {"base": base, "plus": _scores(run)}
    return table


def _unique_per_benchmark(runs: list[dict], run: dict) -> bool:
    """True when no other run of the same benchmark has the same system label."""
    return sum(system_label(r) == system_label(run) and r["benchmark"] == run["benchmark"] for r in runs) == 1


def _group(runs: list[dict]) -> dict[str, list[dict]]:
    """Runs by benchmark, in the order given (several run dirs per model are allowed)."""
    grouped: dict[str, list[dict]] = {}
    for run in runs:
        grouped.setdefault(run["benchmark"], []).append(run)
    return grouped


def compare_runs(run_dirs: list[str | Path], out_dir: str | Path) -> dict:
    """Write compare.json, compare.md and compare.png to `out_dir`; return the JSON document."""
    runs = [load_run(run_dir) for run_dir in run_dirs]
    for run in runs:
        label = system_label(run)
        run["_label"] = label if _unique_per_benchmark(runs, run) else f"{label} ({run['_dir']})"
    report = {"runs": [{"dir": r["_dir"], "system": r["_label"], "benchmark": r["benchmark"]} for r in runs],
              "benchmarks": {}, "paired_test": {}, "fixed": [], "broken": [],
              "method": {"ci": f"percentile bootstrap over tasks, {BOOTSTRAP_ROUNDS} rounds, seed {SEED}",
                         "baseline": "the first run of each benchmark"}}
    for benchmark, group in _group(runs).items():
        report["benchmarks"][benchmark] = {run["_label"]: _scores(run) for run in group}
        tests = [paired_comparison(group[0], candidate) for candidate in group[1:]]
        report["paired_test"][benchmark] = tests
        if tests:
            report["fixed"] += tests[0]["fixed"]
            report["broken"] += tests[0]["broken"]
    report["base_vs_plus"] = base_vs_plus(runs)
    out_dir = Path(out_dir)
    atomic_write_json(out_dir / "compare.json", report)
    atomic_write_text(out_dir / "compare.md", render_markdown(report))
    draw_chart(report, out_dir / "compare.png")
    return report


def _pct(value) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{100 * value:.1f}"


def render_markdown(report: dict) -> str:
    lines = ["# Eval comparison", ""]
    for benchmark, systems in report["benchmarks"].items():
        ks = sorted({int(key[5:]) for row in systems.values() for key in row if key.startswith("pass@")})
        lines += [f"## {benchmark}", "", "| system | tasks | " + " | ".join(f"pass@{k} (95% CI)" for k in ks) + " |",
                  "|---|---|" + "---|" * len(ks)]
        for name, row in systems.items():
            cells = [f"{_pct(row.get(f'pass@{k}'))} [{_pct((row.get(f'ci95@{k}') or [None])[0])}, "
                     f"{_pct((row.get(f'ci95@{k}') or [None, None])[1])}]" for k in ks]
            lines.append(f"| {name} | {row['num_tasks']} | " + " | ".join(cells) + " |")
        for test in report["paired_test"][benchmark]:
            verdict = "significant at 5%" if test["p_value"] < 0.05 else "not significant at 5%"
            lines += ["", f"**{test['candidate']}** vs **{test['baseline']}**: pass@1 change "
                      f"{100 * test['diff_pass@1']:+.1f} points (95% CI {100 * test['diff_ci95'][0]:+.1f} to "
                      f"{100 * test['diff_ci95'][1]:+.1f}); fixed {test['fixed_count']}, broken {test['broken_count']}; "
                      f"exact McNemar p = {test['p_value']:.4g} ({verdict}).", "",
                      f"- fixed: {', '.join(test['fixed']) or 'none'}", f"- broken: {', '.join(test['broken']) or 'none'}"]
        lines.append("")
    for benchmark, systems in report.get("base_vs_plus", {}).items():
        lines += [f"## {benchmark[:-1]} vs {benchmark} (base tests vs base + plus tests)", "",
                  f"| system | {benchmark[:-1]} pass@1 | {benchmark} pass@1 | drop |", "|---|---|---|---|"]
        for name, pair in systems.items():
            base, plus = pair["base"].get("pass@1"), pair["plus"].get("pass@1")
            drop = f"{100 * (plus - base):+.1f}" if base is not None and plus is not None else "-"
            lines.append(f"| {name} | {_pct(base)} | {_pct(plus)} | {drop} |")
        lines.append("")
    lines.append(f"Intervals: {report['method']['ci']}. Baseline: {report['method']['baseline']}.")
    return "\n".join(lines) + "\n"


def draw_chart(report: dict, path: Path) -> None:
    """Grouped bars of pass@1 per benchmark and system, with 95% CI whiskers."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    benchmarks = list(report["benchmarks"])
    systems = list(dict.fromkeys(name for rows in report["benchmarks"].values() for name in rows))
    width = 0.8 / max(1, len(systems))
    figure, axes = plt.subplots(figsize=(max(4, 2.5 * len(benchmarks) + 1), 3.5))
    for index, name in enumerate(systems):
        xs, ys, errors = [], [], [[], []]
        for position, benchmark in enumerate(benchmarks):
            row = report["benchmarks"][benchmark].get(name)
            if row and "pass@1" in row:
                xs.append(position + index * width)
                ys.append(row["pass@1"])
                errors[0].append(row["pass@1"] - row["ci95"][0])
                errors[1].append(row["ci95"][1] - row["pass@1"])
        axes.bar(xs, ys, width, yerr=errors, capsize=3, label=name[-40:])
    axes.set_xticks([p + width * (len(systems) - 1) / 2 for p in range(len(benchmarks))], benchmarks)
    axes.set_ylabel("pass@1")
    axes.set_ylim(0, 1)
    axes.legend(fontsize="small")
    figure.tight_layout()
    with atomic_open(path, "wb") as handle:
        figure.savefig(handle, format="png", dpi=120)
    plt.close(figure)
