"""A user's own benchmark: JSONL of `task_id, prompt, tests` (+ optional `entry_point`, `language`, ...).

`tests` is assert code (a string or a list of strings) or input/output pairs
(`[{"input": [args...], "output": value}, ...]`, which need `entry_point`). Every record is checked
before anything runs; an error names the line and the field.
"""

from __future__ import annotations

import json
import re

from codemill.benchmarks.problems import CHAT_REPLY, BenchmarkError, Problem

FIELDS = {"task_id", "prompt", "tests", "entry_point", "language", "canonical_solution", "description"}
LANGUAGES = ("python",)
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*\Z")
_CODE_LINE = re.compile(r"^(def|async def|class|import|from)\s", re.MULTILINE)

# Checks input/output pairs inside the sandbox: tuples compare like lists, floats within 1e-6.
IO_HARNESS = '''
import json as _json
import math as _math


def _same(got, want):
    if isinstance(got, tuple):
        got = list(got)
    if isinstance(want, float) or (isinstance(got, float) and isinstance(want, (int, float))):
        return isinstance(got, (int, float)) and _math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-6)
    if isinstance(got, list) and isinstance(want, list):
        return len(got) == len(want) and all(_same(g, w) for g, w in zip(got, want))
    if isinstance(got, dict) and isinstance(want, dict):
        return got.keys() == want.keys() and all(_same(got[k], want[k]) for k in got)
    return got == want


for _number, _case in enumerate(_json.loads({cases!r}), start=1):
    _got = {entry}(*_case["input"])
    assert _same(_got, _case["output"]), f"case {{_number}}: got {{_got!r}}, expected {{_case['output']!r}}"
'''


def _fail(where: str, number: int, field: str, message: str) -> BenchmarkError:
    return BenchmarkError(f"{where}: line {number}: {field}: {message}")


def _tests(record: dict, where: str, number: int) -> tuple[str, tuple[str, ...], bool]:
    """(test code, test texts, whether they are input/output pairs)."""
    tests = record.get("tests")
    if isinstance(tests, str) and tests.strip():
        return tests, (tests,), False
    if not isinstance(tests, list) or not tests:
        raise _fail(where, number, "tests", "must be assert code (a string or a list of strings) or a non-empty "
                                            'list of {"input": [args...], "output": value} pairs')
    if all(isinstance(test, str) for test in tests):
        return "\n".join(tests), tuple(tests), False
    for index, test in enumerate(tests):
        if not isinstance(test, dict) or set(test) != {"input", "output"}:
            raise _fail(where, number, f"tests[{index}]", 'must be {"input": [args...], "output": value}')
        if not isinstance(test["input"], list):
            raise _fail(where, number, f"tests[{index}].input", "must be the list of arguments")
    entry = record.get("entry_point")
    if not entry:
        raise _fail(where, number, "entry_point", "is required when tests are input/output pairs")
    cases = json.dumps(tests)
    return IO_HARNESS.format(cases=cases, entry=entry), tuple(json.dumps(t) for t in tests), True


def _check_syntax(code: str, where: str, number: int, field: str) -> None:
    try:
        compile(code, f"{field}", "exec")
    except SyntaxError as error:
        raise _fail(where, number, field, f"is not valid Python ({error.msg}, line {error.lineno})") from None


def custom_problem(record: dict, where: str, number: int) -> Problem:
    unknown = sorted(set(record) - FIELDS)
    if unknown:
        raise _fail(where, number, unknown[0], f"unknown field; expected {', '.join(sorted(FIELDS))}")
    for field in ("task_id", "prompt"):
        if not isinstance(record.get(field), str) or not record[field].strip():
            raise _fail(where, number, field, "is required and must be a non-empty string")
    language = record.get("language", "python")
    if language not in LANGUAGES:
        raise _fail(where, number, "language", f"{language!r} is not supported; only {', '.join(LANGUAGES)}")
    entry = record.get("entry_point")
    if entry is not None and (not isinstance(entry, str) or not _IDENTIFIER.match(entry)):
        raise _fail(where, number, "entry_point", f"must be a Python function name, got {entry!r}")
    reference = record.get("canonical_solution")
    if reference is not None and not isinstance(reference, str):
        raise _fail(where, number, "canonical_solution", "must be a string")
    test, cases, _pairs = _tests(record, where, number)
    _check_syntax(test, where, number, "tests")
    text = record["prompt"]
    is_code = bool(_CODE_LINE.search(text))
    prompt = text if is_code else f'"""\n{text.strip()}\n"""\n'
    if is_code:
        instruction = (f"Complete the following Python code. {CHAT_REPLY}\n\n```python\n{text}```")
    else:
        name = f" Name the function `{entry}`." if entry else ""
        instruction = f"{text.strip()}\n{name.strip()}\n{CHAT_REPLY}".replace("\n\n", "\n")
    if reference is not None:
        _check_syntax(prompt + reference, where, number, "canonical_solution")
    return Problem("custom", record["task_id"], prompt, instruction, reference, test, entry,
                   record.get("description") or text, cases)


def custom_problems(numbered: list[tuple[int, dict]], where: str) -> list[Problem]:
    problems, seen = [], {}
    for number, record in numbered:
        problem = custom_problem(record, where, number)
        if problem.task_id in seen:
            raise _fail(where, number, "task_id", f"{problem.task_id!r} repeats line {seen[problem.task_id]}")
        seen[problem.task_id] = number
        problems.append(problem)
    return problems
