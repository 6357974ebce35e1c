import pytest

from codemill.datasets.benchmarks import load_benchmarks
from codemill.recipe.data import DecontConfig
from codemill.datasets.decontaminate import BenchmarkIndex


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
