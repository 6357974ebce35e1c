"""Default teacher prompts for each task, how they are filled in, and their digests.

Each template asks for labelled sections (`QUESTION:`, `ANSWER:`, ...) so that the answer can be parsed
without trusting the teacher to write valid JSON; `parse.py` reads them back.
"""

from __future__ import annotations

from codemill.common.digest import fingerprint

SYSTEM_PROMPT = ("You are an expert programming teacher. You write precise, self-contained teaching material "
                 "grounded only in the passage you are given. Follow the requested output format exactly.")

TEMPLATES = {
    "qa": """Here is a passage from the textbook "{title}", section "{heading}":

<passage>
{chunk}
</passage>

Write one question a student could ask about this passage, and a complete, correct answer that a reader
can follow without seeing the passage. Any code must be runnable Python in a ```python block.
Reply in exactly this format:

QUESTION:
<the question>

ANSWER:
<the answer>""",
    "exercise": """Here is a passage from the textbook "{title}", section "{heading}":

<passage>
{chunk}
</passage>

Write one programming exercise in Python that practises what this passage teaches. The exercise asks
for a function with a given name and signature. Give a reference solution and tests: the tests are
plain `assert` statements that call the function and pass with the solution.
Reply in exactly this format:

EXERCISE:
<the task, naming the function and its signature>

SOLUTION:
```python
<the reference solution>
```

TESTS:
```python
<assert statements>
```""",
    "explain_code": """Here is a passage from the textbook "{title}", section "{heading}":

<passage>
{chunk}
</passage>

Explain what the following code from this passage does, step by step, for a student who is learning
the language. If you show code, make it runnable Python in a ```python block.

```
{code}
```

Reply in exactly this format:

EXPLANATION:
<the explanation>""",
}


def template_for(task: str, overrides: dict) -> str:
    return overrides.get(task) or TEMPLATES[task]


def template_digest(system_prompt: str, template: str) -> str:
    """Identifies the exact prompt wording a sample was made with (system message and template)."""
    return fingerprint([system_prompt, template], 16)


def render(template: str, *, title: str, heading: str, chunk: str, code: str = "") -> str:
    return template.format(title=title, heading=heading, chunk=chunk, code=code)
