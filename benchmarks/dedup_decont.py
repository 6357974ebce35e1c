"""Near-dedup and decontamination, measured on real documents from ../shared/data in one run.

Near-dedup: clean documents (py4e chapter chunks + Cardano StackExchange posts) plus planted
near-duplicates made by editing real documents to a measured word-5-gram Jaccard in 0.7-0.95.
codemill's near-dedup stages on datatrove's local executor against a datasketch MinHashLSH
baseline (same shingles, 128 permutations available, threshold 0.8, streaming query-then-insert).
Decontamination: every HumanEval/MBPP prompt and solution planted into a clean document (recall),
and the share of clean documents flagged (false positives).

    .venv/bin/python benchmarks/dedup_decont.py [--planted 300] [--repeats 3] [--tasks 2] [--workers 1]
                                                [--throughput-docs 20000]

Timings are medians over the repeats, wall and CPU (this process and its reaped children: exact
with `--workers 1`, an undercount with a process pool), with the baseline measured in the same repeats. "standalone": all three stages end to end (signatures
reading the shards, clusters, filter + writing the kept shards). "in_build": as `data build` runs
them, where signing rides along the stage that writes the shards (its cost measured as that stage
with signing minus without), then clusters and filter. datasketch only computes which documents to
drop, in memory. The stages' fixed cost (executor start, per-task logging) is measured on 20
documents and reported apart, with the marginal throughput beyond it.
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import resource
import statistics
import tempfile
import time
from functools import lru_cache
from pathlib import Path

from datasketch import MinHash, MinHashLSH
from datatrove.executor.local import LocalPipelineExecutor
from lxml import etree

from codemill.datasets.benchmarks import load_benchmarks
from codemill.datasets.chunk import chunk_markdown
from codemill.recipe.data import DecontConfig, DedupConfig
from codemill.datasets.decontaminate import BenchmarkIndex
from codemill.datasets.dedup import minhash_settings
from codemill.datasets.minhash import MinHasher, band_edges, duplicates_to_remove
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


def cpu_seconds() -> float:
    """User + system CPU of this process and its finished children (the executor's worker processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(run, *args):
    """(result, wall seconds, CPU seconds) of `run(*args)`."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    result = run(*args)
    return result, time.perf_counter() - wall, cpu_seconds() - cpu


def write_shards(docs: list[str], folder: str, tasks: int) -> None:
    from datatrove.data import Document

    writer = shard_writer(folder)
    for rank in range(tasks):
        with writer:
            list(writer.run((Document(text=d, id=str(i)) for i, d in enumerate(docs) if i % tasks == rank), rank=rank))


def run_stage(pipeline: list, tasks: int, workers: int, logs: str) -> None:
    LocalPipelineExecutor(pipeline, tasks=tasks, workers=min(workers, tasks), logging_dir=logs).run()


def run_codemill(docs: list[str], workdir: Path, tasks: int, workers: int = 1) -> tuple[set[int], dict[str, tuple[float, float]]]:
    """codemill's near-dedup stages over `tasks` shards: the removed indices and each stage's (wall, CPU) seconds.

    Here the signatures get a stage of their own that reads the shards; in `data build` they ride
    along the stage that writes the shards (see `inline_signing`)."""
    prepared = str(workdir / "prepared")
    write_shards(docs, prepared, tasks)
    settings = minhash_settings(DedupConfig(threshold=THRESHOLD, num_perm=NUM_PERM, ngram_size=NGRAM))
    folder = lambda name: str(workdir / name)  # noqa: E731
    stages = {
        "signatures": ([ShardReader(prepared), NearDedupSignatures(folder("sigs"), settings)], tasks),
        "clusters": ([NearDedupClusters(folder("sigs"), folder("remove"), settings, tasks)], 1),
        "filter": ([ShardReader(prepared), near_dedup_filter(folder("remove")), shard_writer(folder("kept"))], tasks),
    }
    times = {name: timed(run_stage, pipeline, count, workers, folder(f"logs-{name}"))[1:] for name, (pipeline, count) in stages.items()}
    kept = set()
    for path in Path(folder("kept")).glob("*.jsonl"):
        with open(path) as handle:
            kept |= {int(json.loads(line)["id"]) for line in handle}
    return set(range(len(docs))) - kept, times


def inline_signing(docs: list[str], workdir: Path, tasks: int, workers: int = 1) -> tuple[float, float]:
    """What signing adds to a stage that reads and writes the shards anyway, as in `data build`:
    (wall, CPU) of read + write + sign minus read + write."""
    prepared = str(workdir / "prepared")
    write_shards(docs, prepared, tasks)
    settings = minhash_settings(DedupConfig(threshold=THRESHOLD, num_perm=NUM_PERM, ngram_size=NGRAM))
    plain = [ShardReader(prepared), shard_writer(str(workdir / "plain"))]
    signing = [ShardReader(prepared), shard_writer(str(workdir / "signed")), NearDedupSignatures(str(workdir / "sigs"), settings)]
    _, plain_wall, plain_cpu = timed(run_stage, plain, tasks, workers, str(workdir / "logs-plain"))
    _, wall, cpu = timed(run_stage, signing, tasks, workers, str(workdir / "logs-signing"))
    return wall - plain_wall, cpu - plain_cpu


def run_datasketch(docs: list[str]) -> set[int]:
    """The usual datasketch loop: MinHash per document, query the LSH, insert when no match."""
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    removed = set()
    for index, doc in enumerate(docs):
        signature = MinHash(num_perm=NUM_PERM)
        signature.update_batch([s.encode() for s in shingles(doc)])
        if lsh.query(signature):
            removed.add(index)
        else:
            lsh.insert(str(index), signature)
    return removed


def partner_check(pairs, docs_shingles):
    """`has_partner(index)`: a removal is right when the document has a partner with Jaccard >= 0.7."""
    planted = {i for p in pairs for i in p[:2]}

    @lru_cache(maxsize=None)
    def has_partner(index: int) -> bool:
        return index in planted or any(
            j != index and jaccard(docs_shingles[index], docs_shingles[j]) >= 0.7 for j in range(len(docs_shingles)))

    return has_partner


def score(removed: set[int], pairs, has_partner) -> dict:
    """Recall per planted-Jaccard band; precision = removed docs having a >= 0.7 Jaccard partner."""
    bands = {"0.70-0.80": (0.7, 0.8), "0.80-0.90": (0.8, 0.9), "0.90-0.95": (0.9, 1.0), ">=0.80": (0.8, 1.0)}
    recall = {}
    for name, (low, high) in bands.items():
        chosen = [p for p in pairs if low <= p[2] < high]
        caught = sum(p[0] in removed or p[1] in removed for p in chosen)
        recall[name] = round(caught / len(chosen), 4) if chosen else None
    correct = sum(map(has_partner, removed))
    return {"recall": recall, "precision": round(correct / len(removed), 4) if removed else None, "removed": len(removed)}


def quality_over_seeds(docs: list[str], pairs, has_partner, seeds: int) -> dict:
    """The same signatures and clusters, in-process, for hash seeds 1..seeds: how much quality varies by the draw."""
    found = []
    for seed in range(1, seeds + 1):
        settings = minhash_settings(DedupConfig(threshold=THRESHOLD, num_perm=NUM_PERM, ngram_size=NGRAM, seed=seed))
        signatures, positions = MinHasher(settings).signatures(docs)
        rows = settings.rows
        edges = [band_edges(signatures[b * rows : (b + 1) * rows]) for b in range(settings.bands)]
        removed = set(positions[duplicates_to_remove(edges, len(positions))].tolist())
        result = score(removed, pairs, has_partner)
        found.append((result["recall"][">=0.80"], result["precision"]))
    recalls, precisions = zip(*found)
    return {"seeds": seeds, "recall_at_0.80": {"min": min(recalls), "mean": round(statistics.mean(recalls), 4)},
            "precision": {"min": min(precisions), "mean": round(statistics.mean(precisions), 4)}}


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


def total(stage_times: dict[str, tuple[float, float]], stages=("signatures", "clusters", "filter")) -> tuple[float, float]:
    return sum(stage_times[name][0] for name in stages), sum(stage_times[name][1] for name in stages)


def medians(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def measure(docs: list[str], args, fixed_cost: bool = False) -> dict:
    """Median (wall, CPU) seconds over the repeats: codemill standalone and as in a build, datasketch,
    and with `fixed_cost` the standalone stages on 20 documents."""
    runs = {"standalone": [], "in_build": [], "datasketch": [], "stages": [], "fixed": []}
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as workdir:
            ours, stage_times = run_codemill(docs, Path(workdir), args.tasks, args.workers)
        if fixed_cost:
            with tempfile.TemporaryDirectory() as workdir:
                runs["fixed"].append(total(run_codemill(docs[:20], Path(workdir), args.tasks, args.workers)[1]))
        with tempfile.TemporaryDirectory() as workdir:
            signing = inline_signing(docs, Path(workdir), args.tasks, args.workers)
        base, wall, cpu = timed(run_datasketch, docs)
        runs["standalone"].append(total(stage_times))
        runs["in_build"].append(tuple(a + b for a, b in zip(signing, total(stage_times, ("clusters", "filter")))))
        runs["datasketch"].append((wall, cpu))
        runs["stages"].append(stage_times)
    result = {name: medians(runs[name]) for name in ("standalone", "in_build", "datasketch", "fixed") if runs[name]}
    result["stages_wall_s"] = {name: round(statistics.median(r[name][0] for r in runs["stages"]), 3) for name in runs["stages"][0]}
    return result | {"removed": ours, "datasketch_removed": base}


def timing_report(measured: dict, documents: int) -> dict:
    base_wall, base_cpu = measured["datasketch"]
    report = {}
    for name in ("standalone", "in_build", "datasketch"):
        wall, cpu = measured[name]
        report[name] = {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3), "docs_per_s": round(documents / wall, 1)}
        if name != "datasketch":
            report[name] |= {"speedup_wall": round(base_wall / wall, 2), "speedup_cpu": round(base_cpu / cpu, 2)}
    return report | {"codemill_stages_wall_s": measured["stages_wall_s"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--planted", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tasks", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quality-seeds", type=int, default=20, help="hash seeds for the recall/precision spread")
    parser.add_argument("--throughput-docs", type=int, default=0, help="also time both on this many joined documents")
    args = parser.parse_args()

    clean = load_clean_documents()
    docs, pairs = build_corpus(clean, args.planted, args.seed)
    has_partner = partner_check(pairs, [shingles(d) for d in docs])
    print(f"corpus: {len(clean)} clean documents + {len(pairs)} planted near-duplicates "
          f"(Jaccard {min(p[2] for p in pairs):.2f}-{max(p[2] for p in pairs):.2f})")

    measured = measure(docs, args, fixed_cost=True)
    fixed_wall = measured["fixed"][0]
    marginal = (len(docs) - 20) / max(measured["standalone"][0] - fixed_wall, 1e-9)
    result = {
        "documents": len(docs),
        "settings": {"threshold": THRESHOLD, "num_perm": NUM_PERM, "ngram": NGRAM, "tasks": args.tasks,
                     "workers": args.workers, "repeats": args.repeats},
        "codemill_minhash": score(measured["removed"], pairs, has_partner),
        "codemill_quality_over_seeds": quality_over_seeds(docs, pairs, has_partner, args.quality_seeds),
        "datasketch_baseline": score(measured["datasketch_removed"], pairs, has_partner),
        "timing": timing_report(measured, len(docs)) | {
            "fixed_stage_overhead_s": round(fixed_wall, 3), "marginal_docs_per_s": round(marginal, 1),
            "speedup_marginal_wall": round(marginal / (len(docs) / measured["datasketch"][0]), 2)},
        "decontamination": decontamination(clean, args.seed),
    }
    if args.throughput_docs:
        big = scaled_corpus(clean, args.throughput_docs, args.seed)
        result["throughput_large"] = {"documents": len(big)} | timing_report(measure(big, args), len(big))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
