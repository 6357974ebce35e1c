"""One benchmark problem as a plain record, and the builders that map each benchmark's fields onto it."""

from __future__ import annotations

from dataclasses import dataclass

from codemill.common.digest import fingerprint

CHAT_REPLY = "Reply with the complete Python code in one ```python code block."


class BenchmarkError(ValueError):
    """A benchmark (or a samples file) that cannot be used; the message names the file, record and field."""


@dataclass(frozen=True)
class PlusInputs:
    """EvalPlus-style differential tests: the reference's outputs on these inputs are the expected ones.

    Inputs are Python expressions (lists of argument lists) evaluated inside the sandbox with `inf`
    and `nan` defined, so JSON files and the Hub's literal test code are carried the same way.
    """

    base: str
    plus: str
    n_base: int
    n_plus: int
    atol: float = 0.0


@dataclass(frozen=True)
class Problem:
    benchmark: str  # humaneval | mbpp | humaneval+ | mbpp+ | custom
    task_id: str  # canonical: HumanEval/<n>, Mbpp/<n>, or the custom file's own ids
    prompt: str  # what a completion model continues
    instruction: str  # what a chat model is asked
    reference: str | None  # the reference solution, as text that follows `prompt` (None: the file has none)
    test: str  # test code appended after the solution; it raises on failure
    entry_point: str | None = None  # the function the tests call, when there is one
    description: str = ""  # the statement in words (decontamination looks for it in training data)
    test_cases: tuple[str, ...] = ()  # the individual tests as text (decontamination)
    plus: PlusInputs | None = None

    def program(self, completion: str) -> str:
        """The program the sandbox runs: prompt + completion, then the tests."""
        return f"{self.prompt}{completion}\n\n{self.test}\n"

    def full_solution_program(self, solution: str) -> str:
        return f"{solution}\n\n{self.test}\n"

    @property
    def code(self) -> str:
        """The reference as it would appear in the wild: for prompt-continued functions, signature + body."""
        reference = self.reference or ""
        if not self.benchmark.startswith("humaneval"):
            return reference
        signatures = [line for line in self.prompt.splitlines() if line.lstrip().startswith("def ")]
        return (signatures[-1] + "\n" + reference) if signatures else reference

    @property
    def pieces(self) -> list[str]:
        """Every text of the problem a training record must not contain."""
        texts = [self.description or self.prompt, self.reference or "", self.code, *self.test_cases]
        return [text for text in dict.fromkeys(texts) if text]


def mbpp_task_id(raw) -> str:
    """`11`, `"11"`, `"Mbpp/11"` and `"mbpp/11"` all name the same MBPP task: `Mbpp/11`."""
    text = str(raw)
    if text.lower().startswith("mbpp/"):
        text = text[5:]
    try:
        return f"Mbpp/{int(text)}"
    except ValueError:
        raise BenchmarkError(f"not an MBPP task id: {raw!r}") from None


def canonical_task_id(benchmark: str, raw) -> str:
    return mbpp_task_id(raw) if benchmark.startswith("mbpp") else str(raw)


def humaneval_instruction(prompt: str) -> str:
    return ("Complete the following Python function. Reply with the whole function in one "
            f"```python code block.\n\n```python\n{prompt}```")


def humaneval_problem(record: dict) -> Problem:
    test = f"{record['test']}\n\ncheck({record['entry_point']})"
    return Problem("humaneval", str(record["task_id"]), record["prompt"], humaneval_instruction(record["prompt"]),
                   record["canonical_solution"], test, record["entry_point"], record["prompt"], (record["test"],))


def mbpp_problem(record: dict) -> Problem:
    """MBPP `full` (`text`, `test_setup_code`) or `sanitized` (`prompt`, `test_imports`) records."""
    text = record.get("text") or record.get("prompt") or ""
    tests = [str(test) for test in record["test_list"]]
    setup = record.get("test_setup_code") or "\n".join(record.get("test_imports") or [])
    first = tests[0] if tests else ""
    prompt = f'"""\n{text}\n{first}\n"""\n'
    instruction = f"{text}\nYour code should pass this test:\n{first}\n{CHAT_REPLY}"
    entry = _called_name(first)
    return Problem("mbpp", mbpp_task_id(record["task_id"]), prompt, instruction, record["code"],
                   "\n".join([setup, *tests]).strip(), entry, text, tuple(tests))


def _called_name(assert_line: str) -> str | None:
    """`assert set(f(1)) == {2}` -> `f`: the first non-builtin function an MBPP test calls."""
    import ast
    import builtins

    try:
        tree = ast.parse(assert_line.strip())
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not hasattr(builtins, node.func.id):
            return node.func.id
    return None


def problems_fingerprint(problems: list[Problem]) -> str:
    """Changes when any problem's prompt, reference, tests or plus inputs change."""
    return fingerprint([[problem.task_id, problem.prompt, problem.reference, problem.test,
                         [problem.plus.base, problem.plus.plus, problem.plus.atol] if problem.plus else None]
                        for problem in problems], 16)
