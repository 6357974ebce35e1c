"""HumanEval+ and MBPP+ (EvalPlus): the same problems with many more test inputs.

Two layouts are read: EvalPlus's own JSONL (`task_id, prompt, entry_point, canonical_solution,
base_input, plus_input, atol`) and the Hub's (`evalplus/humanevalplus`, `evalplus/mbppplus`), whose
`test` code holds one `inputs = [...]` list. Expected outputs are not read from either: evals
computes them by running the canonical solution in the sandbox.
"""

from __future__ import annotations

import ast

from codemill.benchmarks.problems import (CHAT_REPLY, BenchmarkError, PlusInputs, Problem, _called_name,
                                          canonical_task_id, humaneval_instruction)

def _inputs_from_test(test: str, where: str) -> tuple[str, int]:
    """The `inputs = [...]` list of the Hub's test code, as source text, and its length."""
    try:
        tree = ast.parse(test)
    except SyntaxError as error:
        raise BenchmarkError(f"{where}: test: not valid Python ({error.msg})") from None
    for node in ast.walk(tree):
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id == "inputs" and isinstance(node.value, (ast.List, ast.Tuple))):
            return ast.get_source_segment(test, node.value), len(node.value.elts)
    raise BenchmarkError(f"{where}: test: no `inputs = [...]` list; use the EvalPlus JSONL layout with base_input "
                         "and plus_input instead")


def _argument_lists(value, where: str, field: str) -> tuple[str, int]:
    if not isinstance(value, list) or not all(isinstance(args, list) for args in value):
        raise BenchmarkError(f"{where}: {field}: must be a list of argument lists")
    return repr(value), len(value)  # Python source; inf/nan are names the sandbox defines


def evalplus_problem(benchmark: str, record: dict, where: str) -> Problem:
    task_id = canonical_task_id(benchmark, record.get("task_id"))
    reference = record.get("canonical_solution") or record.get("code")
    prompt = record.get("prompt")
    if not isinstance(prompt, str) or not isinstance(reference, str):
        raise BenchmarkError(f"{where}: {task_id}: needs prompt and canonical_solution (or code)")
    tests = [str(test) for test in record.get("test_list") or []]
    entry = record.get("entry_point") or (_called_name(tests[0]) if tests else None)
    if not entry:
        raise BenchmarkError(f"{where}: {task_id}: entry_point: missing")
    if "base_input" in record:
        base, n_base = _argument_lists(record["base_input"], f"{where}: {task_id}", "base_input")
        plus, n_plus = _argument_lists(record.get("plus_input") or [], f"{where}: {task_id}", "plus_input")
    elif isinstance(record.get("test"), str):
        base, n_base = "[]", 0
        plus, n_plus = _inputs_from_test(record["test"], f"{where}: {task_id}")
    else:
        raise BenchmarkError(f"{where}: {task_id}: needs base_input and plus_input (EvalPlus JSONL) or test")
    try:
        atol = float(record.get("atol") or 0.0)
    except (TypeError, ValueError):
        raise BenchmarkError(f"{where}: {task_id}: atol: must be a number, got {record.get('atol')!r}") from None
    if benchmark == "mbpp+":
        if not prompt.lstrip().startswith('"""'):
            prompt = f'"""\n{prompt.strip()}\n{tests[0] if tests else ""}\n"""\n'
        description = prompt.strip().strip('"').strip()
        instruction = f"{description}\n{CHAT_REPLY}"
    else:
        description, instruction = prompt, humaneval_instruction(prompt)
    return Problem(benchmark, task_id, prompt, instruction, reference, "", entry, description, tuple(tests),
                   PlusInputs(base, plus, n_base, n_plus, atol))


def evalplus_problems(benchmark: str, records: list[dict], where: str) -> list[Problem]:
    problems = []
    for number, record in enumerate(records, start=1):
        problems.append(evalplus_problem(benchmark, record, f"{where}: record {number}"))
    return problems
