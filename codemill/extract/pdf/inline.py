"""Prose lines -> one markdown paragraph: emphasis, strong, inline code, escapes, de-hyphenation."""

from __future__ import annotations

import re

from codemill.extract.markdown import code_span, escape_text
from codemill.extract.pdf.lines import WRAP_MARKS, Line, needs_space

_NOTE_REF = re.compile(r"^(?:\d{1,3}|[*†‡§¶]{1,3})$")
_SPACE_BEFORE_NOTE = re.compile(r"(?<=\S) +\[\^")
_HYPHENATED = re.compile(r"([^\W\d_]+)-$")


def _style(span) -> str:
    if span.script and _NOTE_REF.match(span.text.strip()):
        return "note"
    if span.mono:
        return "code"
    return ("b" if span.bold else "") + ("i" if span.italic else "")


def _runs(lines: list[Line], vocabulary: set[str]) -> list[tuple[str, str]]:
    """(style, text) runs over all lines, with line breaks turned into spaces or hyphens undone."""
    runs: list[tuple[str, str]] = []
    for index, line in enumerate(lines):
        if index:
            _join_line_break(runs, line, vocabulary)
        marked = False
        for i, span in enumerate(line.spans):
            if not i and index and _ends_in_code(runs) and len(span.text.strip()) == 1 and span.text.strip() in WRAP_MARKS:
                marked = True  # inline code broken at the line end, its continuation marked (listings' postbreak)
                continue
            if i and not (marked and i == 1) and needs_space(line.spans[i - 1], span):
                runs.append(("", " "))
            runs.append((_style(span) if span.text.strip() else "", span.text))
    return runs


def _ends_in_code(runs: list[tuple[str, str]]) -> bool:
    """The last visible run is inline code."""
    return next((style for style, text in reversed(runs) if text.strip()), "") == "code"


def _join_line_break(runs: list[tuple[str, str]], line: Line, vocabulary: set[str]) -> None:
    """Undo an end-of-line hyphen unless the hyphenated form is a word the document uses elsewhere, or
    the line ends a compound that has a hyphen already with a word the document uses, the next line
    starting with another ('easy-to-' + 'understand', not 'comma-sepa-' + 'rated'); also inside inline
    code that runs on into the next line (groff hyphenates code words too)."""
    if not runs:
        return
    style, text = runs[-1]
    match = _HYPHENATED.search(text.rstrip())
    first = line.text.lstrip().split(" ")[0]
    if match and (style != "code" or line.spans[0].mono) and first[:1].islower():
        tail = re.match(r"[^\W\d_]+", first)
        head, rest = match.group(1).lower(), (tail.group(0) if tail else "").lower()
        compound = text.rstrip()[match.start(1) - 1 : match.start(1)] == "-"  # 'easy-to-' + 'understand'
        if (compound and head in vocabulary and rest in vocabulary) or _keeps_hyphen(head, rest, vocabulary):
            runs[-1] = (style, text.rstrip())
        else:
            runs[-1] = (style, text.rstrip()[:-1])
        return
    if _url_runs_on(text, first):
        return
    if not text[-1:].isspace():  # a line that keeps its trailing space (inline code broken there) has its space
        runs.append(("", " "))


_URL_END = re.compile(r"(?:\b[a-z]+://|\bwww\.)\S*[/.#?=&_]$", re.IGNORECASE)
_URL_PART = re.compile(r"[/.#?=&_]")


def _url_runs_on(text: str, first: str) -> bool:
    """A URL broken after a slash or a dot (as typesetters break them, with no hyphen) runs on into the
    next line without a space when that line starts with more of a URL, not with a plain word."""
    return bool(_URL_END.search(text.rstrip())) and bool(_URL_PART.search(first.rstrip(".,;:)]'\"”’")))


def _keeps_hyphen(head: str, rest: str, vocabulary: set[str]) -> bool:
    """A line-end hyphen is part of a compound when the document writes the compound elsewhere, or
    when both halves are words it uses and the joined form is not."""
    if f"{head}-{rest}" in vocabulary:
        return True
    if head + rest in vocabulary:
        return False
    return len(head) >= 3 and head in vocabulary and rest in vocabulary


def _merge(runs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Merge neighbouring runs of one style; whitespace-only runs join whatever surrounds them."""
    merged: list[list[str]] = []
    for style, text in runs:
        if not text:
            continue
        if merged and (style == merged[-1][0] or not style and not text.strip()):
            merged[-1][1] += text
        elif merged and not merged[-1][1].strip():
            merged[-1] = [style, merged[-1][1] + text]
        else:
            merged.append([style, text])
    return [(s, t) for s, t in merged]


def _wrap(style: str, text: str) -> str:
    core = text.strip()
    if not core:
        return text
    lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
    if style == "note":
        return f"{lead}[^{core}]{trail}"
    if style == "code":
        body = code_span(core)
    else:
        body = escape_text(core)
        if "i" in style:
            body = f"*{body}*"
        if "b" in style:
            body = f"**{body}**"
    return f"{lead}{body}{trail}"


def paragraph_markdown(lines: list[Line], vocabulary: set[str], plain: bool = False) -> str:
    """The lines as one markdown paragraph on one line; `plain` drops emphasis (for headings)."""
    runs = _merge(_runs(lines, vocabulary))
    if plain:  # headings: their bold or size is the heading itself; only inline code stays marked
        runs = _merge([(style if style == "code" else "", text) for style, text in runs])
    text = _squeeze_outside_code("".join(_wrap(style, text) for style, text in runs))
    return _SPACE_BEFORE_NOTE.sub("[^", text)


def document_words(lines: list[Line]) -> set[str]:
    """Words and hyphenated compounds the document writes whole inside its prose lines."""
    words: set[str] = set()
    for line in lines:
        if line.kind == "text":
            found = _WORD.findall(line.text)[1:]  # the first word may be the tail of a broken word
            if line.text.rstrip().endswith("-"):
                found = found[:-1]  # and the last one its head
            words.update(w.lower() for w in found)
    return words


_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")


def _squeeze_outside_code(text: str) -> str:
    """Collapse runs of whitespace to one space, except inside inline code spans."""
    parts, last = [], 0
    for match in _CODE_SPAN.finditer(text):
        parts.append(_WHITESPACE.sub(" ", text[last : match.start()]))
        parts.append(match.group(0))
        last = match.end()
    parts.append(_WHITESPACE.sub(" ", text[last:]))
    return "".join(parts).strip()


_WHITESPACE = re.compile(r"\s+")
