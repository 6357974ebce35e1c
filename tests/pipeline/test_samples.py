"""The demo's bundled samples: PDFs that keep every code line, a well-formed dump, solvable smoke problems."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pymupdf
import pytest
from lxml import etree

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
CHAPTERS = sorted((SAMPLES / "textbook").glob("*.md"))


def code_lines(markdown: str) -> list[str]:
    lines, inside = [], False
    for line in markdown.splitlines():
        if line.startswith("```"):
            inside = not inside
        elif inside and line.strip():
            lines.append(line.rstrip())
    return lines


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda path: path.stem)
def test_pdf_keeps_every_code_line_of_its_chapter(chapter):
    """Code wider than the page would be clipped by the layout and lost to the extractor."""
    with pymupdf.open(SAMPLES / "pdfs" / f"{chapter.stem}.pdf") as document:
        text_lines = {line.rstrip() for page in document for line in page.get_text().splitlines()}
    missing = [line for line in code_lines(chapter.read_text(encoding="utf-8")) if line not in text_lines]
    assert missing == []


def test_pdfs_carry_running_heads_and_page_numbers():
    with pymupdf.open(SAMPLES / "pdfs" / "02-loops-and-functions.pdf") as document:
        first, second = (page.get_text() for page in list(document)[:2])
    assert "A Small Python Primer" in first + second
    assert any(line.strip().isdigit() for line in first.splitlines())


def test_dump_is_regenerated_identically_by_its_script(tmp_path):
    script = SAMPLES / "stackexchange" / "make_dump.py"
    copy = tmp_path / "make_dump.py"
    copy.write_text(script.read_text(encoding="utf-8"), encoding="utf-8")
    subprocess.run([sys.executable, str(copy)], check=True, capture_output=True)
    for name in ("Posts.xml", "Users.xml"):
        assert (tmp_path / name).read_bytes() == (SAMPLES / "stackexchange" / name).read_bytes(), name


def test_dump_rows_are_consistent():
    rows = etree.parse(str(SAMPLES / "stackexchange" / "Posts.xml")).getroot()
    questions = {row.get("Id"): row for row in rows if row.get("PostTypeId") == "1"}
    answers = [row for row in rows if row.get("PostTypeId") == "2"]
    assert 20 <= len(questions) <= 40 and answers
    assert all(answer.get("ParentId") in questions for answer in answers)
    answer_ids = {answer.get("Id") for answer in answers}
    assert all(q.get("AcceptedAnswerId") in answer_ids for q in questions.values() if q.get("AcceptedAnswerId"))
    users = {row.get("Id") for row in etree.parse(str(SAMPLES / "stackexchange" / "Users.xml")).getroot()}
    assert all(row.get("OwnerUserId") in users for row in rows if row.get("OwnerUserId"))


def smoke_problems() -> list[dict]:
    return [json.loads(line) for line in (SAMPLES / "evals" / "smoke.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("problem", smoke_problems(), ids=lambda p: p["task_id"])
def test_smoke_problem_is_solved_by_its_solution_and_not_by_an_empty_body(problem):
    assert {"task_id", "prompt", "entry_point", "canonical_solution", "test"} <= set(problem)
    check = f"\n{problem['test']}\ncheck({problem['entry_point']})\n"
    exec(compile(problem["prompt"] + problem["canonical_solution"] + check, problem["task_id"], "exec"), {})
    with pytest.raises(AssertionError):
        exec(compile(problem["prompt"] + "    pass\n" + check, problem["task_id"], "exec"), {})
