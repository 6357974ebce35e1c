"""The two datatrove steps `data build` runs after `format`: `synthesize` (teacher replies -> samples)
and `check_code` (their Python run in the sandbox). Both pass every other document through untouched."""

from __future__ import annotations

import contextlib

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.writers.jsonl import JsonlWriter

from codemill.datasets.filters import ExampleWriter
from codemill.datasets.synthesize.check import run_programs, sandbox_pool
from codemill.recipe.synthesize import SynthesizeConfig
from codemill.datasets.synthesize.parse import Rejected
from codemill.datasets.synthesize.synthesizer import PROGRAM_KEY, Synthesizer


class DropWriter(ExampleWriter):
    """An ExampleWriter with its own file name, so both steps keep examples in `drops/synthesize/`."""

    def __init__(self, folder: str, name: str, limit: int):
        JsonlWriter.__init__(self, folder, output_filename=f"${{rank}}-{name}.jsonl", compression=None)
        self.limit, self.written = limit, 0


class SynthesizeSamples(PipelineStep):
    """For each selected chunk: the chunk (when `keep_chunks`), then the samples the teacher made from it.

    Counters: chunks, requests, cache_hits, sent, made, and dropped_<reason> for unusable replies."""

    type = "codemill"
    name = "synthesize"

    def __init__(self, config: SynthesizeConfig, data_format: str, cache_dir: str, selected: list[str],
                 drops_folder: str, examples: int):
        super().__init__()
        self.config, self.data_format, self.cache_dir = config, data_format, cache_dir
        self.selected, self.drops_folder, self.examples = frozenset(selected), drops_folder, examples

    def _flush(self, synth: Synthesizer, chunks: list[Document], drops: DropWriter, rank: int):
        planned = [synth.plan(chunk) for chunk in chunks]
        flat = [p for group in planned for p in group]
        missing = len(synth.missing(flat))
        self.stat_update("requests", value=len(flat))
        self.stat_update("cache_hits", value=len(flat) - missing)
        before = synth.sent
        with self.track_time():
            synth.answer(flat)
        self.stat_update("sent", value=synth.sent - before)
        for chunk, group in zip(chunks, planned):
            if self.config.keep_chunks:
                yield chunk
            for p in group:
                try:
                    sample = synth.sample(p)
                except Rejected as rejected:
                    reason, detail = rejected.args[0], rejected.args[1] if len(rejected.args) > 1 else ""
                    self.stat_update(f"dropped_{reason}")
                    drops.write(synth.drop(p, reason, detail), rank)
                    continue
                self.stat_update("made")
                yield sample

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        synth = Synthesizer(self.config, self.data_format, self.cache_dir)
        batch_size = max(8, 4 * self.config.teacher.max_concurrency, self.config.teacher.batch_size)
        chunks: list[Document] = []
        try:
            with DropWriter(self.drops_folder, "teacher", self.examples) as drops:
                for doc in data:
                    if doc.id not in self.selected:
                        yield doc
                        continue
                    self.stat_update("chunks")
                    chunks.append(doc)
                    if len(chunks) >= batch_size:
                        yield from self._flush(synth, chunks, drops, rank)
                        chunks = []
                if chunks:
                    yield from self._flush(synth, chunks, drops, rank)
        finally:
            synth.close()


class CheckCode(PipelineStep):
    """Runs the Python of each synthetic sample in the sandbox; a sample whose code fails is dropped.

    Counters: checked, passed, no_code (nothing to run), and dropped_<reason> (tests_failed, code_error, timeout)."""

    type = "codemill"
    name = "check_code"

    def __init__(self, config: SynthesizeConfig, drops_folder: str, examples: int, batch_size: int = 64):
        super().__init__()
        self.check, self.drops_folder, self.examples, self.batch_size = config.check, drops_folder, examples, batch_size

    def _flush(self, stack: contextlib.ExitStack, pending: list[tuple[Document, str]], drops: DropWriter, rank: int):
        if self._pool is None:
            self._pool = stack.enter_context(sandbox_pool(self.check))
        verdicts = run_programs(self._pool, {doc.id: program for doc, program in pending}, self.check.timeout_s)
        for doc, program in pending:
            reason, error = verdicts[doc.id]
            self.stat_update("checked")
            if reason is None:
                self.stat_update("passed")
                doc.metadata["checked"] = "passed"
                yield doc
                continue
            self.stat_update(f"dropped_{reason}")
            meta = doc.metadata
            drops.write(Document(text=program[:4000], id=doc.id, metadata={
                "drop_reason": reason, "detail": error, "task": meta.get("task"), "chunk_id": meta.get("chunk_id"),
                "source": meta.get("source"), "license": meta.get("license"), "teacher": meta.get("teacher")}), rank)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        pending: list[tuple[Document, str]] = []
        self._pool = None  # started at the first program, so a shard without code costs no sandbox
        with contextlib.ExitStack() as stack, DropWriter(self.drops_folder, "check", self.examples) as drops:
            for doc in data:
                if doc.metadata.get("kind") != "synthetic":
                    yield doc
                    continue
                program = doc.metadata.pop(PROGRAM_KEY, None)
                if program is None or not self.check.enabled:
                    self.stat_update("no_code" if program is None else "unchecked")
                    doc.metadata["checked"] = "no_code" if program is None else "disabled"
                    yield doc
                    continue
                pending.append((doc, program))
                if len(pending) >= self.batch_size:
                    yield from self._flush(stack, pending, drops, rank)
                    pending = []
            if pending:
                yield from self._flush(stack, pending, drops, rank)
