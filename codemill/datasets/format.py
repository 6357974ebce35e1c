"""Turn read documents into training samples: textbook chunks and StackExchange question -> answer."""

from __future__ import annotations

from typing import Iterator

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.logging import logger

from codemill.datasets.chunk import chunk_markdown
from codemill.datasets.tokens import token_counter

# Thread keys that only the formatter needs; they are not carried into the dataset's metadata.
_THREAD_ONLY = ("answers", "question_author")


def set_turns(doc: Document, turns: list[dict]) -> None:
    """Store the sample's turns and keep `doc.text` (what filters, dedup and decontamination see) in step."""
    doc.metadata["turns"] = turns
    doc.text = "\n\n".join(turn["content"] for turn in turns)


def best_answer(answers: list[dict]) -> dict | None:
    """The accepted answer, else the highest-scored one."""
    if not answers:
        return None
    return max(answers, key=lambda a: (bool(a.get("accepted")), a.get("score") or 0))


def _author_name(author) -> str | None:
    return author.get("name") if isinstance(author, dict) else None


class FormatSamples(PipelineStep):
    """Textbook documents become heading-scoped chunks; threads become one question -> answer sample."""

    type = "codemill"
    name = "format"

    def __init__(self, data_format: str, textbook_prompt: str, max_tokens: int, min_tokens: int, tokenizer: str | None):
        super().__init__()
        self.data_format, self.textbook_prompt = data_format, textbook_prompt
        self.max_tokens, self.min_tokens, self.tokenizer = max_tokens, min_tokens, tokenizer
        self._count = None

    def _chunks(self, doc: Document) -> Iterator[Document]:
        for index, chunk in enumerate(chunk_markdown(doc.text, self.max_tokens, self.min_tokens, self._count)):
            metadata = dict(doc.metadata, heading_path=chunk.heading_path, chunk=index)
            sample = Document(text="", id=f"{doc.id}#{index:04d}", metadata=metadata)
            heading = " > ".join(chunk.heading_path) or metadata["title"]
            if self.data_format == "chat":
                prompt = self.textbook_prompt.format(title=metadata["title"], heading=heading)
                set_turns(sample, [{"role": "user", "content": prompt}, {"role": "assistant", "content": chunk.text}])
            else:
                set_turns(sample, [{"role": "text", "content": chunk.text}])
            yield sample

    def _thread(self, doc: Document) -> Document | None:
        answer = best_answer(doc.metadata["answers"])
        if answer is None:
            return None
        metadata = {k: v for k, v in doc.metadata.items() if k not in _THREAD_ONLY}
        metadata.update(
            answer_id=answer.get("id"), answer_score=answer.get("score") or 0, accepted=bool(answer.get("accepted")),
            authors=[name for name in (_author_name(doc.metadata.get("question_author")), _author_name(answer.get("author"))) if name],
        )
        question = f"{metadata['title']}\n\n{doc.text}".strip()
        sample = Document(text="", id=doc.id, metadata=metadata)
        if self.data_format == "chat":
            set_turns(sample, [{"role": "user", "content": question}, {"role": "assistant", "content": answer["markdown"]}])
        else:
            text = f"# {metadata['title']}\n\n{doc.text.strip()}\n\n## Answer\n\n{answer['markdown'].strip()}\n"
            set_turns(sample, [{"role": "text", "content": text}])
        return sample

    def _samples(self, doc: Document) -> list[Document]:
        if doc.metadata["kind"] == "textbook":
            return list(self._chunks(doc))
        sample = self._thread(doc)
        if sample is None:
            self.stat_update("dropped_no_answer")
        return [sample] if sample else []

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        self._count = token_counter(self.tokenizer)
        for doc in data:
            with self.track_time():
                try:
                    samples = self._samples(doc)
                except (KeyError, TypeError, ValueError, AttributeError) as error:  # e.g. a score that is not a number
                    logger.warning(f"format: skipping {doc.id}: {error!r}")
                    self.stat_update("dropped_bad_record")
                    samples = []
            for sample in samples:
                self.stat_update("samples")
                yield sample
