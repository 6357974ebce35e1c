"""StackExchange post HTML -> markdown, on lxml.html, keeping code byte-for-byte.

Every `<pre>` becomes a fenced block whose content is exactly the text of the HTML code element, with a
fence longer than any backtick run inside it and a language from the post's hints or its tags.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from lxml import etree

from codemill.extract.stackexchange import languages
from codemill.extract.markdown import code_span, escape_line_starts, escape_text, longest_run
from codemill.extract.stackexchange.markdown_text import InlineBuffer

_BLOCK_TAGS = frozenset(
    "p div pre blockquote ul ol li table thead tbody tfoot tr td th caption h1 h2 h3 h4 h5 h6 hr dl dt dd "
    "section article "
    "details summary figure figcaption aside header footer nav main center form fieldset address".split()
)
_DROPPED = frozenset(("script", "style", "head", "title", "meta", "link", "template", "iframe", "object", "input", "button"))
_EMPHASIS = {"em": "*", "i": "*", "cite": "*", "var": "*", "dfn": "*", "strong": "**", "b": "**", "del": "~~", "s": "~~", "strike": "~~"}
_KEPT_AS_HTML = frozenset(("kbd", "sup", "sub", "mark", "ins", "u", "abbr", "small"))
_CODE = frozenset(("code", "tt", "samp"))
_PARSER = etree.HTMLParser(remove_pis=True, no_network=True)
_ABSOLUTE = ("http://", "https://", "mailto:", "ftp://")
_DOCUMENT_END = re.compile(r"</\s*(body|html)\s*>", re.I)  # libxml2 drops everything after a stray one


def html_to_markdown(html: str, default_language: str | None = None, base_url: str | None = None) -> str:
    """Convert one post body; `default_language` labels code blocks without a hint of their own."""
    if not html or not html.strip():
        return ""
    if "</" in html and _DOCUMENT_END.search(html):
        html = _DOCUMENT_END.sub("", html)
    root = etree.fromstring(f"<html><body>{html}</body></html>", _PARSER)
    return _Converter(default_language, base_url).document(root.find("body"))


class _Converter:
    """One post's conversion state: the language hints met so far in document order."""

    def __init__(self, default_language: str | None, base_url: str | None):
        self.default_language = default_language
        self.base_url = base_url
        self.next_language: str | None = None  # `<!-- language: x -->`, applies to the next block
        self.all_language: str | None = None  # `<!-- language-all: x -->`, applies from here on

    def document(self, root) -> str:
        return "\n\n".join(self.blocks(root)).strip()

    # ---- block level -------------------------------------------------------------------------
    def blocks(self, element) -> list[str]:
        """Markdown blocks for the children of a block container; loose inline runs become paragraphs."""
        out: list[str] = []
        line = InlineBuffer()
        if element.text:
            line.text(element.text)
        for child in element:
            tag = child.tag
            if not isinstance(tag, str):
                if tag is etree.Comment:
                    self.language_hint(child.text or "")
            elif tag in _BLOCK_TAGS or _holds_code_block(child):
                self._flush(line, out)
                line = InlineBuffer()
                block = self.block(child)
                if block:
                    out.append(block)
            elif tag not in _DROPPED:
                self.inline(child, line)
            if child.tail:
                line.text(child.tail)
        self._flush(line, out)
        return out

    @staticmethod
    def _flush(line: InlineBuffer, out: list[str]) -> None:
        paragraph = line.finish()
        if paragraph:
            out.append(escape_line_starts(paragraph))

    def block(self, element) -> str:
        tag = element.tag
        if tag == "pre":
            return self.code_block(element)
        if tag in ("ul", "ol"):
            return self.list_block(element)
        if tag == "blockquote":
            return _prefix_lines("\n\n".join(self.blocks(element)), "> ", ">")
        if tag == "table":
            return self.table(element) if element.find(".//pre") is None else "\n\n".join(self.blocks(element))
        if tag == "hr":
            return "---"
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            text = " ".join(self.blocks(element)).replace("  \n", " ").replace("\n", " ")
            return f"{'#' * int(tag[1])} {text}" if text else ""
        if tag in ("dt", "summary"):
            text = " ".join(self.blocks(element))
            return f"**{text}**" if text else ""
        return "\n\n".join(self.blocks(element))

    def code_block(self, pre) -> str:
        """A fenced block holding exactly the text of `<pre><code>` (or of a bare `<pre>`)."""
        children = [child for child in pre if isinstance(child.tag, str)]
        only_code = len(children) == 1 and children[0].tag == "code" and not (pre.text or "").strip()
        source = children[0] if only_code else pre
        code = "".join(source.itertext())
        language = self.code_language(pre, children[0] if only_code else None)
        fence = "`" * max(3, longest_run(code, "`") + 1)
        newline = "" if code.endswith("\n") else "\n"
        return f"{fence}{language}\n{code}{newline}{fence}"

    def code_language(self, pre, code) -> str:
        hinted = languages.from_classes(pre.get("class"))
        if hinted is None and code is not None:
            hinted = languages.from_classes(code.get("class"))
        if hinted is None:
            hinted = self.next_language
        self.next_language = None
        if hinted is None:
            hinted = self.all_language
        if hinted is None:
            hinted = self.default_language
        return hinted or ""

    def language_hint(self, comment: str) -> None:
        text = comment.strip()
        if text.startswith("language-all:"):
            self.all_language = languages.alias(text.split(":", 1)[1])
        elif text.startswith("language:"):
            self.next_language = languages.alias(text.split(":", 1)[1])

    def list_block(self, element) -> str:
        items = [child for child in element if isinstance(child.tag, str) and child.tag not in _DROPPED]
        loose = any(grandchild.tag == "p" for item in items for grandchild in item)
        joiner = "\n\n" if loose else "\n"
        ordered = element.tag == "ol"
        start = _int_or(element.get("start"), 1) if ordered else 0
        rendered = []
        for number, item in enumerate(items, start):
            marker = f"{number}. " if ordered else "- "
            blocks = self.blocks(item) if item.tag == "li" else [self.block(item)]
            body = joiner.join(block for block in blocks if block)
            rendered.append(marker + _indent_rest(body, " " * len(marker)))
        return joiner.join(rendered)

    def table(self, element) -> str:
        rows = [row for row in element.iter("tr")]
        cells = [[self.cell(cell) for cell in row if cell.tag in ("td", "th")] for row in rows]
        cells = [row for row in cells if row]
        if not cells:
            return ""
        width = max(len(row) for row in cells)
        aligns = [_alignment(cell) for cell in rows[0] if cell.tag in ("td", "th")]
        aligns += ["---"] * (width - len(aligns))
        lines = [_table_row(row + [""] * (width - len(row))) for row in cells]
        lines.insert(1, _table_row(aligns))
        return "\n".join(lines)

    def cell(self, cell) -> str:
        text = "<br>".join(self.blocks(cell)).replace("  \n", "<br>").replace("\n", " ")
        return text.replace("|", "\\|")

    # ---- inline level ------------------------------------------------------------------------
    def inline(self, element, line: InlineBuffer) -> None:
        tag = element.tag
        if tag in _CODE:
            span = code_span("".join(element.itertext()))
            if span:
                line.markup(span)
        elif tag in _EMPHASIS:
            marker = _EMPHASIS[tag]
            line.wrapped(self.inline_children(element), marker, marker)
        elif tag == "a":
            self.link(element, line)
        elif tag == "img":
            self.image(element, line)
        elif tag == "br":
            line.hard_break()
        elif tag in _KEPT_AS_HTML:
            line.wrapped(self.inline_children(element), f"<{tag}>", f"</{tag}>")
        elif tag == "pre":
            line.markup(code_span("".join(element.itertext())))
        else:
            self.inline_into(element, line)

    def inline_into(self, element, line: InlineBuffer) -> None:
        if element.text:
            line.text(element.text)
        for child in element:
            if isinstance(child.tag, str) and child.tag not in _DROPPED:
                self.inline(child, line)
            if child.tail:
                line.text(child.tail)

    def inline_children(self, element) -> InlineBuffer:
        inner = InlineBuffer()
        self.inline_into(element, inner)
        return inner

    def link(self, element, line: InlineBuffer) -> None:
        inner = self.inline_children(element)
        href = (element.get("href") or "").strip()
        if not href or href.startswith("javascript:"):
            line.wrapped(inner, "", "")
            return
        url = _absolute(href, self.base_url)
        if not inner.finish():
            inner.markup(escape_text(url))
        if line.parts and line.parts[-1].endswith("!") and not line.space:
            line.parts[-1] = line.parts[-1][:-1] + "\\!"
        line.wrapped(inner, "[", f"]({_destination(url, element.get('title'))})")

    def image(self, element, line: InlineBuffer) -> None:
        src = (element.get("src") or "").strip()
        alt = escape_text(" ".join((element.get("alt") or "").split())).replace("[", "\\[").replace("]", "\\]")
        if not src:
            if alt:
                line.markup(alt)
            return
        url = _absolute(src, self.base_url)
        line.markup(f"![{alt}]({_destination(url, element.get('title'))})")


def _holds_code_block(element) -> bool:
    """An inline element wrapping a `<pre>` is laid out as a block, so that the code stays exact."""
    return len(element) > 0 and element.tag not in _CODE and element.find(".//pre") is not None


def _absolute(url: str, base_url: str | None) -> str:
    return urljoin(base_url, url) if base_url and not url.startswith(_ABSOLUTE) else url


def _destination(url: str, title: str | None) -> str:
    url = url.replace("\n", "").replace("\r", "")
    if any(char in url for char in " ()<>"):
        url = "<" + url.replace("<", "%3C").replace(">", "%3E") + ">"
    if title:
        title = " ".join(title.split()).replace("\\", "\\\\").replace('"', '\\"')
        return f'{url} "{title}"'
    return url


def _prefix_lines(text: str, prefix: str, empty_prefix: str) -> str:
    return "\n".join(prefix + line if line else empty_prefix for line in text.split("\n"))


def _indent_rest(text: str, indent: str) -> str:
    first, _, rest = text.partition("\n")
    if not rest:
        return first
    return first + "\n" + "\n".join(indent + line if line else "" for line in rest.split("\n"))


def _table_row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _alignment(cell) -> str:
    style = (cell.get("style") or "").replace(" ", "").lower()
    align = (cell.get("align") or "").lower()
    if "text-align:center" in style or align == "center":
        return ":---:"
    if "text-align:right" in style or align == "right":
        return "---:"
    if "text-align:left" in style or align == "left":
        return ":---"
    return "---"


def _int_or(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
