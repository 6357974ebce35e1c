"""Build thread records (schema in docs/stackexchange.md) from spilled rows and write one shard of them."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from codemill.common.atomic import atomic_open
from codemill.extract.stackexchange import languages, licenses, spill
from codemill.recipe.stackexchange import StackExchangeOptions
from codemill.extract.stackexchange.html_markdown import html_to_markdown
from codemill.extract.stackexchange.summary import SkipLog

# Column positions in spill.read_shard rows (the table's columns, then the joined user name).
Q_ID, Q_ACCEPTED, Q_SCORE, Q_TITLE, Q_TAGS, Q_CREATED, Q_ACTIVITY, Q_LICENSE, Q_OWNER, Q_OWNER_NAME, Q_BODY, Q_USER = range(12)
A_ID, A_PARENT, A_SCORE, A_CREATED, A_LICENSE, A_OWNER, A_OWNER_NAME, A_BODY, A_USER = range(9)


def author(site: str, owner_id: int | None, user_name: str | None, display_name: str | None) -> dict | None:
    """The post's author; None for a deleted user unless the dump kept their display name."""
    if owner_id is not None:
        return {"id": owner_id, "name": user_name or display_name, "url": f"https://{site}/users/{owner_id}"}
    if display_name:
        return {"id": None, "name": display_name, "url": None}
    return None


class ThreadBuilder:
    """Turns one question row and its answer rows into a record, or None (the reason goes to `skips`)."""

    def __init__(self, site: str, options: StackExchangeOptions, skips: SkipLog):
        self.site, self.options, self.skips = site, options, skips
        self.base_url = f"https://{site}"

    def markdown(self, body: str, language: str | None, post_id: int, kind: str) -> str | None:
        try:
            text = html_to_markdown(body, language, self.base_url)
        except Exception:  # lxml raises several types on hopeless markup; the post is skipped and counted
            self.skips.add(f"{kind}bad_html", post_id)
            return None
        if not text and self.options.drop_empty:
            self.skips.add(f"{kind}empty", post_id)
            return None
        return text

    def answer(self, row: tuple, accepted_id: int | None, language: str | None) -> dict | None:
        text = self.markdown(row[A_BODY], language, row[A_ID], "answer_")
        if text is None:
            return None
        return {"id": row[A_ID], "markdown": text, "score": row[A_SCORE], "accepted": row[A_ID] == accepted_id,
                "created": row[A_CREATED], "license": row[A_LICENSE],
                "author": author(self.site, row[A_OWNER], row[A_USER], row[A_OWNER_NAME])}

    def select_answers(self, answers: list[dict]) -> list[dict]:
        answers.sort(key=lambda a: (not a["accepted"], -a["score"], a["id"]))
        if self.options.accepted_only:
            answers = [a for a in answers if a["accepted"]]
        if self.options.top_k_answers is not None:
            answers = answers[: self.options.top_k_answers]
        return answers

    def build(self, question: tuple, answer_rows: list[tuple]) -> dict | None:
        qid, tags = question[Q_ID], json.loads(question[Q_TAGS])
        language = languages.from_tags(tags)
        text = self.markdown(question[Q_BODY], language, qid, "")
        if text is None:
            return None
        built = [self.answer(row, question[Q_ACCEPTED], language) for row in answer_rows]
        answers = self.select_answers([a for a in built if a is not None])
        if len(answers) < self.options.min_answers:
            self.skips.add("too_few_answers", qid)
            return None
        url = f"{self.base_url}/questions/{qid}"
        asker = author(self.site, question[Q_OWNER], question[Q_USER], question[Q_OWNER_NAME])
        licence = licenses.thread_license([question[Q_LICENSE]] + [a["license"] for a in answers])
        names = [(asker or {}).get("name")] + [(a["author"] or {}).get("name") for a in answers]
        return {
            "site": self.site, "question_id": qid, "url": url, "title": question[Q_TITLE], "tags": tags,
            "created": question[Q_CREATED], "last_activity": question[Q_ACTIVITY],
            "question": {"markdown": text, "score": question[Q_SCORE], "license": question[Q_LICENSE], "author": asker},
            "answers": answers, "license": licence,
            "attribution": licenses.attribution(question[Q_TITLE], url, self.site, names, licence["name"]),
        }


def write_shard(store: Path, out_path: Path, low: int, high: int | None, site: str,
                options: StackExchangeOptions) -> dict:
    """Write the threads whose question id is in [low, high) to `out_path` atomically; return its counts."""
    skips = SkipLog()
    builder = ThreadBuilder(site, options, skips)
    connection = spill.open_reader(store)
    try:
        questions, answers = spill.read_shard(connection, low, high)
    finally:
        connection.close()
    threads = answers_written = 0
    with atomic_open(out_path, "wb") as handle, gzip.GzipFile(fileobj=handle, mode="wb", compresslevel=1, mtime=0) as gz:
        for question in questions:
            record = builder.build(question, answers.get(question[Q_ID], []))
            if record is not None:
                gz.write(json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n")
                threads += 1
                answers_written += len(record["answers"])
    return {"threads": threads, "answers": answers_written, "skipped": skips.to_dict()}
