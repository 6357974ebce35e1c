"""End to end on tiny dumps: join, filters, schema, resume after a crash, bad input, 7z = folder."""

from __future__ import annotations

import gzip
import json

import pytest

from codemill.extract.stackexchange.extract import extract_stackexchange
from codemill.recipe.stackexchange import StackExchangeOptions
from codemill.extract.stackexchange import extract as extract_module
from codemill.extract.stackexchange import threads as threads_module
from tests.extract.stackexchange.synthetic import small_site

SITE = "demo.stackexchange.com"


def read_threads(out_dir) -> list[dict]:
    records = []
    for shard in sorted(out_dir.glob("threads-*.jsonl.gz")):
        with gzip.open(shard, "rt", encoding="utf-8") as handle:
            records += [json.loads(line) for line in handle]
    return records


def run(source, out_dir, **options):
    return extract_stackexchange(source, out_dir, options=StackExchangeOptions(**options), show_progress=False)


@pytest.fixture
def site(tmp_path):
    return small_site(tmp_path / SITE)


def test_answers_meet_their_questions_sorted_with_authors_and_licences(site, tmp_path):
    summary = run(site, tmp_path / "out")
    assert summary.failed == []
    threads = {t["question_id"]: t for t in read_threads(tmp_path / "out")}
    assert sorted(threads) == [1, 2, 7]
    first = threads[1]
    assert [a["id"] for a in first["answers"]] == [9, 8, 4]
    assert [a["accepted"] for a in first["answers"]] == [True, False, False]
    assert first["url"] == f"https://{SITE}/questions/1" and first["tags"] == ["python"]
    assert first["question"]["author"] == {"id": 1, "name": "Ada", "url": f"https://{SITE}/users/1"}
    assert first["answers"][0]["author"]["name"] == "Cy"
    assert first["question"]["markdown"] == "Question 1\n\n```python\nprint(1)\n```"
    assert "Ada, Cy, Bob" in first["attribution"] and SITE in first["attribution"]
    old = threads[7]
    assert old["question"]["author"] == {"id": None, "name": "Gone User", "url": None}
    assert old["question"]["license"] == "CC BY-SA 2.5" and old["answers"][0]["license"] == "CC BY-SA 3.0"
    assert old["license"] == {"name": "CC BY-SA 3.0", "url": "https://creativecommons.org/licenses/by-sa/3.0/"}
    assert old["tags"] == ["python", "pandas"]


def test_skips_are_counted_with_first_ids(site, tmp_path):
    summary = run(site, tmp_path / "out")
    assert summary.skipped["malformed_row"] == {"count": 1, "first_ids": ["x5"]}
    assert summary.skipped["closed"]["first_ids"] == [3]
    assert summary.skipped["not_a_question_or_answer"]["first_ids"] == [11]
    assert summary.rows_read == {"posts": 11, "users": 3}
    written = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert written["threads_written"] == 3 and written["answers_written"] == 5


@pytest.mark.parametrize("options, expected", [
    ({"min_question_score": 0}, {1: [9, 8, 4], 7: [10]}),
    ({"include_tags": ["pandas"]}, {7: [10]}),
    ({"exclude_tags": ["pandas"]}, {1: [9, 8, 4], 2: [6]}),
    ({"accepted_only": True}, {1: [9], 2: [], 7: []}),
    ({"top_k_answers": 2, "min_answer_score": 1}, {1: [9, 8], 2: [], 7: [10]}),
    ({"min_answers": 2}, {1: [9, 8, 4]}),
    ({"drop_closed": False}, {1: [9, 8, 4], 2: [6], 3: [], 7: [10]}),
])
def test_filters(site, tmp_path, options, expected):
    summary = run(site, tmp_path / "out", **options)
    assert summary.failed == []
    assert {t["question_id"]: [a["id"] for a in t["answers"]] for t in read_threads(tmp_path / "out")} == expected


def test_resume_after_a_crash_finishes_without_duplicates(site, tmp_path, monkeypatch):
    clean = tmp_path / "clean"
    run(site, clean, threads_per_shard=1)
    real = threads_module.write_shard

    def crash_on_second(store, out_path, *args):
        if out_path.name == "threads-00001.jsonl.gz":
            raise OSError("disk full")
        return real(store, out_path, *args)

    monkeypatch.setattr(extract_module, "write_shard", crash_on_second)
    out = tmp_path / "out"
    first = run(site, out, threads_per_shard=1)
    assert first.failed and "disk full" in first.failed[0][1]
    assert not (out / "threads-00001.jsonl.gz").exists()
    monkeypatch.setattr(extract_module, "write_shard", real)
    (out / ".threads-00001.jsonl.gz.abc123.tmp").write_bytes(b"torn")  # what a kill mid-write leaves
    second = run(site, out, threads_per_shard=1)
    assert second.failed == [] and second.shards_resumed == 2
    assert read_threads(out) == read_threads(clean)
    assert [t["question_id"] for t in read_threads(out)] == [1, 2, 7]
    assert not (out / extract_module.SPILL_NAME).exists() and not list(out.glob(".threads-*"))
    third = run(site, out, threads_per_shard=1)
    assert third.shards_resumed == 3 and third.threads_written == 3


def test_bad_html_skips_only_that_post(site, tmp_path, monkeypatch):
    real = threads_module.html_to_markdown

    def fail_on_answer_8(body, *args):
        if "Answer 8" in body:
            raise ValueError("unparseable")
        return real(body, *args)

    monkeypatch.setattr(threads_module, "html_to_markdown", fail_on_answer_8)
    summary = run(site, tmp_path / "out")
    assert summary.skipped["answer_bad_html"] == {"count": 1, "first_ids": [8]}
    assert [a["id"] for a in read_threads(tmp_path / "out")[0]["answers"]] == [9, 4]


def test_truncated_posts_xml_fails_clearly_and_keeps_earlier_output(site, tmp_path):
    out = tmp_path / "out"
    assert run(site, out).failed == []
    before = read_threads(out)
    posts = site / "Posts.xml"
    posts.write_bytes(posts.read_bytes()[:-200])
    summary = extract_stackexchange(site, out, force=True, show_progress=False)
    assert len(summary.failed) == 1
    reason = summary.failed[0][1]
    assert "Posts.xml" in reason and f"byte {posts.stat().st_size:,}" in reason
    assert read_threads(out) == before
    assert not list(out.glob(".*partial*"))


def test_other_settings_refuse_to_mix_outputs_until_forced(site, tmp_path):
    out = tmp_path / "out"
    run(site, out)
    (out / "stackexchange.manifest.jsonl").unlink()
    refused = run(site, out, accepted_only=True)
    assert refused.failed and "--force" in refused.failed[0][1]
    forced = extract_stackexchange(site, out, options=StackExchangeOptions(accepted_only=True), force=True,
                                   show_progress=False)
    assert forced.failed == [] and [len(t["answers"]) for t in read_threads(out)] == [1, 0, 0]


def test_site_name_comes_from_the_path_or_must_be_given(tmp_path):
    plain = small_site(tmp_path / "dump")
    summary = run(plain / "Posts.xml", tmp_path / "out")
    assert summary.failed and "--site" in summary.failed[0][1]
    assert run(plain / "Posts.xml", tmp_path / "out", site=SITE).failed == []


def test_sample_folder_and_7z_give_identical_threads(shared_data, tmp_path):
    folder = shared_data / "stackexchange" / "cardano.stackexchange.com"
    from_folder = run(folder, tmp_path / "folder", threads_per_shard=400)
    from_archive = extract_stackexchange(shared_data / "stackexchange" / "cardano.stackexchange.com.7z",
                                         tmp_path / "archive", options=StackExchangeOptions(threads_per_shard=400),
                                         workers=2, show_progress=False)
    assert from_folder.failed == [] and from_archive.failed == []
    threads = read_threads(tmp_path / "folder")
    assert threads == read_threads(tmp_path / "archive")
    assert len(threads) == 1042 - from_folder.skipped["closed"]["count"] == from_folder.threads_written
    assert len(from_folder.shards) == 3
    for thread in threads:
        answers = thread["answers"]
        assert answers == sorted(answers, key=lambda a: (not a["accepted"], -a["score"], a["id"]))
        assert sum(a["accepted"] for a in answers) <= 1
        assert thread["license"]["name"] == "CC BY-SA 4.0" and thread["title"]


def test_truncated_7z_names_the_archive(shared_data, tmp_path):
    archive = tmp_path / "cardano.stackexchange.com.7z"
    archive.write_bytes((shared_data / "stackexchange" / "cardano.stackexchange.com.7z").read_bytes()[:500_000])
    summary = run(archive, tmp_path / "out")
    assert summary.failed and str(archive) in summary.failed[0][1] and "500,000 bytes" in summary.failed[0][1]


def test_broken_xml_inside_a_7z_names_the_member_and_offset(site, tmp_path):
    import py7zr

    posts = site / "Posts.xml"
    posts.write_bytes(posts.read_bytes().replace(b'<row Id="6"', b'<row Id="6" <<<', 1))
    archive = tmp_path / f"{SITE}.7z"
    with py7zr.SevenZipFile(archive, "w") as out:
        out.write(site / "Users.xml", "Users.xml")
        out.write(posts, "Posts.xml")
    summary = run(archive, tmp_path / "out")
    assert len(summary.failed) == 1
    assert f"{archive}:Posts.xml: malformed XML in the bytes 0-" in summary.failed[0][1]
    assert "(line 8, column 15) after 5 rows" in summary.failed[0][1]


def test_cli_runs_and_reports(site, tmp_path):
    from typer.testing import CliRunner

    from codemill.cli import app

    result = CliRunner().invoke(app, ["extract", "stackexchange", str(site), "-o", str(tmp_path / "o"), "--top-k", "1"])
    assert result.exit_code == 0, result.output
    assert [len(t["answers"]) for t in read_threads(tmp_path / "o")] == [1, 1, 1]
    bad = CliRunner().invoke(app, ["extract", "stackexchange", str(tmp_path / "missing"), "-o", str(tmp_path / "p")])
    assert bad.exit_code == 1 and "no such file" in bad.output
