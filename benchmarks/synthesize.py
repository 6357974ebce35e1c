"""Synthesis throughput against a loopback OpenAI-compatible server: `max_concurrency` 1 vs 8.

The server is `transformers serve` running a tiny random Llama built from a config (no download), on
127.0.0.1; codemill talks to it with the `openai` client, as it would to vLLM or a hosted API. A
generated textbook of `--chunks` sections (prose and a code block each) is synthesized with tasks qa
and exercise; each run starts from an empty reply cache. Printed per setting (median of the repeats,
the two settings taking turns within a repeat): requests/s of the request phase, and samples kept per
chunk (the tiny model writes nonsense, so its replies are dropped: the figure checks the pipeline end
to end, not a teacher's quality). The ratio 8 vs 1 is what concurrency buys against this server.

    .venv/bin/python benchmarks/synthesize.py [--chunks 24] [--repeats 3] [--max-new-tokens 32] [--serve-arg ARG ...]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml

from codemill.datasets.synthesize.run import prepare, synthesize
from codemill.finetune.base_model import build_tiny_model
from codemill.recipe.finetune import TinyModelConfig
from codemill.recipe.loader import load_recipe

BIN = Path(sys.executable).parent


def textbook(chunks: int) -> str:
    """A book of `chunks` sections, each with a paragraph and a small Python example."""
    parts = ["# Working with numbers\n\nThis chapter walks through small programs, one idea per section.\n"]
    for i in range(chunks):
        parts.append(f"## Section {i}: step {i}\n\nThis section shows how to add {i} to every item of a list with a loop, "
                     f"and why a list comprehension says the same thing in one line. Read the example and run it.\n\n"
                     f"```python\nitems = [1, 2, 3]\nprint([x + {i} for x in items])\n```\n")
    return "\n".join(parts)


def start_server(model: Path, extra: list[str]) -> tuple[subprocess.Popen, str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([str(BIN / "transformers"), "serve", str(model), "--device", "cpu", "--host", "127.0.0.1",
                                "--port", str(port), *extra], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=dict(os.environ, HF_HUB_OFFLINE="1"), start_new_session=True)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 180
    while True:
        try:
            urllib.request.urlopen(f"{url}/models", timeout=2).read()
            return process, url
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                sys.exit("transformers serve did not start (pip install -e '.[dev]')")
            time.sleep(0.5)


def one_run(root: Path, url: str, model: Path, concurrency: int, args) -> tuple[float, float, int]:
    """(requests/s, kept per chunk, requests) for a fresh run folder and an empty cache."""
    shutil.rmtree(root, ignore_errors=True)
    book = root / "extract" / "book"
    book.mkdir(parents=True)
    (book / "numbers.md").write_text(textbook(args.chunks), encoding="utf-8")
    recipe = {"name": "bench", "output_dir": str(root),
              "sources": [{"name": "book", "type": "pdf", "path": "unused", "license": "CC BY 4.0"}],
              "data": {"max_chunk_tokens": 80, "min_chunk_tokens": 10,
                       "synthesize": {"teacher": {"endpoint": url, "model": str(model), "max_concurrency": concurrency,
                                                  "max_new_tokens": args.max_new_tokens, "temperature": 0.7},
                                      "tasks": ["qa", "exercise"]}}}
    (root / "recipe.yaml").write_text(yaml.safe_dump(recipe), encoding="utf-8")
    loaded = load_recipe(root / "recipe.yaml")
    prepared = prepare(loaded)
    began = time.perf_counter()
    prepared.synth.answer(prepared.planned)
    elapsed = time.perf_counter() - began
    prepared.synth.close()
    summary = synthesize(loaded, say=lambda line: None)  # every reply cached now: parse, check, write
    assert summary["sent"] == 0, summary
    return len(prepared.planned) / elapsed, summary["kept"] / summary["chunks"], len(prepared.planned)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--serve-arg", action="append", default=[], help="passed on to `transformers serve`")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="codemill-bench-synth-"))
    model = work / "teacher"
    build_tiny_model(TinyModelConfig(vocab_size=512, hidden_size=64, intermediate_size=128, num_layers=2, num_heads=4),
                     [textbook(8)], model)
    process, url = start_server(model, args.serve_arg)
    results: dict[int, list[tuple[float, float, int]]] = {1: [], 8: []}
    try:
        for repeat in range(args.repeats):
            for concurrency in (1, 8):
                results[concurrency].append(one_run(work / f"run-{concurrency}", url, model, concurrency, args))
                rate, kept, requests = results[concurrency][-1]
                print(f"repeat {repeat + 1} max_concurrency {concurrency}: {requests} requests, {rate:.2f} requests/s, "
                      f"{kept:.2f} kept per chunk", flush=True)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)
    medians = {c: statistics.median(r[0] for r in runs) for c, runs in results.items()}
    kept = {c: statistics.median(r[1] for r in runs) for c, runs in results.items()}
    print(json.dumps({"requests_per_s": medians, "kept_per_chunk": kept, "ratio_8_vs_1": medians[8] / medians[1],
                      "serve_args": args.serve_arg, "max_new_tokens": args.max_new_tokens}, indent=2))


if __name__ == "__main__":
    main()
