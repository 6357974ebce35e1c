"""The shared escaper: escaped prose, read back by a CommonMark reader, is the original text."""

from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ElementTree

import lxml.html
import pytest
from markdown_it import MarkdownIt

from codemill.extract.markdown import code_span, escape_line_starts, escape_text

MD = MarkdownIt("commonmark").enable("strikethrough")
ALPHABET = "ab _*\\`[]()<>&#;~!-+=.1|^:"


def read_back(markdown: str) -> str | None:
    """The text of a markdown paragraph holding nothing but text, or None when the reader saw markup."""
    tokens = MD.parse(markdown)
    if [token.type for token in tokens] != ["paragraph_open", "inline", "paragraph_close"]:
        return None
    if any(child.type != "text" for child in tokens[1].children):
        return None
    return "".join(child.content for child in tokens[1].children)


def escaped(*pieces: str) -> str:
    """Pieces escaped one by one and glued, as the extractors glue styled runs, then line starts."""
    return escape_line_starts("".join(escape_text(piece) for piece in pieces))


def _random_texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    texts = []
    while len(texts) < count:
        text = " ".join("".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 12))).split())
        if text:
            texts.append(text)
    return texts


def test_random_text_reads_back_unchanged():
    wrong = [(text, escaped(text)) for text in _random_texts(5000, 1) if read_back(escaped(text)) != text]
    assert wrong == []


def test_text_cut_anywhere_into_runs_reads_back_unchanged():
    """Markup glued at a run's edge (another style, a tag) must not complete a mark inside the run."""
    wrong = []
    for text in _random_texts(2000, 2):
        for cut in range(1, len(text)):
            if read_back(escaped(text[:cut], text[cut:])) != text:
                wrong.append((text[:cut], text[cut:]))
    assert wrong == []


@pytest.mark.parametrize("text, expected", [
    ("use snake_case and 2 * 3 here", "use snake_case and 2 * 3 here"),
    ("[1] and [n:m] and C:\\path", "[1] and [n:m] and C:\\path"),
    ("*stars* and _under_", "\\*stars\\* and \\_under\\_"),
    ("[text](url) and <b> and &amp;", "[text\\](url) and \\<b> and \\&amp;"),
    ("a[^1] note", "a\\[^1] note"),
])
def test_prose_is_escaped_only_where_markdown_would_read_markup(text, expected):
    assert escape_text(text) == expected


@pytest.mark.parametrize("start", ["# x", "###### x", "- x", "+ x", "* x", "1. x", "12) x", "> x", "---", "===",
                                   "[a]: b"])
def test_block_starts_are_escaped_only_at_a_line_start(start):
    text = "words then " + start
    assert escaped(start) != start
    assert read_back(escaped(start)) == start
    assert escaped(text) == escape_text(text)


@pytest.mark.parametrize("code", ["x", "a`b", "``x``", "` x", "a ``` b"])
def test_code_span_reads_back_as_its_code(code):
    tokens = MD.parse(code_span(code))[1].children
    assert [(token.type, token.content) for token in tokens] == [("code_inline", code)]


def _prose_lines(shared_data) -> list[str]:
    """Prose lines of the py4e ground truth (their own markdown marks read here as plain text)."""
    lines = []
    for path in sorted((shared_data / "pdfs" / "py4e").glob("*.md")):
        fenced = False
        for line in path.read_text().splitlines():
            fenced ^= line.startswith("```")
            if not fenced and not line.startswith("```") and line.strip():
                lines.append(" ".join(line.split()))
    return lines


def _post_paragraphs(shared_data, limit: int = 3000) -> list[str]:
    """The text of `<p>` elements of real StackExchange posts, whitespace collapsed."""
    posts = shared_data / "stackexchange" / "bioinformatics.stackexchange.com" / "Posts.xml"
    texts = []
    for _, row in ElementTree.iterparse(posts):
        body = row.get("Body")
        if body:
            for paragraph in lxml.html.fromstring(f"<div>{body}</div>").iter("p"):
                text = " ".join(paragraph.text_content().split())
                if text:
                    texts.append(text)
        row.clear()
        if len(texts) >= limit:
            break
    return texts


def test_real_prose_reads_back_unchanged(shared_data):
    texts = _prose_lines(shared_data) + _post_paragraphs(shared_data)
    assert len(texts) > 3000
    assert any(re.search(r"[*_`\[\]<&\\]", text) for text in texts)
    wrong = [text for text in texts if read_back(escaped(text)) != text]
    assert wrong == []
