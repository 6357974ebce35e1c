from codemill.datasets.chunk import chunk_markdown
from codemill.datasets.markdown import has_unclosed_fence, split_sections
from codemill.datasets.tokens import approximate_tokens

BOOK = """# Lists

Intro paragraph about lists and why they matter for beginners.

## Creating lists

""" + "A list is a sequence of values that can be changed in place. " * 30 + """

```python
numbers = [1, 2, 3]
for n in numbers:

    print(n)
```

## Slicing

Slices copy part of a list.
"""


def test_sections_carry_heading_paths_and_ignore_headings_in_code():
    sections = split_sections("# A\n\ntext\n\n```\n# not a heading\n```\n\n## B\n\nmore\n")
    assert [s.path for s in sections] == [["# A"], ["# A", "## B"]]


def test_chunks_respect_budget_and_never_cut_code():
    chunks = chunk_markdown(BOOK, max_tokens=120, min_tokens=10, count=approximate_tokens)
    assert len(chunks) > 2
    code_chunks = [c for c in chunks if "numbers = [1, 2, 3]" in c.text]
    assert len(code_chunks) == 1 and "    print(n)\n```" in code_chunks[0].text
    for chunk in chunks:
        assert not has_unclosed_fence(chunk.text)
        assert chunk.tokens <= 120 or "```" in chunk.text


def test_a_chunk_starting_mid_section_restates_its_headings():
    chunks = chunk_markdown(BOOK, max_tokens=120, min_tokens=10, count=approximate_tokens)
    later = [c for c in chunks if c.heading_path == ["Lists", "Creating lists"]][1:]
    assert later and all(c.text.startswith("# Lists\n\n## Creating lists") for c in later)


def test_unclosed_fence_detection():
    assert has_unclosed_fence("text\n```python\nx = 1\n")
    assert not has_unclosed_fence("text\n```python\nx = 1\n```\n")
