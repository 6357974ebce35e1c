import random

import pytest
import xxhash

from codemill.datasets.benchmarks import load_benchmarks
from codemill.recipe.data import DecontConfig
from codemill.datasets.decontaminate import _SPACES, BenchmarkIndex, words


@pytest.fixture(scope="module")
def tasks(shared_data):
    evals = shared_data / "evals"
    return load_benchmarks(DecontConfig(humaneval_path=evals / "HumanEval.jsonl.gz", mbpp_path=evals / "mbpp.jsonl"))


@pytest.fixture(scope="module")
def index(tasks):
    return BenchmarkIndex.build(tasks, n=13, min_signature_chars=24, min_docstring_chars=40)


def test_both_benchmarks_load_from_local_files(tasks):
    assert sum(t.benchmark == "humaneval" for t in tasks) == 164
    assert sum(t.benchmark == "mbpp" for t in tasks) == 974


def test_planted_prompts_and_solutions_are_found_with_their_task(tasks, index):
    human, mbpp = tasks[10], tasks[164 + 100]
    for task, planted in ((human, human.prompt), (mbpp, mbpp.description), (mbpp, mbpp.reference)):
        hits = index.matches("Some intro prose about programming.\n\n" + planted + "\n\nMore prose follows here.")
        assert f"{task.task_id}" in {h["task_id"] for h in hits}, planted


def test_signature_alone_is_a_hit(tasks, index):
    signature = next(line for line in tasks[0].prompt.splitlines() if line.startswith("def "))
    hits = index.matches(f"In my project I wrote\n\n{signature}\n    pass\n")
    assert hits and hits[0]["match"] == "signature" and hits[0]["task_id"] == "HumanEval/0"


def test_textbook_chapters_are_clean(shared_data, index):
    for chapter in sorted((shared_data / "pdfs" / "py4e").glob("*.md")):
        assert index.matches(chapter.read_text()) == [], chapter.name


def test_a_broken_local_benchmark_file_names_the_recipe_key(tmp_path):
    broken = tmp_path / "mbpp.jsonl"
    broken.write_text('{"task_id": 1, "text": "x"}\n')  # no `code`
    with pytest.raises(ValueError, match=r"data\.decontamination\.mbpp_path"):
        load_benchmarks(DecontConfig(benchmarks=["mbpp"], mbpp_path=broken))


def _every_candidate(index, text):
    """The plain definition: hash every n-gram, join every short window, search every docstring."""
    tokens = words(text)
    for i in range(len(tokens) - index.n + 1):
        gram = " ".join(tokens[i : i + index.n])
        if (labels := index.ngrams.get(xxhash.xxh3_64_intdigest(gram.encode()))) is not None:
            yield labels, "ngram", gram
    for size in index.short_piece_sizes:
        for i in range(len(tokens) - size + 1):
            if (piece := " ".join(tokens[i : i + size])) in index.short_pieces:
                yield index.short_pieces[piece], "short_piece", piece
    yield from (item for item in index._candidates(text) if item[1] == "signature")
    flat = _SPACES.sub(" ", text)
    yield from ((labels, "docstring", d) for d, labels in index.docstrings.items() if d in flat)


def test_prechecks_find_exactly_what_a_full_scan_finds(tasks, index):
    rng = random.Random(5)
    pieces = [piece for task in tasks for piece in task.pieces] + [d for d in index.docstrings] + list(index.short_pieces)
    kinds = set()
    for _ in range(150):
        chosen = rng.sample(pieces, 3)
        text = "Intro prose.\n" + "\n\nsome words between ".join(chosen) + "\nEnd."
        text = text.upper() if rng.random() < 0.2 else text
        text = text.replace("e", "é", 1) if rng.random() < 0.2 else text
        found = list(index._candidates(text))
        assert found == list(_every_candidate(index, text)), text[:200]
        kinds.update(kind for _, kind, _ in found)
    assert kinds == {"ngram", "short_piece", "signature", "docstring"}
