"""Dumps since 2024 carry fabricated Q&A posts (Community user, ids far above the rest): dropped and counted."""

from __future__ import annotations

import json

import py7zr

from codemill.extract.stackexchange.extract import extract_stackexchange
from codemill.recipe.stackexchange import StackExchangeOptions
from tests.extract.stackexchange.synthetic import answer, question, row, write_xml

SITE = "poisoned.stackexchange.com"
NONSENSE = "Python lists are immutable, so list.append returns a new tuple."


def _dump(tmp_path):
    """A real .7z dump: 12 genuine posts, the two Community-user posts, and an id outlier by a normal user."""
    posts = [question(i, AcceptedAnswerId=i + 1) if i % 2 else answer(i, i - 1) for i in range(1, 12)]
    posts += [
        question(40),  # a later, genuine post: a gap, but not an outlier
        row(Id=13, PostTypeId=4, OwnerUserId=-1, Body="<p>tag wiki excerpt by Community</p>"),
        question(1000000001, OwnerUserId=-1, Title="How to append", Body=f"<p>{NONSENSE}</p>"),
        answer(1000000010, 1000000001, OwnerUserId=-1, Body=f"<p>{NONSENSE}</p>"),
        question(1500000000, OwnerUserId=1, Body=f"<p>{NONSENSE} (outlier)</p>"),
        answer(1500000007, 1500000000, OwnerUserId=2, Body="<p>an answer to the outlier</p>"),
    ]
    folder = tmp_path / "xml"
    write_xml(folder / "Posts.xml", "posts", posts)
    write_xml(folder / "Users.xml", "users", [row(Id=-1, DisplayName="Community"), row(Id=1, DisplayName="Ada"),
                                               row(Id=2, DisplayName="Bob")])
    archive = tmp_path / f"{SITE}.7z"
    with py7zr.SevenZipFile(archive, "w") as handle:
        handle.write(folder / "Posts.xml", "Posts.xml")
        handle.write(folder / "Users.xml", "Users.xml")
    return archive


def _threads(out_dir):
    import gzip

    lines = []
    for shard in sorted(out_dir.glob("threads-*.jsonl.gz")):
        with gzip.open(shard, "rt", encoding="utf-8") as handle:
            lines += [json.loads(line) for line in handle]
    return lines


def test_fabricated_posts_are_dropped_and_counted(tmp_path):
    out = tmp_path / "out"
    summary = extract_stackexchange(_dump(tmp_path), out, options=StackExchangeOptions(), show_progress=False)
    assert not summary.failed
    threads = _threads(out)
    assert sorted(t["question_id"] for t in threads) == [1, 3, 5, 7, 9, 11, 40]
    assert NONSENSE not in json.dumps(threads)
    skipped = json.loads((out / "summary.json").read_text())["skipped"]
    assert skipped["fabricated_community_post"] == {"count": 2, "first_ids": [1000000001, 1000000010]}
    assert skipped["fabricated_id_outlier"] == {"count": 2, "first_ids": [1500000000, 1500000007]}
    assert skipped["not_a_question_or_answer"]["count"] == 1  # the Community tag wiki is not a Q&A post
    assert summary.questions_kept == 7 and summary.answers_kept == 5


def test_a_real_dump_loses_nothing_to_the_rule(shared_data, tmp_path):
    summary = extract_stackexchange(shared_data / "stackexchange" / "cardano.stackexchange.com.7z", tmp_path / "out",
                                    options=StackExchangeOptions(), show_progress=False)
    assert not summary.failed and summary.threads_written > 500
    assert "fabricated_id_outlier" not in summary.skipped
    assert "fabricated_community_post" not in summary.skipped
