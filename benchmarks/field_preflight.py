"""How fast a shipped recipe fails without internet, and the download cost against a plain copy.

1. `codemill run` on every shipped 7B recipe on a machine with no route out (proxies and the Hub endpoint
   point at a closed local port, empty caches): wall time until it exits, median of --repeats runs.
2. The same 1.1 MB dump fetched from a loopback server: codemill's download (progress, Range resume,
   sha256, atomic rename) against a bare urllib read into a file, median of --repeats runs.

    .venv/bin/python benchmarks/field_preflight.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CLOSED = "http://127.0.0.1:9"
DUMP = REPO.parent / "shared" / "data" / "stackexchange" / "cardano.stackexchange.com.7z"


def preflight_times(repeats: int) -> None:
    recipes = sorted(p for p in (REPO / "recipes").glob("*.yaml") if p.stem not in ("demo", "tiny-cpu"))
    print("recipe | exit | problems | median s | max s")
    for recipe in recipes:
        times, code, lines = [], None, 0
        for _ in range(repeats):
            with tempfile.TemporaryDirectory() as tmp:
                env = os.environ | {"HOME": tmp, "HF_HOME": f"{tmp}/hf", "CODEMILL_CACHE": f"{tmp}/cache",
                                    "HF_ENDPOINT": CLOSED, "http_proxy": CLOSED, "https_proxy": CLOSED}
                started = time.perf_counter()
                run = subprocess.run([sys.executable, "-m", "codemill.cli", "run", str(recipe)], cwd=REPO, env=env,
                                     capture_output=True, text=True)
                times.append(time.perf_counter() - started)
                code, lines = run.returncode, len(run.stderr.strip().splitlines()) - 1
        print(f"{recipe.stem} | {code} | {lines} | {statistics.median(times):.2f} | {max(times):.2f}")


def download_times(repeats: int) -> None:
    from codemill.extract.fetch import download
    from tests.loopback import LoopbackServer

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "www"
        root.mkdir()
        shutil.copy(DUMP, root)
        digest = hashlib.sha256(DUMP.read_bytes()).hexdigest()
        with LoopbackServer(root) as server:
            url = f"{server.url}/{DUMP.name}"
            plain, ours = [], []
            for index in range(repeats):
                started = time.perf_counter()
                with urllib.request.urlopen(url) as response, open(Path(tmp) / "plain", "wb") as out:
                    shutil.copyfileobj(response, out)
                plain.append(time.perf_counter() - started)
                started = time.perf_counter()
                download(url, Path(tmp) / f"ours{index}" / DUMP.name, sha256=digest, show_progress=False)
                ours.append(time.perf_counter() - started)
    base, mine = statistics.median(plain), statistics.median(ours)
    print(f"download {DUMP.stat().st_size:,} B: urllib copy {base * 1000:.1f} ms, codemill {mine * 1000:.1f} ms "
          f"(x{mine / base:.2f})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    preflight_times(args.repeats)
    if DUMP.is_file():
        download_times(args.repeats * 3)
