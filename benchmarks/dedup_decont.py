"""Near-dedup and decontamination, measured on real documents from ../shared/data in one run.

Near-dedup: clean documents (py4e chapter chunks + Cardano StackExchange posts) plus planted
near-duplicates made by editing real documents to a measured word-5-gram Jaccard in 0.7-0.95.
codemill's datatrove MinHash pipeline (4 stages, local executor) against a datasketch MinHashLSH
baseline (same shingles, same 128 permutations, threshold 0.8, streaming query-then-insert).
Decontamination: every HumanEval/MBPP prompt and solution planted into a clean document (recall),
and the share of clean documents flagged (false positives).

    .venv/bin/python benchmarks/dedup_decont.py [--planted 300] [--repeats 3] [--tasks 2] [--workers 1]
                                                [--throughput-docs 20000]

The codemill time covers all four datatrove stages end to end (signatures, buckets, clusters,
filter + writing the kept shards); datasketch only computes which documents to drop. The stages'
fixed cost (executor start, per-task logging, one task per LSH band) is measured on 20 documents
and reported apart, with the marginal throughput beyond it.
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import statistics
import tempfile
import time
from pathlib import Path

from datasketch import MinHash, MinHashLSH
from datatrove.executor.local import LocalPipelineExecutor
from lxml import etree

from codemill.datasets.benchmarks import load_benchmarks
from codemill.datasets.chunk import chunk_markdown
from codemill.datasets.config import DecontConfig, DedupConfig
from codemill.datasets.decontaminate import BenchmarkIndex
from codemill.datasets.dedup import minhash_settings
from codemill.datasets.near_dedup import NearDedupClusters, NearDedupSignatures, near_dedup_filter
from codemill.datasets.shards import ShardReader, shard_writer
from codemill.datasets.tokens import approximate_tokens

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
NGRAM = 5
THRESHOLD = 0.8
NUM_PERM = 128
TAG = re.compile(r"<[^>]+>")
WORD = re.compile(r"\w+")


def load_clean_documents() -> list[str]:
    """py4e chapters cut into ~300-token chunks, and every StackExchange post with 60+ words."""
    docs = []
    for chapter in sorted((SHARED / "pdfs" / "py4e").glob("*.md")):
        docs += [c.text for c in chunk_markdown(chapter.read_text(), 300, 40, approximate_tokens)]
    for _, row in etree.iterparse(str(SHARED / "stackexchange" / "cardano.stackexchange.com" / "Posts.xml"), tag="row"):
        body = html.unescape(TAG.sub(" ", row.get("Body", "")))
        text = f"{row.get('Title') or ''}\n{body}".strip()
        if len(text.split()) >= 60:
            docs.append(text)
        row.clear()
    return docs


def shingles(text: str) -> set[str]:
    """Word 5-grams of lower-cased `\\w+` words: the same shingles codemill's MinHash step hashes."""
    words = WORD.findall(text.lower())
    return {" ".join(words[i : i + NGRAM]) for i in range(max(len(words) - NGRAM + 1, 0))}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def plant_near_duplicate(text: str, target: float, vocabulary: list[str], rng: random.Random) -> tuple[str, float]:
    """Edit random words (replace, delete, insert) until the shingle Jaccard drops to `target`."""
    original, words = shingles(text), text.split(" ")
    current, failures = 1.0, 0
    while current > target and failures < 200:
        edited = list(words)
        position = rng.randrange(len(edited))
        action = rng.random()
        if action < 0.6:
            edited[position] = rng.choice(vocabulary)
        elif action < 0.8:
            del edited[position]
        else:
            edited.insert(position, rng.choice(vocabulary))
        candidate = jaccard(original, shingles(" ".join(edited)))
        if candidate < 0.7:
            failures += 1
            continue  # overshot the planted range: try another edit
        words, current = edited, candidate
    return " ".join(words), current


def build_corpus(clean: list[str], planted: int, seed: int):
    rng = random.Random(seed)
    vocabulary = sorted({w for doc in clean[:300] for w in doc.split() if w.isalpha()})
    candidates = [i for i, doc in enumerate(clean) if len(doc.split()) >= 80]
    pairs = []
    docs = list(clean)
    for original in rng.sample(candidates, planted):
        text, similarity = plant_near_duplicate(clean[original], rng.uniform(0.7, 0.95), vocabulary, rng)
        docs.append(text)
        pairs.append((original, len(docs) - 1, similarity))
    return docs, pairs


def scaled_corpus(clean: list[str], size: int, seed: int) -> list[str]:
    """`size` distinct documents for throughput only: each joins two random clean documents."""
    rng = random.Random(seed)
    return [rng.choice(clean) + "\n\n" + rng.choice(clean) for _ in range(size)]


def run_codemill(docs: list[str], workdir: Path, tasks: int, workers: int = 1) -> tuple[set[int], float]:
    """codemill's near-dedup stages over `tasks` shards; returns the removed indices and the wall time.

    In `data build` the signatures ride along the stage that writes the shards; here they get a stage
    of their own that reads the shards again, so the time is an upper bound of what a build spends."""
    from datatrove.data import Document

    prepared = str(workdir / "prepared")
    writer = shard_writer(prepared)
    for rank in range(tasks):
        with writer:
            list(writer.run((Document(text=d, id=str(i)) for i, d in enumerate(docs) if i % tasks == rank), rank=rank))
    settings = minhash_settings(DedupConfig(threshold=THRESHOLD, num_perm=NUM_PERM, ngram_size=NGRAM))
    folder = lambda name: str(workdir / name)  # noqa: E731
    start = time.perf_counter()
    stages = [
        ([ShardReader(prepared), NearDedupSignatures(folder("sigs"), settings)], tasks),
        ([NearDedupClusters(folder("sigs"), folder("remove"), settings, tasks)], 1),
        ([ShardReader(prepared), near_dedup_filter(folder("remove")), shard_writer(folder("kept"))], tasks),
    ]
    for index, (pipeline, count) in enumerate(stages):
        LocalPipelineExecutor(pipeline, tasks=count, workers=min(workers, count), logging_dir=folder(f"logs{index}")).run()
    elapsed = time.perf_counter() - start
    kept = set()
    for path in Path(folder("kept")).glob("*.jsonl"):
        with open(path) as handle:
            kept |= {int(json.loads(line)["id"]) for line in handle}
    return set(range(len(docs))) - kept, elapsed


def run_datasketch(docs: list[str]) -> tuple[set[int], float]:
    """The usual datasketch loop: MinHash per document, query the LSH, insert when no match."""
    start = time.perf_counter()
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    removed = set()
    for index, doc in enumerate(docs):
        signature = MinHash(num_perm=NUM_PERM)
        signature.update_batch([s.encode() for s in shingles(doc)])
        if lsh.query(signature):
            removed.add(index)
        else:
            lsh.insert(str(index), signature)
    return removed, time.perf_counter() - start


def score(removed: set[int], pairs, docs_shingles) -> dict:
    """Recall per planted-Jaccard band; precision = removed docs having a >= 0.7 Jaccard partner."""
    bands = {"0.70-0.80": (0.7, 0.8), "0.80-0.90": (0.8, 0.9), "0.90-0.95": (0.9, 1.0), ">=0.80": (0.8, 1.0)}
    recall = {}
    for name, (low, high) in bands.items():
        chosen = [p for p in pairs if low <= p[2] < high]
        caught = sum(p[0] in removed or p[1] in removed for p in chosen)
        recall[name] = round(caught / len(chosen), 4) if chosen else None
    planted = {i for p in pairs for i in p[:2]}
    correct = 0
    for index in removed:
        if index in planted or any(
            j != index and jaccard(docs_shingles[index], docs_shingles[j]) >= 0.7 for j in range(len(docs_shingles))
        ):
            correct += 1
    return {"recall": recall, "precision": round(correct / len(removed), 4) if removed else None, "removed": len(removed)}


def decontamination(clean: list[str], seed: int) -> dict:
    evals = SHARED / "evals"
    tasks = load_benchmarks(DecontConfig(humaneval_path=evals / "HumanEval.jsonl.gz", mbpp_path=evals / "mbpp.jsonl"))
    index = BenchmarkIndex.build(tasks, n=13, min_signature_chars=24, min_docstring_chars=40)
    rng = random.Random(seed)
    misses, planted = [], 0
    for task in tasks:
        for kind, text in (("prompt", task.prompt), ("solution", task.code)):  # HumanEval: signature + body
            host = rng.choice(clean)
            cut = len(host) // 2
            document = host[:cut] + "\n\n" + text + "\n\n" + host[cut:]
            planted += 1
            if task.task_id not in {hit["task_id"] for hit in index.matches(document)}:
                misses.append((task.task_id, kind))
    start = time.perf_counter()
    flagged = [doc for doc in clean if index.matches(doc)]
    elapsed = time.perf_counter() - start
    return {"planted": planted, "recall": round(1 - len(misses) / planted, 4), "misses": misses[:10],
            "clean_docs": len(clean), "false_positive_rate": round(len(flagged) / len(clean), 4),
            "false_positives": [doc[:120] for doc in flagged[:5]], "docs_per_s": round(len(clean) / elapsed, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--planted", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tasks", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--throughput-docs", type=int, default=0, help="also time both on this many joined documents")
    args = parser.parse_args()

    clean = load_clean_documents()
    docs, pairs = build_corpus(clean, args.planted, args.seed)
    docs_shingles = [shingles(d) for d in docs]
    print(f"corpus: {len(clean)} clean documents + {len(pairs)} planted near-duplicates "
          f"(Jaccard {min(p[2] for p in pairs):.2f}-{max(p[2] for p in pairs):.2f})")

    ours_times, base_times, fixed_times = [], [], []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as workdir:
            ours, elapsed = run_codemill(docs, Path(workdir), args.tasks, args.workers)
        ours_times.append(elapsed)
        with tempfile.TemporaryDirectory() as workdir:  # the same stages on 20 documents: fixed cost
            fixed_times.append(run_codemill(docs[:20], Path(workdir), args.tasks, args.workers)[1])
        base, elapsed = run_datasketch(docs)
        base_times.append(elapsed)
    ours_s, base_s, fixed_s = (statistics.median(t) for t in (ours_times, base_times, fixed_times))
    marginal = (len(docs) - 20) / max(ours_s - fixed_s, 1e-9)
    result = {
        "documents": len(docs),
        "settings": {"threshold": THRESHOLD, "num_perm": NUM_PERM, "ngram": NGRAM, "tasks": args.tasks, "workers": args.workers},
        "codemill_minhash": score(ours, pairs, docs_shingles) | {
            "median_s": round(ours_s, 3), "docs_per_s": round(len(docs) / ours_s, 1),
            "fixed_stage_overhead_s": round(fixed_s, 3), "marginal_docs_per_s": round(marginal, 1)},
        "datasketch_baseline": score(base, pairs, docs_shingles) | {"median_s": round(base_s, 3), "docs_per_s": round(len(docs) / base_s, 1)},
        "speedup_end_to_end": round(base_s / ours_s, 2),
        "speedup_marginal": round(marginal / (len(docs) / base_s), 2),
        "decontamination": decontamination(clean, args.seed),
    }
    if args.throughput_docs:
        big = scaled_corpus(clean, args.throughput_docs, args.seed)
        with tempfile.TemporaryDirectory() as workdir:
            big_ours = run_codemill(big, Path(workdir), args.tasks, args.workers)[1]
        big_base = run_datasketch(big)[1]
        result["throughput_large"] = {"documents": len(big), "codemill_s": round(big_ours, 2), "datasketch_s": round(big_base, 2),
                                      "codemill_docs_per_s": round(len(big) / big_ours, 1),
                                      "datasketch_docs_per_s": round(len(big) / big_base, 1), "speedup": round(big_base / big_ours, 2)}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
