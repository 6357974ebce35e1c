"""Escaping and inline assembly for the HTML -> markdown converter.

Text from HTML is escaped only where markdown would otherwise read it as markup, so prose stays
readable (`snake_case` stays as it is, `2 * 3` too) while a CommonMark reader gets the same text back.
"""

from __future__ import annotations

import re

_HTML_SPACE = " \t\n\r\f\v"
_WHITESPACE = re.compile(r"[ \t\n\r\f\v]+")
_NEEDS_COLLAPSE = re.compile(r"[\t\n\r\f\v]|  ")
_MAYBE_SPECIAL = re.compile(r"[\\`*_<\]&~]")
_SPECIAL = re.compile(r"\\(?=[!-/:-@\[-`{-~]|$)|`|\*|_|<(?=[A-Za-z/!?])|\](?=\()|&(?=#?\w+;)|~(?=~)|(?<=~)~")
_LINE_START = re.compile(r"^(#{1,6}(?= |$)|[-+*](?= |$)|\d{1,9}(?=[.)](?: |$))|>|[-=]+ *$)", re.M)


def _escape_one(match: re.Match) -> str:
    char, text, start = match.group(), match.string, match.start()
    if char in "*_":
        before = text[start - 1] if start else " "
        after = text[start + 1] if start + 1 < len(text) else " "
        if before == " " and after == " ":
            return char  # surrounded by spaces: can neither open nor close emphasis
        if char == "_" and before.isalnum() and after.isalnum():
            return char  # intraword underscore never makes emphasis
    return "\\" + char


def escape_text(text: str) -> str:
    """Backslash-escape the characters of a (whitespace-collapsed) text run that markdown would parse."""
    if not _MAYBE_SPECIAL.search(text):
        return text
    return _SPECIAL.sub(_escape_one, text)


def _escape_line_start(match: re.Match) -> str:
    found = match.group()
    return found + "\\" if found[0].isdigit() else "\\" + found


def escape_line_starts(paragraph: str) -> str:
    """Escape text that would start a heading, list, quote or rule at the beginning of a line."""
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


class InlineBuffer:
    """Collects one paragraph's inline markdown, collapsing HTML whitespace the way a browser does."""

    __slots__ = ("parts", "space", "lead")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.space = False  # a space is owed before the next piece
        self.lead = False  # the content began with whitespace

    def text(self, raw: str) -> None:
        """Add text from the HTML: whitespace collapsed, markdown characters escaped."""
        if not raw.strip(_HTML_SPACE):  # the common "\n" between tags: at most one space
            self._owe_space()
            return
        collapsed = _WHITESPACE.sub(" ", raw) if _NEEDS_COLLAPSE.search(raw) else raw
        if collapsed[0] == " ":
            self._owe_space()
            collapsed = collapsed[1:]
        trailing = collapsed.endswith(" ")
        if trailing:
            collapsed = collapsed[:-1]
        if collapsed:
            self.markup(escape_text(collapsed))
        if trailing:
            self._owe_space()

    def _owe_space(self) -> None:
        if self.parts:
            self.space = True
        else:
            self.lead = True

    def markup(self, piece: str) -> None:
        """Add a piece that is already markdown."""
        if self.space and not self.parts[-1].endswith("\n"):
            self.parts.append(" ")
        self.space = False
        self.parts.append(piece)

    def wrapped(self, inner: "InlineBuffer", before: str, after: str) -> None:
        """Add `inner` between two markers, keeping its outer whitespace outside the markers."""
        body = inner.finish()
        if inner.lead:
            self._owe_space()
        if body:
            self.markup(before + body + after)
        if inner.space:
            self._owe_space()

    def hard_break(self) -> None:
        if self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("  \n")
        self.space = False

    def finish(self) -> str:
        """The paragraph's markdown, without trailing hard breaks."""
        text = "".join(self.parts)
        while text.endswith("  \n"):
            text = text[:-3]
        return text
