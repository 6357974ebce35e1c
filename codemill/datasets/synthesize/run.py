"""Before the build: which chunks to use, and whether the teacher is needed at all (then check it first).
Also `codemill data synthesize RECIPE`: the same work alone, with progress, into `<run_dir>/synthesize/`."""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from datatrove.data import Document

from codemill.common.atomic import atomic_write_json, atomic_write_text
from codemill.common.progress import progress
from codemill.recipe.base import RecipeError
from codemill.datasets.format import FormatSamples
from codemill.datasets.normalize import Normalize
from codemill.datasets.read import SourceReader, list_inputs
from codemill.datasets.synthesize.check import run_programs, sandbox_pool
from codemill.datasets.synthesize.parse import Rejected
from codemill.datasets.synthesize.synthesizer import PROGRAM_KEY, Planned, Synthesizer
from codemill.datasets.synthesize.teachers import TeacherError


def synthesis_sources(recipe) -> list[str]:
    """`data.synthesize.sources`, checked against the recipe; default: every pdf source."""
    config, names = recipe.data.synthesize, [source.name for source in recipe.sources]
    if config.sources is None:
        chosen = [source.name for source in recipe.sources if source.type == "pdf"]
        if not chosen:
            raise RecipeError("data.synthesize.sources: the recipe has no pdf source; name the sources to draw chunks from")
        return chosen
    for name in config.sources:
        if name not in names:
            raise RecipeError(f"data.synthesize.sources: unknown source {name!r}; the recipe's sources are {', '.join(names) or 'none'}")
    return list(config.sources)


def select_chunks(recipe) -> list[Document]:
    """The chunks `format` makes from the chosen sources (the build's own steps), then a seeded `max_chunks` sample."""
    data, chosen = recipe.data, set(synthesis_sources(recipe))
    inputs = [item for item in list_inputs(recipe) if item.source in chosen]
    with tempfile.TemporaryDirectory() as malformed:
        docs = SourceReader(inputs, malformed).run(None)
        docs = Normalize().run(docs)
        chunks = list(FormatSamples(data.format, data.textbook_prompt, data.max_chunk_tokens, data.min_chunk_tokens,
                                    data.tokenizer).run(docs))
    limit = data.synthesize.max_chunks
    if limit is None or limit >= len(chunks):
        return chunks
    seed = data.synthesize.seed
    ranked = sorted(chunks, key=lambda doc: hashlib.sha256(f"{seed}:{doc.id}".encode()).hexdigest())
    keep = {doc.id for doc in ranked[:limit]}
    return [doc for doc in chunks if doc.id in keep]


@dataclass
class Prepared:
    chunks: list[Document]
    synth: Synthesizer
    planned: list[Planned]
    missing: list[Planned]
    warnings: list[str]


def prepare(recipe) -> Prepared:
    """Select chunks and plan requests; when some are not cached yet, check the teacher and the sandbox now.

    A fully cached rerun needs neither the teacher nor its key. Problems raise RecipeError naming the key."""
    config = recipe.data.synthesize
    chunks = select_chunks(recipe)
    synth = Synthesizer(config, recipe.data.format, str(recipe.layout.synthesize_cache))
    planned = [p for chunk in chunks for p in synth.plan(chunk)]
    missing = synth.missing(planned)
    warnings: list[str] = []
    try:
        if missing:
            warnings += synth.teacher().preflight()
        if config.check.enabled:
            with sandbox_pool(config.check.model_copy(update={"workers": 1})):
                pass  # the sandbox works here: checked now rather than after the teacher's work
    except TeacherError as error:
        synth.close()
        raise RecipeError(str(error)) from None
    return Prepared(chunks, synth, planned, missing, warnings)


def _record(doc: Document, data_format: str) -> dict:
    meta = {k: v for k, v in doc.metadata.items() if k != "turns"}
    record = {"id": doc.id, "source": meta.get("source"), "group": meta.get("group"), "metadata": meta}
    turns = doc.metadata["turns"]
    if data_format == "chat":
        record["messages"] = [{"role": t["role"], "content": t["content"]} for t in turns]
    else:
        record["text"] = doc.text
    return record


def _drop_line(doc: Document) -> str:
    return json.dumps({"id": doc.id, "text": doc.text, "metadata": doc.metadata}, ensure_ascii=False, default=str) + "\n"


def synthesize(recipe, say=print) -> dict:
    """Make, check and write the synthetic samples alone; returns the summary (also in summary.json)."""
    config, data_format = recipe.data.synthesize, recipe.data.format
    prepared = prepare(recipe)
    synth, planned = prepared.synth, prepared.planned
    for warning in prepared.warnings:
        say(f"warning: {warning}")
    say(f"synthesize: {len(prepared.chunks)} chunks, {len(planned)} requests, {len(planned) - len(prepared.missing)} cached")
    try:
        with progress("synthesize: teacher requests", total=len(prepared.missing)) as bar:
            synth.answer(planned, on_reply=lambda request, reply: bar.advance())
    except TeacherError as error:
        raise RecipeError(str(error)) from None
    finally:
        synth.close()
    counts: Counter = Counter(requests=len(planned), cache_hits=len(planned) - len(prepared.missing), sent=synth.sent,
                              made=0, checked=0, passed=0)
    samples, drops = [], []
    for p in planned:
        try:
            samples.append(synth.sample(p))
            counts["made"] += 1
        except Rejected as rejected:
            reason = rejected.args[0]
            counts[f"dropped_{reason}"] += 1
            drops.append(synth.drop(p, reason, rejected.args[1] if len(rejected.args) > 1 else ""))
    programs = {s.id: s.metadata.pop(PROGRAM_KEY) for s in samples if s.metadata.get(PROGRAM_KEY)}
    for sample in samples:
        sample.metadata.pop(PROGRAM_KEY, None)
        sample.metadata["checked"] = "no_code" if sample.id not in programs else "disabled"
    verdicts = {}
    if config.check.enabled and programs:
        say(f"synthesize: running the code of {len(programs)} samples in the sandbox")
        with sandbox_pool(config.check) as pool:
            verdicts = run_programs(pool, programs, config.check.timeout_s)
    kept = []
    for sample in samples:
        if sample.id not in verdicts:
            counts["no_code" if sample.id not in programs else "unchecked"] += 1
            kept.append(sample)
            continue
        reason, error = verdicts[sample.id]
        counts["checked"] += 1
        if reason is None:
            counts["passed"] += 1
            sample.metadata["checked"] = "passed"
            kept.append(sample)
        else:
            counts[f"dropped_{reason}"] += 1
            meta = sample.metadata
            drops.append(Document(text=programs[sample.id][:4000], id=sample.id, metadata={
                "drop_reason": reason, "detail": error, "task": meta["task"], "chunk_id": meta["chunk_id"],
                "source": meta.get("source"), "license": meta.get("license"), "teacher": meta["teacher"]}))
    out = recipe.layout.synthesize
    atomic_write_text(out / "samples.jsonl", "".join(json.dumps(_record(s, data_format), ensure_ascii=False, default=str) + "\n" for s in kept))
    atomic_write_text(out / "drops.jsonl", "".join(_drop_line(d) for d in drops))
    licences = Counter(str(s.metadata.get("license") or "not stated") for s in kept)
    summary = {"chunks": len(prepared.chunks), **dict(counts), "kept": len(kept), "licenses": dict(licences),
               "non_commercial": sum(bool(s.metadata.get("non_commercial")) for s in kept),
               "teacher": synth.identity, "tasks": list(config.tasks), "per_chunk": config.per_chunk, "seed": config.seed}
    atomic_write_json(out / "summary.json", summary)
    return summary


def synthesis_steps(recipe, drops_folder: str) -> list:
    """The `synthesize` and `check_code` steps `data build` puts after `format` (none without `data.synthesize`).

    Runs `prepare` first, so a bad teacher stops the build before any stage starts."""
    from codemill.common.console import console
    from codemill.datasets.synthesize.steps import CheckCode, SynthesizeSamples

    config = recipe.data.synthesize
    if config is None:
        return []
    prepared = prepare(recipe)
    prepared.synth.close()
    for warning in prepared.warnings:
        console.print(f"warning: {warning}", markup=False)
    examples = recipe.data.filters.examples_kept
    chunk_ids = [chunk.id for chunk in prepared.chunks]
    return [SynthesizeSamples(config, recipe.data.format, str(recipe.layout.synthesize_cache), chunk_ids, drops_folder, examples),
            CheckCode(config, drops_folder, examples)]
