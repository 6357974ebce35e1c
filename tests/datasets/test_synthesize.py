"""Synthetic samples from textbook chunks, through real clients and servers on 127.0.0.1.

Two teachers speak the OpenAI protocol here: `transformers serve` running a tiny model built from a
config (its text is nonsense, so it checks the mechanics), and a small scripted server whose replies
are fixed per prompt (so that a passing exercise, failing tests and raising code can be told apart).
The in-process transformers backend runs the same tiny model.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from codemill.recipe.base import RecipeError
from codemill.datasets.synthesize.parse import Rejected, parse_reply
from codemill.recipe.loader import load_recipe
from tests.datasets.fixtures import BOOK

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent

EXERCISE_OK = """EXERCISE:
Write a function `countdown(n)` that returns the numbers from n down to 1 in a list, using a while loop.

SOLUTION:
```python
def countdown(n):
    out = []
    while n > 0:
        out.append(n)
        n = n - 1
    return out
```

TESTS:
```python
assert countdown(3) == [3, 2, 1]
assert countdown(0) == []
```"""
EXERCISE_WRONG = EXERCISE_OK.replace("n = n - 1", "n = n - 2")  # countdown(3) == [3, 1]: the tests fail
QA_OK = """QUESTION:
How do I greet every friend in a list?

ANSWER:
Loop over the list with a for statement and print a greeting for each item:

```python
friends = ['Joseph', 'Glenn', 'Sally']
for friend in friends:
    print('Happy New Year:', friend)
```"""
QA_RAISES = QA_OK.replace("print('Happy New Year:', friend)", "print(friends[3])")  # IndexError
EXPLAIN = "EXPLANATION:\nThe loop prints each number from five down to one, then prints a farewell message."


def scripted_reply(prompt: str) -> str:
    """The while section gets correct code, the for section broken code, the introduction a refusal."""
    if "<passage>\n# Loops\n\nLoops repeat" in prompt and "## " not in prompt.split("</passage>")[0]:
        return "I'm sorry, but I can't help with that."
    broken = "for friend in friends" in prompt
    if "EXERCISE:" in prompt:
        return EXERCISE_WRONG if broken else EXERCISE_OK
    if "EXPLANATION:" in prompt:
        return EXPLAIN
    return QA_RAISES if broken else QA_OK


class ScriptedServer:
    """/v1/models and /v1/chat/completions on 127.0.0.1; counts requests, can demand a key, fail or be slow."""

    def __init__(self, key: str | None = None, fail_first: int = 0, delay_s: float = 0.0):
        self.key, self.fail_first, self.delay_s = key, fail_first, delay_s
        self.chat_requests: list[dict] = []
        self.failures = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, body: dict, headers: dict | None = None):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def _authorised(self) -> bool:
                if server.key and self.headers.get("Authorization") != f"Bearer {server.key}":
                    self._send(401, {"error": {"message": "invalid api key", "type": "invalid_request_error"}})
                    return False
                return True

            def do_GET(self):
                if self._authorised():
                    self._send(200, {"object": "list", "data": [{"id": "scripted", "object": "model", "owned_by": "test"}]})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if not self._authorised():
                    return
                if server.failures < server.fail_first:
                    server.failures += 1
                    self._send(429, {"error": {"message": "slow down"}}, {"retry-after-ms": "10"})
                    return
                time.sleep(server.delay_s)
                prompt = body["messages"][-1]["content"]
                server.chat_requests.append({"prompt": prompt, "seed": body.get("seed")})
                self._send(200, {"id": "x", "object": "chat.completion", "created": 0, "model": "scripted-v1",
                                 "choices": [{"index": 0, "finish_reason": "stop",
                                              "message": {"role": "assistant", "content": scripted_reply(prompt)}}]})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def scripted():
    servers = []

    def start(**options) -> ScriptedServer:
        servers.append(ScriptedServer(**options))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def write_run(root: Path, teacher: dict, licence: str = "CC BY-NC-SA 4.0", **synthesize) -> Path:
    """A run folder with one extracted book (three chunks) and a recipe whose data section synthesizes."""
    book = root / "extract" / "book"
    book.mkdir(parents=True, exist_ok=True)
    (book / "loops.md").write_text(BOOK, encoding="utf-8")
    (book / "loops.json").write_text(json.dumps({"source": "loops.pdf", "title": "Think Loops", "pages": 3}), encoding="utf-8")
    recipe = {
        "name": "synth", "output_dir": str(root),
        "sources": [{"name": "book", "type": "pdf", "path": "unused", "license": licence, "attribution": "Think Loops, by A. Author"}],
        "data": {"validation_fraction": 0.0, "max_chunk_tokens": 90, "min_chunk_tokens": 20, "filters": {"min_chars": 20},
                 "decontamination": {"enabled": False, "benchmarks": []}, "dedup": {"exact": False, "near": False},
                 "synthesize": {"teacher": teacher, "tasks": ["qa", "exercise", "explain_code"],
                                "check": {"workers": 2, "timeout_s": 5}, **synthesize}},
    }
    path = root / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe), encoding="utf-8")
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def cached_replies(root: Path) -> int:
    lines = 0
    for path in (root / "synthesize" / "cache").glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                json.loads(line)
                lines += 1
            except ValueError:
                pass
    return lines


# ---- replies that cannot be used, each with its reason -------------------------------------------------

@pytest.mark.parametrize("text, finished, reason", [
    ("   ", True, "empty"),
    (EXERCISE_OK[:80], False, "truncated"),
    ("I'm sorry, but I cannot write that exercise.", True, "refusal"),
    ("Here is a question: what is a loop?", True, "wrong_format"),
    (EXERCISE_OK.split("SOLUTION:")[0] + "SOLUTION:\nUse a loop.\n\nTESTS:\n```python\nassert True\n```", True, "no_code"),
    (EXERCISE_OK.replace("assert countdown(3) == [3, 2, 1]\nassert countdown(0) == []", "countdown(3)"), True, "no_tests"),
    (EXERCISE_OK.replace("def countdown(n):", "def countdown(n)"), True, "syntax_error"),
])
def test_unusable_replies_are_rejected_with_a_reason(text, finished, reason):
    with pytest.raises(Rejected) as rejected:
        parse_reply("exercise", text, finished)
    assert rejected.value.args[0] == reason


def test_a_good_exercise_becomes_a_sample_with_its_tests_as_the_program():
    parsed = parse_reply("exercise", EXERCISE_OK, True)
    assert parsed.user.startswith("Write a function `countdown(n)`") and parsed.has_tests
    assert "def countdown" in parsed.program and "assert countdown(3)" in parsed.program
    assert parse_reply("qa", QA_OK.replace("```python", "```text"), True).program is None  # only Python is run


def test_recipe_errors_name_the_key(tmp_path):
    path = write_run(tmp_path, {"model": "m", "api_key_env": "KEY"}, templates={"qa": "Tell me about {topic}"})
    with pytest.raises(RecipeError) as error:
        load_recipe(path)
    text = str(error.value)
    assert "data.synthesize.teacher: " in text and "api_key_env is only used with endpoint" in text
    assert "data.synthesize.templates: qa: unknown placeholder {topic}" in text

    from codemill.datasets.synthesize.run import synthesize

    path = write_run(tmp_path / "b", {"model": "m", "endpoint": "http://127.0.0.1:9/v1"}, sources=["books"])
    with pytest.raises(RecipeError, match=r"data\.synthesize\.sources: unknown source 'books'; the recipe's sources are book"):
        synthesize(load_recipe(path), say=lambda line: None)


# ---- preflight: before any stage starts ------------------------------------------------------------------

def test_unreachable_endpoint_and_bad_key_stop_before_the_build(tmp_path, scripted, monkeypatch):
    from codemill.datasets.build import build_dataset

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    recipe = load_recipe(write_run(tmp_path / "a", {"model": "m", "endpoint": f"http://127.0.0.1:{closed_port}/v1"}))
    with pytest.raises(RecipeError, match=r"data\.synthesize\.teacher\.endpoint: cannot reach http://127\.0\.0\.1"):
        build_dataset(recipe)
    assert not (tmp_path / "a" / "dataset.work" / "logs").exists()

    server = scripted(key="right-key")
    teacher = {"model": "scripted", "endpoint": server.url, "api_key_env": "CODEMILL_TEST_KEY"}
    recipe = load_recipe(write_run(tmp_path / "b", teacher))
    monkeypatch.delenv("CODEMILL_TEST_KEY", raising=False)
    with pytest.raises(RecipeError, match=r"api_key_env: environment variable CODEMILL_TEST_KEY is not set"):
        build_dataset(recipe)
    monkeypatch.setenv("CODEMILL_TEST_KEY", "wrong-key")
    with pytest.raises(RecipeError, match=r"api_key_env: .* refused the key in \$CODEMILL_TEST_KEY \(HTTP 401\)"):
        build_dataset(recipe)
    assert server.chat_requests == []


def test_a_teacher_that_keeps_failing_stops_the_build_with_one_line(tmp_path, scripted):
    import typer
    from typer.testing import CliRunner

    from codemill.datasets.cli import data_app

    server = scripted(fail_first=1000)  # every chat request answered 429
    path = write_run(tmp_path, {"model": "scripted", "endpoint": server.url, "max_retries": 1})
    app = typer.Typer()
    app.add_typer(data_app, name="data")
    result = CliRunner().invoke(app, ["data", "build", str(path)])
    assert result.exit_code == 2, result.output
    last = result.output.strip().splitlines()[-1]  # (datatrove logs the failed task above it)
    assert last.startswith("error: data.synthesize.teacher.endpoint:") and "kept failing (HTTP 429) after 1 retries" in last
    assert last.endswith("answered requests are cached, rerun to resume")
    assert server.failures >= 2  # the first try and one retry


# ---- the scripted teacher: grounding, the execution check, the cache, the card ---------------------------

def test_samples_are_grounded_checked_and_cached(tmp_path, scripted, monkeypatch):
    from codemill.datasets.build import build_dataset
    from codemill.datasets.synthesize.run import synthesize

    server = scripted(key="right-key", fail_first=2)  # two 429s first: the client backs off and retries
    monkeypatch.setenv("CODEMILL_TEST_KEY", "right-key")
    teacher = {"model": "scripted", "endpoint": server.url, "api_key_env": "CODEMILL_TEST_KEY", "max_concurrency": 4,
               "max_retries": 3}
    path = write_run(tmp_path, teacher)
    summary = synthesize(load_recipe(path), say=lambda line: None)
    # three chunks x (qa, exercise) + the two chunks with code x explain_code
    assert summary["requests"] == 8 and summary["sent"] == 8 and server.failures == 2
    assert summary["dropped_refusal"] == 2  # the introduction
    assert summary["dropped_code_error"] == 1 and summary["dropped_tests_failed"] == 1  # the for section
    assert summary["checked"] == 4 and summary["passed"] == 2 and summary["kept"] == 4
    kept = {r["id"]: r for r in read_jsonl(tmp_path / "synthesize" / "samples.jsonl")}
    exercise = kept["book/loops#0001~exercise-0"]
    meta = exercise["metadata"]
    assert meta["chunk_id"] == "book/loops#0001" and meta["source"] == "book" and meta["group"] == "book/loops"
    assert meta["license"] == "CC BY-NC-SA 4.0" and meta["non_commercial"] is True
    assert meta["attribution"] == "Think Loops, by A. Author"
    assert meta["teacher"] == {"endpoint": server.url, "model": "scripted", "served_model": "scripted-v1"}
    assert len(meta["template_digest"]) == 16 and isinstance(meta["seed"], int) and meta["checked"] == "passed"
    assert exercise["messages"][0]["content"].startswith("Write a function `countdown(n)`")
    assert kept["book/loops#0002~explain_code-0"]["metadata"]["checked"] == "no_code"
    drops = {d["id"]: d["metadata"] for d in read_jsonl(tmp_path / "synthesize" / "drops.jsonl")}
    assert drops["book/loops#0002~qa-0"]["drop_reason"] == "code_error" and "IndexError" in drops["book/loops#0002~qa-0"]["detail"]
    assert drops["book/loops#0002~exercise-0"]["drop_reason"] == "tests_failed"

    # the build reuses every reply: the server hears nothing, not even a preflight
    monkeypatch.delenv("CODEMILL_TEST_KEY")
    server.close()
    out = build_dataset(load_recipe(path))
    stats = json.loads((out / "stats.json").read_text())
    assert stats["steps"]["synthesize"]["sent"] == 0 and stats["steps"]["synthesize"]["cache_hits"] == 8
    assert stats["steps"]["check_code"]["passed"] == 2
    rows = pq.read_table(out / "data" / "train-00000-of-00001.parquet").to_pylist()
    synthetic = [r for r in rows if json.loads(r["metadata"]).get("kind") == "synthetic"]
    assert {r["id"] for r in synthetic} == set(kept)
    card = (out / "README.md").read_text()
    assert "## Synthetic samples" in card and "| 8 | 6 | 4 | 2 | 4 |" in card
    assert "CC BY-NC-SA 4.0 (non-commercial; share-alike)" in card
    dropped = read_jsonl(out / "drops" / "synthesize.jsonl")
    assert {d["metadata"]["drop_reason"] for d in dropped} == {"refusal", "code_error", "tests_failed"}


def test_a_kill_mid_way_loses_no_reply(tmp_path, scripted):
    from codemill.datasets.synthesize.run import synthesize

    server = scripted(delay_s=0.3)
    path = write_run(tmp_path, {"model": "scripted", "endpoint": server.url, "max_concurrency": 1})
    env = dict(os.environ, PYTHONPATH=str(REPO))
    child = subprocess.Popen([str(VENV_BIN / "codemill"), "data", "synthesize", str(path)], cwd=tmp_path, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while cached_replies(tmp_path) < 2 and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.05)
    os.killpg(child.pid, signal.SIGKILL)
    child.wait()
    kept_by_kill = cached_replies(tmp_path)
    assert 2 <= kept_by_kill < 8
    summary = synthesize(load_recipe(path), say=lambda line: None)
    assert summary["requests"] == 8 and summary["cache_hits"] == kept_by_kill
    assert summary["sent"] == 8 - kept_by_kill  # only what the kill left unanswered
    asked = [(r["prompt"], r["seed"]) for r in server.chat_requests]  # one at a time: the first ones were cached
    assert not set(asked[:kept_by_kill]) & set(asked[kept_by_kill:])
    assert len(set(asked)) == 8
    again = synthesize(load_recipe(path), say=lambda line: None)
    assert again["sent"] == 0 and again["kept"] == summary["kept"]


# ---- a real server: `transformers serve` with a tiny model; and the in-process transformers backend --------

@pytest.fixture(scope="module")
def tiny_teacher(tmp_path_factory) -> Path:
    from codemill.finetune.base_model import build_tiny_model
    from codemill.recipe.finetune import TinyModelConfig

    target = tmp_path_factory.mktemp("teacher") / "tiny"
    build_tiny_model(TinyModelConfig(vocab_size=300, hidden_size=32, intermediate_size=64, num_layers=1, num_heads=2),
                     [BOOK, EXERCISE_OK, QA_OK], target)
    return target


@pytest.fixture(scope="module")
def served(tiny_teacher, tmp_path_factory):
    """`transformers serve` on a free loopback port; yields (base URL, log file)."""
    from transformers.utils.import_utils import is_serve_available

    if not (VENV_BIN / "transformers").exists() or not is_serve_available():
        pytest.skip("transformers serve is not installed (pip install -e '.[dev]')")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    with open(log, "w") as handle:
        process = subprocess.Popen([str(VENV_BIN / "transformers"), "serve", str(tiny_teacher), "--device", "cpu",
                                    "--host", "127.0.0.1", "--port", str(port), "--log-level", "info"],
                                   stdout=handle, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 90
    while True:
        try:
            urllib.request.urlopen(f"{url}/models", timeout=2).read()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"transformers serve did not start: {log.read_text()[-2000:]}")
            time.sleep(0.5)
    yield url, log
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def chat_posts(log: Path) -> int:
    return log.read_text(errors="replace").count("POST /v1/chat/completions")


def test_build_with_transformers_serve_then_a_rerun_sends_nothing(tmp_path, served, tiny_teacher):
    from codemill.datasets.build import build_dataset

    url, log = served
    teacher = {"model": str(tiny_teacher), "endpoint": url, "max_new_tokens": 12, "max_concurrency": 2, "temperature": 0}
    path = write_run(tmp_path, teacher, licence="CC BY-SA 4.0")
    before = chat_posts(log)
    out = build_dataset(load_recipe(path))
    assert chat_posts(log) - before == 8
    steps = json.loads((out / "stats.json").read_text())["steps"]
    assert steps["synthesize"]["requests"] == 8 and steps["synthesize"]["sent"] == 8
    # 12 tokens of nonsense: every reply is cut at the token limit or has none of the asked sections
    assert sum(v for k, v in steps["synthesize"].items() if k.startswith("dropped_")) == 8
    dropped = read_jsonl(out / "drops" / "synthesize.jsonl")
    assert dropped and all(d["metadata"]["drop_reason"] in ("truncated", "wrong_format", "empty") for d in dropped)
    assert dropped[0]["metadata"]["teacher"]["endpoint"] == url and dropped[0]["metadata"]["license"] == "CC BY-SA 4.0"

    (tmp_path / "dataset.work" / "fingerprint.txt").write_text("stale\n")  # force every stage to run again
    before = chat_posts(log)
    again = build_dataset(load_recipe(path))
    assert chat_posts(log) == before
    assert json.loads((again / "stats.json").read_text())["steps"]["synthesize"]["cache_hits"] == 8


def test_in_process_transformers_teacher(tmp_path, tiny_teacher):
    from codemill.datasets.synthesize.run import synthesize

    path = write_run(tmp_path, {"model": str(tiny_teacher), "max_new_tokens": 8, "batch_size": 4}, tasks=["qa"],
                     max_chunks=2)
    summary = synthesize(load_recipe(path), say=lambda line: None)
    assert summary["chunks"] == 2 and summary["requests"] == 2 and summary["sent"] == 2
    assert summary["teacher"]["backend"] == "transformers" and summary["teacher"]["revision"].startswith("local:")
    assert summary["made"] == 0 and summary["kept"] == 0
    drops = read_jsonl(tmp_path / "synthesize" / "drops.jsonl")
    assert {d["metadata"]["drop_reason"] for d in drops} <= {"truncated", "wrong_format", "empty"} and len(drops) == 2
    again = synthesize(load_recipe(path), say=lambda line: None)
    assert again["sent"] == 0 and again["cache_hits"] == 2 and again["teacher"] == summary["teacher"]
