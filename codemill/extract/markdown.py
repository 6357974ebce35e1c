"""Markdown escaping shared by every extractor, so PDFs and StackExchange posts write the same markdown.

Prose is escaped only where a CommonMark (+ GFM strikethrough and footnotes) reader would otherwise see
markup, so `snake_case` and `2 * 3` stay as they are while a reader gets the original text back.
"""

from __future__ import annotations

import re

_MAYBE_SPECIAL = re.compile(r"[\\`*_<\[\]&~]")
_SPECIAL = re.compile(
    r"\\(?=[!-/:-@\[-`{-~]|$)|`|\*|_|<(?=[A-Za-z/!?]|$)|\[(?=\^|$)|\](?=\(|$)|&(?=#?\w+;)|~(?=~|$)|(?<=~)~|^~"
)
_LINE_START = re.compile(
    r"^(#{1,6}(?= |$)|[-+*](?= |$)|\d{1,9}(?=[.)](?: |$))|>|[-=]+ *$|\[(?=.*\]:))", re.M
)


def _escape_one(match: re.Match) -> str:
    """One special character, left bare where markdown cannot read it as markup. The text's ends count
    as unknown neighbours (the caller may glue markup there), so a mark at an end is always escaped."""
    char, text, start = match.group(), match.string, match.start()
    if char in "*_" and 0 < start < len(text) - 1:
        before, after = text[start - 1], text[start + 1]
        if before == " " and after == " ":
            return char  # surrounded by spaces: can neither open nor close emphasis
        if char == "_" and before.isalnum() and after.isalnum():
            return char  # intraword underscore never makes emphasis
    return "\\" + char


def escape_text(text: str) -> str:
    """Backslash-escape what markdown would parse in one run of prose (no newlines)."""
    if not _MAYBE_SPECIAL.search(text):
        return text
    return _SPECIAL.sub(_escape_one, text)


def _escape_line_start(match: re.Match) -> str:
    found = match.group()
    return found + "\\" if found[0].isdigit() else "\\" + found


def escape_line_starts(paragraph: str) -> str:
    """Escape text that would start a heading, list, quote, rule or link definition at a line start."""
    return _LINE_START.sub(_escape_line_start, paragraph)


def code_span(text: str) -> str:
    """Inline code whose backtick fence is longer than any backtick run inside it."""
    text = text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
    if not text:
        return ""
    fence = "`" * (longest_run(text, "`") + 1)
    padded = text[0] == "`" or text[-1] == "`" or (text[0] == " " and text[-1] == " " and text.strip(" "))
    pad = " " if padded else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def longest_run(text: str, char: str) -> int:
    """Length of the longest run of `char` in `text`."""
    if char not in text:
        return 0
    return max(len(run) for run in re.findall(re.escape(char) + "+", text))
