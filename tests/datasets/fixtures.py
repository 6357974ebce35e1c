"""Small extracted-source fixtures in the formats the extractors write (see docs/architecture.md)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import yaml

BOOK = """# Loops

Loops repeat a block of statements. This chapter shows the two loop statements of the language.

## The while statement

A while loop checks its condition before each pass and stops once the condition becomes false.
Here is a countdown that prints each number and then a farewell message:

```python
n = 5
while n > 0:
    print(n)
    n = n - 1
print('Blastoff!')
```

Each pass of the body is called an iteration, and the variable that changes is the iteration variable.

## The for statement

A for loop walks over the items of a sequence, one at a time, binding each item to the loop variable.
Contact the author at author@example.com with errata about this section.

```python
friends = ['Joseph', 'Glenn', 'Sally']
for friend in friends:
    print('Happy New Year:', friend)
```
"""


def thread(qid: int, title: str, question: str, answer: str, score: int = 2) -> dict:
    author = {"id": qid, "name": f"user{qid}", "url": f"https://ex.stackexchange.com/users/{qid}"}
    return {
        "site": "ex.stackexchange.com", "question_id": qid, "url": f"https://ex.stackexchange.com/questions/{qid}",
        "title": title, "tags": ["python"], "created": "2021-05-01T12:00:00.000", "last_activity": "2021-06-01T08:00:00.000",
        "question": {"markdown": question, "score": score, "license": "CC BY-SA 4.0", "author": author},
        "answers": [
            {"id": qid * 10, "markdown": answer, "score": 3, "accepted": True, "created": "2021-05-02T00:00:00.000",
             "license": "CC BY-SA 4.0", "author": {"id": 99, "name": "helper", "url": "https://ex.stackexchange.com/users/99"}},
            {"id": qid * 10 + 1, "markdown": "A worse answer that should not be picked.", "score": 9, "accepted": False,
             "created": "2021-05-03T00:00:00.000", "license": "CC BY-SA 4.0", "author": None},
        ],
        "license": {"name": "CC BY-SA 4.0", "url": "https://creativecommons.org/licenses/by-sa/4.0/"},
        "attribution": f"user{qid} and helper on ex.stackexchange.com, https://ex.stackexchange.com/questions/{qid}, CC BY-SA 4.0",
    }


def _question(topic: str) -> str:
    return (f"I want to understand how {topic} works in Python when the input is large and unevenly shaped. "
            f"My current attempt with {topic} is slow and I am unsure whether I use it the way it is intended.\n\n"
            f"```python\ndata = load()\nresult = {topic.replace(' ', '_')}(data)\n```\n")


def _answer(topic: str) -> str:
    return (f"The usual way to approach {topic} is to process the data lazily and to avoid building copies. "
            f"Start from a generator, measure, and only then optimise the inner loop of {topic}.\n")


TOPICS = ["list comprehensions", "dictionary merging", "string formatting", "file reading", "exception chaining",
          "sorting with keys", "set operations", "recursion limits", "integer division", "tuple unpacking"]


def write_fixture_run(root: Path, humaneval_prompt: str, evals: Path) -> Path:
    """A run folder with extracted `book` and `forum` sources and a recipe; returns the recipe path."""
    book = root / "extract" / "book"
    book.mkdir(parents=True)
    (book / "loops.md").write_text(BOOK, encoding="utf-8")
    (book / "loops.json").write_text(json.dumps({"source": "loops.pdf", "title": "Think Loops", "pages": 3}), encoding="utf-8")
    threads = [thread(i + 1, f"How does {t} work?", _question(t), _answer(t)) for i, t in enumerate(TOPICS)]
    threads.append(dict(thread(50, "How does list comprehensions work?", _question(TOPICS[0]), _answer(TOPICS[0])), question_id=50))
    threads.append(thread(60, "Which function is this?", "What does this do?\n\n```python\n" + humaneval_prompt + "```\n",
                          "It checks whether any two numbers are closer than the threshold, by comparing all pairs."))
    lines = [json.dumps(t) for t in threads]
    lines.insert(3, '{"question_id": 7, "title": "broken"')  # a truncated record: line 4
    forum = root / "extract" / "forum"
    forum.mkdir(parents=True)
    with gzip.open(forum / "threads-00000.jsonl.gz", "wt", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    recipe = {
        "name": "fixture", "output_dir": str(root),
        "sources": [{"name": "book", "type": "pdf", "path": "unused", "license": "CC BY 4.0", "attribution": "Think Loops, by A. Author"},
                    {"name": "forum", "type": "stackexchange", "path": "unused"}],
        "data": {"workers": 1, "tasks": 2, "validation_fraction": 0.2, "max_chunk_tokens": 90, "min_chunk_tokens": 20,
                 "filters": {"min_chars": 120},
                 "decontamination": {"humaneval_path": str(evals / "HumanEval.jsonl.gz"), "mbpp_path": str(evals / "mbpp.jsonl")}},
    }
    path = root / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe), encoding="utf-8")
    return path
