"""Deterministic post-processing of model output: stop-sequence truncation and chat code extraction."""

from __future__ import annotations

import re

STOP_SEQUENCES = {
    # HumanEval completions are a function body: anything back at column 0 ends it.
    "humaneval": ["\ndef ", "\nclass ", "\nimport ", "\nfrom ", "\nif __name__", "\nprint(", "\nassert ", "\n#", '\n"""'],
    # MBPP completions are whole programs (helpers and imports allowed): stop at tests or a new docstring.
    "mbpp": ["\nassert ", '\n"""', "\nif __name__", "\nprint(", "\n# Test", "\n# test"],
}
FENCE = re.compile(r"```[ \t]*(?:python|py|Python|python3)?[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL)


def truncate_at_stop(text: str, stops: list[str]) -> str:
    """Cut `text` at the earliest occurrence of any stop sequence."""
    cut = len(text)
    for stop in stops:
        index = text.find(stop)
        if index != -1:
            cut = min(cut, index)
    return text[:cut]


def extract_code(answer: str) -> str:
    """The first fenced code block of a chat answer (python-tagged or untagged), else the whole answer."""
    match = FENCE.search(answer)
    return match.group(1) if match else answer


def postprocess(raw: str, benchmark: str, prompt_format: str) -> str:
    """What is appended after the problem's prompt to form the program that is executed."""
    if prompt_format == "chat":
        return "\n" + extract_code(raw).rstrip() + "\n"
    return truncate_at_stop(raw, STOP_SEQUENCES[benchmark]).rstrip() + "\n"


def describe_rules() -> dict:
    """The rules as recorded in results.json."""
    return {"completion": {"stop_sequences": STOP_SEQUENCES, "then": "strip trailing whitespace, add a newline"},
            "chat": {"extract": "first ```python (or untagged) fenced block, else the whole answer",
                     "then": "prefixed with a newline and appended after the prompt, so a full function "
                             "redefines the prompt's stub and a bare body completes it"}}
