"""Ordinary mistakes and faults get one line naming the path and what to do: never a traceback."""

from __future__ import annotations

import errno
import gzip
import json
import shutil
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from codemill.cli import app
from codemill.common.errors import explain
from codemill.extract.stackexchange.extract import extract_stackexchange
from codemill.recipe.stackexchange import StackExchangeOptions
from tests.faults.procs import REPO

SITE = "python-primer.example.stackexchange.com"


def invoke(*args: str):
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def one_line_error(output: str) -> str:
    lines = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in output, output
    return lines[0]


@pytest.fixture
def a_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("not a folder\n")
    return path


def test_eval_output_that_is_a_file(a_file):
    code, output = invoke("eval", "--samples", str(REPO / "samples/evals/smoke.jsonl"), "-o", str(a_file))
    assert code == 2 and "notes.txt: is a file, not a folder" in one_line_error(output)


def test_extract_pdf_output_under_a_file(a_file):
    code, output = invoke("extract", "pdf", str(REPO / "samples/pdfs"), "-o", str(a_file / "md"))
    assert code == 2 and "notes.txt is a file, so no folder can be made under it" in one_line_error(output)


def test_binary_samples_file_is_named(tmp_path):
    binary = tmp_path / "samples.jsonl"
    binary.write_bytes(b'{"task_id": "x"}\n' + bytes(range(128, 256)) * 4)
    code, output = invoke("eval", "--samples", str(binary), "--data-file", str(REPO / "samples/evals/smoke.jsonl"),
                          "-b", "humaneval", "-o", str(tmp_path / "out"))
    line = one_line_error(output)
    assert code == 2 and "samples.jsonl: not UTF-8 text" in line and "UTF-8" in line


def test_verbose_shows_the_traceback(tmp_path, monkeypatch):
    from codemill.common import errors, logs

    monkeypatch.setattr(errors, "verbose", False)  # -v sets these for the process: restored after the test
    monkeypatch.setattr(logs, "verbose", False)
    binary = tmp_path / "samples.jsonl"
    binary.write_bytes(bytes(range(128, 256)))
    result = CliRunner().invoke(app, ["-v", "eval", "--samples", str(binary), "--data-file",
                                      str(REPO / "samples/evals/smoke.jsonl"), "-o", str(tmp_path / "out")])
    assert "Traceback" in result.output and "not UTF-8 text" in result.output


def test_empty_pdf_folder_is_an_error_with_a_word(tmp_path):
    (tmp_path / "books").mkdir()
    code, output = invoke("extract", "pdf", str(tmp_path / "books"), "-o", str(tmp_path / "md"))
    assert code == 1 and "no .pdf files in this folder" in output


@pytest.mark.parametrize("number, words", [
    (errno.ENOSPC, "no space left on the disk holding out/x.json; free some space, then rerun"),
    (errno.EACCES, "out/x.json: permission denied"),
    (errno.EROFS, "out/x.json: the file system is read-only"),
    (errno.ENOTDIR, "out/x.json: a part of this path is a file"),
])
def test_file_system_errors_name_the_path_and_what_to_do(number, words):
    assert words in explain(OSError(number, "whatever", "out/x.json"))


def test_an_unexpected_error_is_one_line_pointing_to_verbose():
    try:
        {}["missing"]
    except KeyError as error:
        message = explain(error)
    assert message.startswith("unexpected KeyError at test_mistakes.py:") and "codemill -v" in message


def _bad_byte_dump(tmp_path):
    dump = tmp_path / SITE
    shutil.copytree(REPO / "samples" / "stackexchange", dump)
    posts = dump / "Posts.xml"
    lines = posts.read_bytes().split(b"\n")
    index = [i for i, line in enumerate(lines) if line.lstrip().startswith(b"<row")][3]
    lines[index] = lines[index].replace(b'Body="', b'Body="\xff', 1)
    posts.write_bytes(b"\n".join(lines))
    return dump, index + 1


def test_a_bad_byte_in_posts_stops_the_file_with_a_hint_or_is_skipped_and_counted(tmp_path):
    dump, line = _bad_byte_dump(tmp_path)
    stopped = extract_stackexchange(dump, tmp_path / "a", show_progress=False)
    assert stopped.failed and "Posts.xml: malformed XML" in stopped.failed[0][1] and "--skip-bad-rows" in stopped.failed[0][1]
    skipped = extract_stackexchange(dump, tmp_path / "b", options=StackExchangeOptions(skip_bad_rows=True),
                                    show_progress=False)
    assert skipped.failed == [] and skipped.threads_written > 20
    entry = skipped.skipped["unreadable_row"]
    assert entry["count"] == 1 and entry["first_ids"] == [f"{dump / 'Posts.xml'} line {line} (Id 4)"]
    summary = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert summary["skipped"]["unreadable_row"]["count"] == 1
    threads = [json.loads(row) for shard in sorted((tmp_path / "b").glob("threads-*.jsonl.gz"))
               for row in gzip.decompress(shard.read_bytes()).splitlines()]
    assert 4 not in {thread["question_id"] for thread in threads}


def _can_mount_tmpfs() -> bool:
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=16k tmpfs /mnt"], capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not sys.platform.startswith("linux") or not shutil.which("unshare") or not _can_mount_tmpfs(),
                    reason="needs a user+mount namespace for a tiny tmpfs")
def test_disk_full_during_stackexchange_names_the_output_folder(tmp_path):
    (tmp_path / "small").mkdir()
    command = (f"mount -t tmpfs -o size=24k tmpfs small && {sys.executable} -m codemill.cli extract stackexchange "
               f"{REPO / 'samples/stackexchange'} --site {SITE} -o small/se")
    done = subprocess.run(["unshare", "-rm", "sh", "-c", command], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "failed: small/se: cannot write the output" in done.stderr and "free space on the disk holding small/se" in done.stderr
    assert "samples/stackexchange" not in done.stderr.split("failed:")[1].split("\n")[0]


def test_data_build_with_nothing_left_says_which_step_dropped_what(tmp_path, monkeypatch):
    for name in ("textbook", "evals"):
        shutil.copytree(REPO / "samples" / name, tmp_path / "samples" / name)
    (tmp_path / "r.yaml").write_text(
        "name: empty\nsources:\n  - {name: primer, type: pdf, path: samples/pdfs, extracted: samples/textbook}\n"
        "data:\n  filters: {min_chars: 1000000}\n"
        "  decontamination: {benchmarks: [humaneval], humaneval_path: samples/evals/smoke.jsonl}\n")
    monkeypatch.chdir(tmp_path)
    code, output = invoke("data", "build", "r.yaml")
    line = one_line_error(output)
    assert code == 2 and "no training records are left: length dropped" in line and "too_short" in line
    assert "data.filters" in line


def test_a_refused_stackexchange_run_leaves_the_earlier_summary_alone(tmp_path):
    out = tmp_path / "se"
    first = extract_stackexchange(REPO / "samples/stackexchange", out, options=StackExchangeOptions(site=SITE),
                                  show_progress=False)
    assert first.failed == []
    before = (out / "summary.json").read_bytes()
    other = StackExchangeOptions(site=SITE, min_question_score=5)
    refused = extract_stackexchange(REPO / "samples/stackexchange", out, options=other, show_progress=False)
    assert refused.failed == [(str(out), refused.failed[0][1])] and "pass --force" in refused.failed[0][1]
    assert (out / "summary.json").read_bytes() == before
    missing = extract_stackexchange(tmp_path / "nowhere", out, options=StackExchangeOptions(site=SITE), show_progress=False)
    assert missing.failed and (out / "summary.json").read_bytes() == before
