"""From a chunk to teacher requests, from cached replies to grounded samples (or reasons to drop them)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from datatrove.data import Document

from codemill.datasets.format import set_turns
from codemill.datasets.synthesize.cache import ReplyCache, request_digest
from codemill.recipe.synthesize import SynthesizeConfig
from codemill.datasets.synthesize.parse import Rejected, code_blocks, parse_reply
from codemill.datasets.synthesize.prompts import SYSTEM_PROMPT, render, template_digest, template_for
from codemill.datasets.synthesize.teachers import Request, make_teacher, teacher_identity

_NON_COMMERCIAL = re.compile(r"\bNC\b|non[- ]?commercial", re.IGNORECASE)
_CHUNK_ONLY = ("turns", "chunk")  # chunk metadata not carried into what is made from it
PROGRAM_KEY = "check_program"  # carried from `synthesize` to `check_code`, then removed


def non_commercial(licence: str | None) -> bool:
    return bool(licence and _NON_COMMERCIAL.search(licence))


def chunk_text(doc: Document) -> str:
    """The chunk itself: a textbook chunk's body (not the templated user turn), or a thread's text."""
    if doc.metadata.get("kind") == "textbook":
        return doc.metadata["turns"][-1]["content"]
    return doc.text


@dataclass
class Planned:
    """One request to the teacher: which chunk, task and sample index, and how it was prompted."""

    chunk: Document
    task: str
    index: int
    request: Request
    template_digest: str
    code: str = ""
    code_language: str = ""

    @property
    def sample_id(self) -> str:
        return f"{self.chunk.id}~{self.task}-{self.index}"


@dataclass
class Synthesizer:
    """Plans requests for chunks, answers them from the cache or the teacher, and parses the replies."""

    config: SynthesizeConfig
    data_format: str
    cache_dir: str
    sent: int = 0
    cache: ReplyCache = field(init=False)

    def __post_init__(self):
        self.cache = ReplyCache(self.cache_dir)
        self.identity = teacher_identity(self.config.teacher)
        self.settings = self.config.teacher.settings()
        self.system = self.config.system_prompt or SYSTEM_PROMPT
        self._teacher = None
        self._errors: dict[str, dict] = {}  # requests the server rejected: dropped, never cached

    def _seed(self, chunk_id: str, task: str, index: int) -> int:
        key = f"{self.config.seed}:{chunk_id}:{task}:{index}".encode()
        return int(hashlib.sha256(key).hexdigest()[:8], 16)

    def plan(self, chunk: Document) -> list[Planned]:
        """Every request for `chunk`: `per_chunk` per task (explain_code only where the chunk has code)."""
        meta, text = chunk.metadata, chunk_text(chunk)
        title = str(meta.get("title") or meta.get("source") or "")
        heading = " > ".join(meta.get("heading_path") or []) or title
        blocks = [(lang, code) for lang, code in code_blocks(text) if code.strip()]
        planned = []
        for task in self.config.tasks:
            if task == "explain_code" and not blocks:
                continue
            template = template_for(task, self.config.templates)
            digest = template_digest(self.system, template)
            for index in range(self.config.per_chunk):
                lang, code = blocks[index % len(blocks)] if task == "explain_code" else ("", "")
                prompt = render(template, title=title, heading=heading, chunk=text.strip(), code=code.rstrip())
                messages = [{"role": "system", "content": self.system}, {"role": "user", "content": prompt}]
                seed = self._seed(chunk.id, task, index)
                request = Request(request_digest(messages, self.identity, self.settings, seed), messages, seed)
                planned.append(Planned(chunk, task, index, request, digest, code, lang))
        return planned

    def missing(self, planned: list[Planned]) -> list[Planned]:
        return [p for p in planned if p.request.digest not in self.cache]

    def teacher(self):
        if self._teacher is None:
            self._teacher = make_teacher(self.config.teacher)
        return self._teacher

    def answer(self, planned: list[Planned], on_reply=None) -> None:
        """Ask the teacher for every uncached request; each reply is stored before anything else happens."""
        todo = {p.request.digest: p.request for p in self.missing(planned)}
        if not todo:
            return

        def store(request: Request, reply: dict) -> None:
            self.sent += 1
            if "error" not in reply:
                self.cache.put(request.digest, reply)
            else:
                self._errors[request.digest] = reply
            if on_reply is not None:
                on_reply(request, reply)

        self.teacher().complete(list(todo.values()), store)

    def reply(self, planned: Planned) -> dict:
        return self.cache.get(planned.request.digest) or self._errors.get(planned.request.digest) or {"error": "no_reply"}

    def sample(self, planned: Planned) -> Document:
        """The grounded sample made from a reply; raises Rejected(reason, detail)."""
        reply = self.reply(planned)
        if "error" in reply:
            reason, _, detail = reply["error"].partition(": ")
            raise Rejected(reason, detail)
        if reply.get("finish_reason") == "content_filter":
            raise Rejected("refusal", "the server's content filter stopped the reply")
        parsed = parse_reply(planned.task, reply.get("text") or "", reply.get("finish_reason") != "length",
                             planned.code, planned.code_language)
        meta = {k: v for k, v in planned.chunk.metadata.items() if k not in _CHUNK_ONLY}
        meta.update(kind="synthetic", task=planned.task, chunk_id=planned.chunk.id, sample_index=planned.index,
                    teacher=reply.get("teacher") or self.identity, template_digest=planned.template_digest,
                    seed=planned.request.seed, request_digest=planned.request.digest,
                    non_commercial=non_commercial(meta.get("license")), has_tests=parsed.has_tests)
        meta[PROGRAM_KEY] = parsed.program
        sample = Document(text="", id=planned.sample_id, metadata=meta)
        if self.data_format == "chat":
            set_turns(sample, [{"role": "user", "content": parsed.user}, {"role": "assistant", "content": parsed.assistant}])
        else:
            set_turns(sample, [{"role": "text", "content": f"{parsed.user}\n\n{parsed.assistant}"}])
        return sample

    def drop(self, planned: Planned, reason: str, detail: str) -> Document:
        """What `drops/synthesize.jsonl` keeps of a reply that was not used."""
        reply, meta = self.reply(planned), planned.chunk.metadata
        return Document(text=(reply.get("text") or "")[:2000], id=planned.sample_id, metadata={
            "drop_reason": reason, "detail": detail, "task": planned.task, "chunk_id": planned.chunk.id,
            "source": meta.get("source"), "license": meta.get("license"), "teacher": reply.get("teacher") or self.identity})

    def close(self) -> None:
        self.cache.close()

