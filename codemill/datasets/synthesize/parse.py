"""Read a teacher's reply back into a sample, or say why it cannot be used.

Reasons: `empty`, `truncated` (the teacher stopped at its token limit), `refusal`, `wrong_format` (a
labelled section is missing or empty), `no_code` (an exercise without a Python solution), `no_tests`
(an exercise without assert statements), `syntax_error` (Python code that does not parse).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

_LABELS = ("question", "answer", "exercise", "solution", "tests", "explanation")
_LABEL = re.compile(r"^[ \t#*_>]*(" + "|".join(_LABELS) + r")[ \t*_]*:[ \t*_]*", re.IGNORECASE | re.MULTILINE)
_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([\w+.-]*)[^\n]*\n(.*?)^[ \t]*\1[ \t]*$", re.MULTILINE | re.DOTALL)
_PYTHON = {"python", "py", "python3", "py3"}
_REFUSAL = re.compile(r"^\W*(i'?m sorry|i am sorry|sorry,|i can(?:not|'t|’t)|i am unable|i'?m unable|as an ai\b"
                      r"|i (?:won'?t|will not) )", re.IGNORECASE)
SECTIONS = {"qa": ("question", "answer"), "exercise": ("exercise", "solution", "tests"), "explain_code": ("explanation",)}


@dataclass(frozen=True)
class Parsed:
    """A usable reply: the sample's two turns and the Python program that checks it (None: no code)."""

    user: str
    assistant: str
    program: str | None
    has_tests: bool = False


class Rejected(ValueError):
    """The reply cannot be used; `args[0]` is the reason, `args[1]` a short detail."""


def sections(text: str) -> dict[str, str]:
    """`LABEL:` sections of a reply, keyed by lower-cased label (the first of each kind wins)."""
    found: dict[str, str] = {}
    matches = list(_LABEL.finditer(text))
    for match, following in zip(matches, matches[1:] + [None]):
        body = text[match.end():following.start() if following else len(text)].strip()
        found.setdefault(match.group(1).lower(), body)
    return found


def code_blocks(text: str) -> list[tuple[str, str]]:
    """(language, code) of every fenced block, in order."""
    return [(match.group(2).lower(), match.group(3)) for match in _FENCE.finditer(text)]


def python_blocks(text: str, unlabelled_too: bool = False) -> list[str]:
    """Code of the ```python blocks (and of unlabelled ones where Python was asked for)."""
    return [code for lang, code in code_blocks(text) if lang in _PYTHON or (unlabelled_too and not lang)]


def _parses(program: str) -> None:
    try:
        ast.parse(program)
    except (SyntaxError, ValueError) as error:
        raise Rejected("syntax_error", f"{type(error).__name__}: {error}") from None


def _needs(found: dict[str, str], task: str) -> None:
    missing = [label.upper() for label in SECTIONS[task] if not found.get(label)]
    if missing:
        raise Rejected("wrong_format", f"missing or empty section(s): {', '.join(missing)}")


def _program(blocks: list[str]) -> str | None:
    program = "\n\n".join(block.rstrip() for block in blocks if block.strip())
    if program:
        _parses(program)
    return program or None


def parse_reply(task: str, text: str, finished: bool, code: str = "", code_language: str = "") -> Parsed:
    """Turn a reply to `task` into a sample; raises Rejected(reason, detail)."""
    if not text or not text.strip():
        raise Rejected("empty", "the reply is empty")
    if not finished:
        raise Rejected("truncated", "the teacher stopped at its token limit")
    if _REFUSAL.match(text):
        raise Rejected("refusal", text.strip()[:120])
    found = sections(text)
    _needs(found, task)
    if task == "qa":
        return Parsed(found["question"], found["answer"], _program(python_blocks(found["answer"])))
    if task == "explain_code":
        question = f"Explain what this code does:\n\n```{code_language}\n{code.rstrip()}\n```"
        return Parsed(question, found["explanation"], _program(python_blocks(found["explanation"])))
    solution = python_blocks(found["solution"], unlabelled_too=True)
    if not solution:
        raise Rejected("no_code", "the SOLUTION section has no Python code block")
    tests = python_blocks(found["tests"], unlabelled_too=True) or [found["tests"]]
    if not any(re.search(r"^\s*assert\b", block, re.MULTILINE) for block in tests):
        raise Rejected("no_tests", "the TESTS section has no assert statement")
    tests_code = "\n\n".join(block.rstrip() for block in tests)
    _parses(tests_code)
    program = _program(solution + [tests_code])
    answer = f"{found['solution']}\n\nTests:\n\n```python\n{tests_code}\n```"
    return Parsed(found["exercise"], answer, program, has_tests=True)
