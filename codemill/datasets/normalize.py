"""Normalise: unicode, whitespace and leftover HTML, never touching code except trailing spaces."""

from __future__ import annotations

import html
import re
import unicodedata

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from codemill.datasets.markdown import split_fences

_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BREAK_TAG = re.compile(r"<br\s*/?>|</?p>", re.IGNORECASE)
_HTML_TAG = re.compile(
    r"</?(?:div|span|p|font|center|strong|em|b|i|u|sub|sup|blockquote|hr|pre|code|table|tr|td|th|tbody|thead)\b[^>]*>",
    re.IGNORECASE,
)
_INNER_SPACES = re.compile(r"(?<=\S)[ \t\u00a0\u2000-\u200a\u3000]{2,}")
_BLANK_RUNS = re.compile(r"\n{3,}")
_INLINE_CODE = re.compile(r"(`+)(.+?)\1")


def _clean_prose_line(line: str) -> str:
    if line.startswith(("    ", "\t")):  # an indented code line: keep it as it is
        return line.rstrip()
    line = line.replace("\u00a0", " ")
    return _INNER_SPACES.sub(" ", line).rstrip()


def _clean_prose(text: str) -> str:
    """Unescape entities and drop layout tags outside inline code spans, tidy spaces line by line."""
    parts = _INLINE_CODE.split(text)
    out = []
    for index, part in enumerate(parts):
        role = index % 3  # split() yields text, the backtick run, the code inside
        if role == 0:
            part = _HTML_TAG.sub("", _BREAK_TAG.sub("\n", html.unescape(part)))
        elif role == 1:
            out.append(part)
            continue
        else:
            part = part + parts[index - 1]
        out.append(part)
    return "\n".join(_clean_prose_line(line) for line in "".join(out).split("\n"))


def _clean_code(block: str) -> str:
    return "\n".join(line.rstrip() for line in block.split("\n"))


def normalize_markdown(text: str) -> str:
    """NFC unicode, no invisible/control characters, tidy prose; code blocks only lose trailing spaces."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROL.sub("", _INVISIBLE.sub("", text))
    pieces = [_clean_code(piece) if is_code else _clean_prose(piece) for is_code, piece in split_fences(text)]
    joined = "".join(piece if piece.endswith("\n") else piece + "\n" for piece in pieces)
    return _BLANK_RUNS.sub("\n\n", joined).strip("\n") + "\n"


class Normalize(PipelineStep):
    """Normalise each document's markdown, and the answers a StackExchange thread carries."""

    type = "codemill"
    name = "normalize"

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            with self.track_time():
                self.stat_update("total")
                doc.text = normalize_markdown(doc.text)
                for answer in doc.metadata.get("answers", []):
                    answer["markdown"] = normalize_markdown(answer["markdown"])
            yield doc
