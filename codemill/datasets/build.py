"""`build_dataset(recipe)`: the curation pipeline as a chain of datatrove stages.

prepare (read -> normalise -> format -> filters -> redact -> decontaminate -> shards)
-> exact dedup (signatures, find, filter) -> MinHash near-dedup (signatures while the previous stage writes, clusters, filter)
-> finalize (split, mix, parquet, stats, card). Each stage's tasks leave datatrove completion markers,
so a rerun after a kill skips finished tasks; an unfinished task rewrites its own shard from scratch.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml
from datatrove.pipeline.dedup.exact_dedup import ExactDedupFilter, ExactDedupSignature, ExactFindDedups

from codemill import __version__
from codemill.common.atomic import atomic_write_text
from codemill.common.digest import fingerprint
from codemill.common.progress import progress
from codemill.datasets.benchmarks import load_benchmark_sets
from codemill.datasets.decontaminate import BenchmarkIndex, Decontaminate
from codemill.datasets.dedup import exact_config, minhash_settings
from codemill.common.executors import connect_ray, make_executor, run_to_completion
from codemill.datasets.filters import ExampleWriter, quality_filters
from codemill.datasets.finalize import finalize_stages
from codemill.datasets.format import FormatSamples
from codemill.datasets.near_dedup import NearDedupClusters, NearDedupSignatures, near_dedup_filter
from codemill.datasets.normalize import Normalize
from codemill.datasets.plan import BuildPlan
from codemill.datasets.read import SourceReader, list_inputs
from codemill.datasets.redact import Redact
from codemill.datasets.shards import ShardReader, shard_writer
from codemill.datasets.synthesize.run import synthesis_steps


def _plan(recipe) -> BuildPlan:
    sources = [{"name": s.name, "type": s.type, "weight": s.weight, "license": s.license, "attribution": s.attribution,
                "extracted": str(recipe.layout.extracted(s))} for s in recipe.sources]
    resolved = recipe.model_dump(mode="json", include={"name", "sources", "data"})
    return BuildPlan(run_dir=str(recipe.run_dir), data=recipe.data.model_dump(mode="json"), sources=sources,
                     recipe_yaml=yaml.safe_dump(resolved, sort_keys=False))


def _fingerprint(plan: BuildPlan, inputs) -> str:
    """Changes when the settings, any input file or the codemill version change; stale work is then discarded."""
    files = [(item.path, Path(item.path).stat().st_size, Path(item.path).stat().st_mtime_ns) for item in inputs]
    settings = {"codemill": __version__, "data": plan.data, "sources": plan.sources, "files": files}
    return fingerprint(settings)


def _reset_stale_work(plan: BuildPlan, fingerprint: str) -> None:
    marker = plan.work_dir / "fingerprint.txt"
    if marker.exists() and marker.read_text().strip() == fingerprint:
        return
    shutil.rmtree(plan.work_dir, ignore_errors=True)
    atomic_write_text(marker, fingerprint + "\n")


def _prepare_pipeline(recipe, plan: BuildPlan, inputs) -> list:
    """read -> normalize -> format -> filters -> redact -> decontaminate -> `prepared/` shards."""
    data = recipe.data
    steps = [
        SourceReader(inputs, plan.folder("malformed"), data.filters.pdf_page_warnings),
        Normalize(),
        FormatSamples(data.format, data.textbook_prompt, data.max_chunk_tokens, data.min_chunk_tokens, data.tokenizer),
        *synthesis_steps(recipe, plan.folder("drops/synthesize")),
        *quality_filters(data.filters, plan.folder("drops")),
    ]
    if data.redact.enabled:
        steps.append(Redact(data.redact.emails, data.redact.ip_addresses, data.redact.secrets))
    if data.decontamination.enabled:
        d = data.decontamination
        benchmarks = load_benchmark_sets(d)
        plan.benchmark_sources = {benchmark.name: benchmark.source for benchmark in benchmarks}
        problems = [problem for benchmark in benchmarks for problem in benchmark.problems]
        index = BenchmarkIndex.build(problems, d.ngram_size, d.min_signature_chars, d.min_docstring_chars)
        examples = ExampleWriter(plan.folder("drops/decontaminate"), data.filters.examples_kept)
        steps.append(Decontaminate(index, plan.folder("decont"), examples))
    return steps + [shard_writer(plan.folder("prepared"))]


def _exact_stages(plan: BuildPlan, source: str, tasks: int, examples: int) -> list[tuple[str, list, int]]:
    """datatrove's exact dedup: hash every sample, find repeated hashes, drop all but the first."""
    config, sigs, dups = exact_config(), plan.folder("exact/sigs"), plan.folder("exact/dups")
    dropped = ExampleWriter(plan.folder("drops/exact_dedup"), examples)
    return [
        ("exact_signatures", [ShardReader(source), ExactDedupSignature(sigs, config)], tasks),
        ("exact_find", [ExactFindDedups(sigs, dups, config)], 1),
        ("exact_filter", [ShardReader(source), ExactDedupFilter(dups, config, dropped), shard_writer(plan.folder("exact_deduped"))], tasks),
    ]


def _near_stages(plan: BuildPlan, dedup, source: str, tasks: int, examples: int) -> list[tuple[str, list, int]]:
    """MinHash near-dedup: LSH clusters from the signatures (one task), then the filter.

    The signatures are computed by the stage that writes `source` (see `_stages`)."""
    settings = minhash_settings(dedup)
    sigs, remove = plan.folder("minhash/sigs"), plan.folder("minhash/remove")
    dropped = ExampleWriter(plan.folder("drops/near_dedup"), examples)
    return [
        ("minhash_clusters", [NearDedupClusters(sigs, remove, settings, tasks)], 1),
        ("minhash_filter", [ShardReader(source), near_dedup_filter(remove, dropped), shard_writer(plan.folder("deduped"))], tasks),
    ]


def _stages(recipe, plan: BuildPlan, inputs) -> list[tuple[str, list, int]]:
    """(name, pipeline, tasks) for every stage, in run order."""
    data, tasks = recipe.data, recipe.data.task_count
    examples = data.filters.examples_kept
    stages = [("prepare", _prepare_pipeline(recipe, plan, inputs), tasks)]
    current = plan.folder("prepared")
    if data.dedup.exact:
        stages += _exact_stages(plan, current, tasks, examples)
        current = plan.folder("exact_deduped")
    if data.dedup.near:
        signer = NearDedupSignatures(plan.folder("minhash/sigs"), minhash_settings(data.dedup))
        stages[-1][1].append(signer)  # signs the documents while the previous stage writes them: no extra read
        stages += _near_stages(plan, data.dedup, current, tasks, examples)
        current = plan.folder("deduped")
    stages += finalize_stages(plan, current, tasks)
    plan.stages = [name for name, _, _ in stages]
    return stages


class EmptyDatasetError(ValueError):
    """Curation left nothing to train on; the message says which steps dropped what."""


def check_not_empty(recipe, dataset_dir: Path) -> None:
    """Stop here, not in finetune, when no training record is left (the dataset stays for inspection)."""
    stats = json.loads((dataset_dir / "stats.json").read_text(encoding="utf-8"))
    if stats.get("records", {}).get("train", 0) > 0:
        return
    if not recipe.sources:
        raise EmptyDatasetError("data build: the recipe lists no sources, so the dataset is empty; add a `sources:` entry")
    counts = []
    for name, entry in stats.get("steps", {}).items():
        if entry.get("dropped"):
            reasons = ", ".join(f"{reason} {count}" for reason, count in (entry.get("reasons") or {}).items())
            counts.append(f"{name} dropped {entry['dropped']} of {entry.get('in', '?')}" + (f" ({reasons})" if reasons else ""))
    read = stats.get("steps", {}).get("read", {})
    if not counts and not read.get("documents"):
        counts.append(f"no document was read from the sources ({read.get('malformed', 0)} malformed)")
    validation = stats["records"].get("validation", 0)
    if validation:
        counts.append(f"the {validation} records left all went to validation (data.validation_fraction)")
    raise EmptyDatasetError(f"data build: no training records are left: {'; '.join(counts) or 'every step emptied'}; "
                            f"loosen the data.filters keys that dropped them, or add sources (details: {dataset_dir}/stats.json, "
                            f"{dataset_dir}/drops/)")


def build_dataset(recipe, *, force: bool = False) -> Path:
    """Curate the recipe's extracted sources into `<run_dir>/dataset/`; rerunning resumes unfinished work,
    unless `force`, which discards the earlier build's state first.

    Local and Ray: stages run one after another from here, with a progress bar, each checked complete
    before the next starts. Slurm: the stages are submitted as a chain of dependent job arrays and this
    returns once they are queued (the dataset appears when the last job ends)."""
    plan = _plan(recipe)
    if force:
        shutil.rmtree(plan.work_dir, ignore_errors=True)
    inputs = list_inputs(recipe)
    _reset_stale_work(plan, _fingerprint(plan, inputs))
    stages = _stages(recipe, plan, inputs)
    shutil.rmtree(Path(plan.logs("finalize")) / "completions", ignore_errors=True)  # always rewrite the dataset
    if recipe.data.executor == "slurm":
        executor = None
        for name, pipeline, tasks in stages:
            executor = make_executor(recipe.data, pipeline, tasks, plan.logs(name), depends=executor, job_name=f"codemill-{name}")
        executor.run()
        return plan.dataset_dir
    if recipe.data.executor == "ray":
        connect_ray(recipe.data.ray)
    with progress("data build: stages", total=len(stages)) as bar:
        for name, pipeline, tasks in stages:
            run_to_completion(make_executor(recipe.data, pipeline, tasks, plan.logs(name)), name)
            bar.advance()
    check_not_empty(recipe, plan.dataset_dir)
    return plan.dataset_dir
