"""Post-processing: stop-sequence truncation and code extraction from chat answers."""

import pytest

from codemill.evals.postprocess import extract_code, postprocess, truncate_at_stop


def test_truncates_at_the_earliest_stop_sequence():
    text = "    return x\n\nprint(f(1))\ndef g():\n    pass"
    assert truncate_at_stop(text, ["\ndef ", "\nprint("]) == "    return x\n"


def test_humaneval_completion_keeps_the_body_and_drops_what_follows():
    raw = "    return a + b\n\n\ndef main():\n    print(add(1, 2))\n"
    assert postprocess(raw, "humaneval", "completion") == "    return a + b\n"


def test_mbpp_completion_keeps_helpers_but_stops_at_tests():
    raw = "import math\ndef helper(x):\n    return x\ndef f(x):\n    return helper(x)\nassert f(1) == 1\n"
    assert postprocess(raw, "mbpp", "completion") == "import math\ndef helper(x):\n    return x\ndef f(x):\n    return helper(x)\n"


def test_chat_answer_yields_first_python_block():
    answer = "Sure!\n```python\ndef f(x):\n    return x\n```\nAnd a test:\n```python\nassert f(1) == 1\n```"
    assert extract_code(answer) == "def f(x):\n    return x\n"
    assert postprocess(answer, "humaneval", "chat") == "\ndef f(x):\n    return x\n"


def test_chat_answer_without_fence_is_used_whole_and_unclosed_fence_is_accepted():
    assert extract_code("def f():\n    return 1") == "def f():\n    return 1"
    assert extract_code("```py\ndef f():\n    return 1\n") == "def f():\n    return 1\n"


CHAT_ANSWERS = [
    # prose, a shell fence first, then the code: never the prose between them
    ("Install it first:\n```bash\npip install numpy\n```\nNow the code:\n```python\ndef add(a, b):\n    return a + b\n```\n",
     "def add(a, b):\n    return a + b\n"),
    # Windows line ends
    ("Here you go:\r\n```python\r\ndef add(a, b):\r\n    return a + b\r\n```\r\nHope it helps.",
     "def add(a, b):\n    return a + b\n"),
    # a usage example fence before the one that defines the entry point
    ("Usage:\n```python\nprint(add(1, 2))\n```\nImplementation:\n```py\nimport math\n\ndef add(a, b):\n    return a + b\n"
     "\nprint(add(2, 3))\n```", "import math\n\ndef add(a, b):\n    return a + b\n\nprint(add(2, 3))\n"),
    # the closing fence glued to the last code line
    ("Solution:\n```python\ndef add(a, b):\n    return a + b```\nIt adds.", "def add(a, b):\n    return a + b"),
    # a test call left in, an untagged fence, a tilde fence ignored because it is a shell session
    ("~~~console\n$ python add.py\n~~~\n```\ndef add(a, b):\n    return a + b\n\nassert add(1, 2) == 3\n```",
     "def add(a, b):\n    return a + b\n\nassert add(1, 2) == 3\n"),
]


@pytest.mark.parametrize("answer, code", CHAT_ANSWERS)
def test_chat_answers_yield_the_fence_that_defines_the_entry_point(answer, code):
    assert extract_code(answer, "add") == code


def test_without_a_defining_fence_the_first_python_fence_is_taken():
    answer = "```text\nnot code\n```\n```python\nx = 1\n```\n```python\ny = 2\n```"
    assert extract_code(answer, "add") == "x = 1\n"


def test_postprocess_none_keeps_the_text_and_custom_prompts_pick_their_stop_rules():
    assert postprocess("    return 1\nprint(f())\n", "humaneval", "none") == "    return 1\nprint(f())\n"
    assert postprocess("    return 1\ndef g():\n", "custom", "completion", prompt="def f():\n") == "    return 1\n"
    assert postprocess("def f():\n    return 1\ndef g():\n    pass\nassert f()", "custom", "completion",
                       prompt='"""\nWrite f.\n"""\n') == "def f():\n    return 1\ndef g():\n    pass\n"
