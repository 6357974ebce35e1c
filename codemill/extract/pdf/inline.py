"""Prose lines -> one markdown paragraph: emphasis, strong, inline code, escapes, de-hyphenation."""

from __future__ import annotations

import re

from codemill.extract.pdf.lines import Line, needs_space

_ESCAPE = re.compile(r"([\\`*\[\]])")
_LONE_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
_NOTE_REF = re.compile(r"^(?:\d{1,3}|[*†‡§¶]{1,3})$")
_HYPHENATED = re.compile(r"([^\W\d_]+)-$")


def _style(span) -> str:
    if span.script and _NOTE_REF.match(span.text.strip()):
        return "note"
    if span.mono:
        return "code"
    return ("b" if span.bold else "") + ("i" if span.italic else "")


def escape(text: str) -> str:
    """Backslash-escape what markdown would otherwise read as markup."""
    return _LONE_UNDERSCORE.sub(r"\\_", _ESCAPE.sub(r"\\\1", text))


def _runs(lines: list[Line], vocabulary: set[str]) -> list[tuple[str, str]]:
    """(style, text) runs over all lines, with line breaks turned into spaces or hyphens undone."""
    runs: list[tuple[str, str]] = []
    for index, line in enumerate(lines):
        if index:
            _join_line_break(runs, line, vocabulary)
        for i, span in enumerate(line.spans):
            if i and needs_space(line.spans[i - 1], span):
                runs.append(("", " "))
            runs.append((_style(span) if span.text.strip() else "", span.text))
    return runs


def _join_line_break(runs: list[tuple[str, str]], line: Line, vocabulary: set[str]) -> None:
    """Undo an end-of-line hyphen unless the hyphenated form is a word the document uses elsewhere."""
    if not runs:
        return
    style, text = runs[-1]
    match = _HYPHENATED.search(text.rstrip())
    first = line.text.lstrip().split(" ")[0]
    if match and style != "code" and first[:1].islower():
        tail = re.match(r"[^\W\d_]+", first)
        compound = f"{match.group(1)}-{tail.group(0) if tail else ''}".lower()
        if compound not in vocabulary:
            runs[-1] = (style, text.rstrip()[:-1])
            return
    runs.append(("", " "))


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
        fence = "``" if "`" in core else "`"
        pad = " " if core.startswith("`") or core.endswith("`") else ""
        body = f"{fence}{pad}{core}{pad}{fence}"
    else:
        body = escape(core)
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
    return " ".join("".join(_wrap(style, text) for style, text in runs).split())


def hyphenated_words(lines: list[Line]) -> set[str]:
    """Every hyphenated compound written whole inside a line somewhere in the document."""
    words: set[str] = set()
    for line in lines:
        if line.kind == "text" and "-" in line.text:
            words.update(w.lower() for w in re.findall(r"[^\W\d_]+-[^\W\d_]+", line.text))
    return words
