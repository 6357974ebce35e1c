"""Inline assembly for the HTML -> markdown converter: browser whitespace rules, shared escaping."""

from __future__ import annotations

import re

from codemill.extract.markdown import escape_text

_HTML_SPACE = " \t\n\r\f\v"
_WHITESPACE = re.compile(r"[ \t\n\r\f\v]+")
_NEEDS_COLLAPSE = re.compile(r"[\t\n\r\f\v]|  ")


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
