"""Deterministic post-processing of model output: stop-sequence truncation and chat code extraction."""

from __future__ import annotations

import re

STOP_SEQUENCES = {
    # HumanEval completions are a function body: anything back at column 0 ends it.
    "humaneval": ["\ndef ", "\nclass ", "\nimport ", "\nfrom ", "\nif __name__", "\nprint(", "\nassert ", "\n#", '\n"""'],
    # MBPP completions are whole programs (helpers and imports allowed): stop at tests or a new docstring.
    "mbpp": ["\nassert ", '\n"""', "\nif __name__", "\nprint(", "\n# Test", "\n# test"],
}
POSTPROCESS_MODES = ("chat", "completion", "none")
PYTHON_TAGS = {"", "python", "py", "python3", "py3", "pycon", "ipython"}
# An opening fence at a line start: ``` or ~~~, an optional info string, then the block up to the same fence
# closing a line (on its own, or glued to the last code line as some models write it), or to the end.
_FENCE = re.compile(r"^[ \t]*(?P<fence>`{3,}|~{3,})[ \t]*(?P<tag>[^\n`]*)\n(?P<body>.*?)(?:(?P=fence)[ \t]*$|\Z)",
                    re.DOTALL | re.MULTILINE)


def stop_family(benchmark: str, prompt: str = "") -> str:
    """Which stop rules a benchmark's completions follow: a function body (humaneval) or a whole program (mbpp)."""
    if benchmark.startswith("humaneval"):
        return "humaneval"
    if benchmark.startswith("mbpp") or prompt.lstrip().startswith('"""'):
        return "mbpp"
    return "humaneval"


def truncate_at_stop(text: str, stops: list[str]) -> str:
    """Cut `text` at the earliest occurrence of any stop sequence."""
    cut = len(text)
    for stop in stops:
        index = text.find(stop)
        if index != -1:
            cut = min(cut, index)
    return text[:cut]


def code_blocks(answer: str) -> list[tuple[str, str]]:
    """Every fenced block of a markdown answer as (language tag, code), in order; CRLF line ends accepted."""
    text = answer.replace("\r\n", "\n").replace("\r", "\n")
    return [((m.group("tag").strip().split() or [""])[0].lower(), m.group("body")) for m in _FENCE.finditer(text)]


def extract_code(answer: str, entry_point: str | None = None) -> str:
    """The code of a chat answer: the first python (or untagged) block that defines `entry_point`,
    else the first python (or untagged) block, else the whole answer. Blocks tagged with another
    language (bash, text, ...) and the prose between blocks are never taken."""
    blocks = [body for tag, body in code_blocks(answer) if tag in PYTHON_TAGS]
    if entry_point:
        defines = re.compile(rf"^\s*(?:async\s+)?def\s+{re.escape(entry_point)}\s*\(|^\s*{re.escape(entry_point)}\s*=",
                             re.MULTILINE)
        for body in blocks:
            if defines.search(body):
                return body
    if blocks:
        return blocks[0]
    return answer.replace("\r\n", "\n")


def postprocess(raw: str, benchmark: str, prompt_format: str, entry_point: str | None = None, prompt: str = "") -> str:
    """What is appended after the problem's prompt to form the program that is executed."""
    if prompt_format == "none":
        return raw
    if prompt_format == "chat":
        return "\n" + extract_code(raw, entry_point).rstrip() + "\n"
    return truncate_at_stop(raw, STOP_SEQUENCES[stop_family(benchmark, prompt)]).rstrip() + "\n"


def describe_rules(mode: str) -> dict:
    """The rule that was applied, as recorded in results.json."""
    rules = {
        "completion": {"stop_sequences": STOP_SEQUENCES, "then": "strip trailing whitespace, add a newline"},
        "chat": {"extract": "the first ```python (or untagged) fenced block that defines the entry point, else "
                            "the first such block, else the whole answer; other languages' blocks are skipped",
                 "then": "prefixed with a newline and appended after the prompt, so a full function "
                         "redefines the prompt's stub and a bare body completes it"},
        "none": {"rule": "completions are executed exactly as given"},
    }
    return {"mode": mode, **rules[mode]}
