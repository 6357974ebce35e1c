"""Post-processing: stop-sequence truncation and code extraction from chat answers."""

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
