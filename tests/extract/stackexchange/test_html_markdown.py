"""The converter: structure kept, text escaped only where needed, code byte-for-byte."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from codemill.extract.stackexchange.html_markdown import html_to_markdown

MD = MarkdownIt("commonmark").enable("table").enable("strikethrough")


def fences(markdown: str) -> list[tuple[str, str]]:
    """(info, content) of every fenced block, as a CommonMark reader sees them."""
    return [(token.info, token.content) for token in MD.parse(markdown) if token.type == "fence"]


def rendered_text(markdown: str) -> str:
    """The visible text of the markdown once rendered, whitespace collapsed."""
    import lxml.html

    return " ".join(lxml.html.fromstring("<div>" + MD.render(markdown) + "</div>").text_content().split())


@pytest.mark.parametrize("code", ["x = 1\n", "\tindented\n  two\n\n", "a```b\n````\n", "<tag> & \"q\"\n", "no newline"])
@pytest.mark.parametrize("wrap", ["{}", "<ul><li>item{}</li></ul>", "<blockquote><p>q</p>{}</blockquote>",
                                  "<ol><li><ul><li>deep{}</li></ul></li></ol>",
                                  "<table><tr><th>h</th></tr><tr><td>{}</td></tr></table>",
                                  "<p><span>lead <strong>in{}</strong></span> tail</p>"])
def test_code_is_byte_exact_in_any_container(code, wrap):
    import html

    markdown = html_to_markdown(wrap.format(f"<pre><code>{html.escape(code)}</code></pre>"))
    expected = code if code.endswith("\n") else code + "\n"
    assert [content for _, content in fences(markdown)] == [expected]


def test_language_from_class_comment_language_all_then_tags():
    body = ('<pre class="lang-py s-code-block"><code>a\n</code></pre>'
            "<!-- language: lang-js --><pre><code>b\n</code></pre>"
            "<pre><code>c\n</code></pre>"
            "<!-- language-all: lang-hs --><pre><code>d\n</code></pre>"
            '<pre class="lang-none"><code>e\n</code></pre>')
    infos = [info for info, _ in fences(html_to_markdown(body, default_language="rust"))]
    assert infos == ["python", "javascript", "rust", "haskell", ""]


def test_inline_code_with_backticks_round_trips():
    markdown = html_to_markdown("<p>use <code>a`b</code> and <code>`x</code></p>")
    spans = [child.content for token in MD.parse(markdown) if token.children for child in token.children
             if child.type == "code_inline"]
    assert spans == ["a`b", "`x"]


def test_nested_lists_keep_their_depth_and_numbering():
    markdown = html_to_markdown('<ol start="3"><li>one<ul><li>inner</li></ul></li><li>two</li></ol>')
    assert markdown == "3. one\n   - inner\n4. two"


def test_markup_elements():
    body = ('<h2>Setup <em>now</em></h2><p>Press <kbd>Ctrl</kbd>+<kbd>C</kbd>, see <a href="/q/1">this</a>'
            ' and <strong>bold</strong> text<br>next line</p><hr><p><img src="http://i.example/x.png" alt="a chart"></p>'
            "<blockquote><p>quoted</p></blockquote>")
    markdown = html_to_markdown(body, base_url="https://so.example")
    assert markdown.splitlines()[0] == "## Setup *now*"
    assert "<kbd>Ctrl</kbd>+<kbd>C</kbd>" in markdown
    assert "[this](https://so.example/q/1)" in markdown
    assert "**bold** text  \nnext line" in markdown
    assert "\n---\n" in markdown
    assert "![a chart](http://i.example/x.png)" in markdown
    assert markdown.endswith("> quoted")


def test_table_becomes_a_pipe_table_with_alignment_and_escaped_pipes():
    body = '<table><tr><th>a</th><th style="text-align: right;">b</th></tr><tr><td>x|y</td><td><code>2</code></td></tr></table>'
    assert html_to_markdown(body) == "| a | b |\n| --- | ---: |\n| x\\|y | `2` |"
    rendered = MD.render(html_to_markdown(body))
    assert "<td>x|y</td>" in rendered and "<code>2</code>" in rendered


@pytest.mark.parametrize("text", [
    "a * b, 2*3, snake_case, _lead_ and *stars*",
    "[not](a link) and <div> and &amp;amp; and ~~not struck~~",
    "C:\\path\\file and \\*escaped",
    "# not a heading",
    "1. not a list",
    "- not a list",
    "> not a quote",
    "`not code`",
])
def test_text_renders_back_to_itself(text):
    import html

    markdown = html_to_markdown(f"<p>{html.escape(text)}</p>")
    assert rendered_text(markdown) == text
    assert [token.type for token in MD.parse(markdown)][:1] == ["paragraph_open"]


def test_plain_prose_is_not_escaped():
    assert html_to_markdown("<p>use snake_case and 2 * 3 here</p>") == "use snake_case and 2 * 3 here"


def test_entities_and_whitespace_collapse():
    assert html_to_markdown("<p>a&nbsp;b   &lt;c&gt;\n d &#x27;e&#x27;</p>") == "a\xa0b \\<c> d 'e'"


def test_stray_document_end_tags_lose_nothing():
    assert html_to_markdown("<p>a</p></body></html><p>b</p>after") == "a\n\nb\n\nafter"


def test_empty_and_whitespace_bodies_give_empty_markdown():
    assert html_to_markdown("") == "" and html_to_markdown("  \n ") == "" and html_to_markdown("<p> </p>") == ""


def test_every_code_block_of_the_sample_is_byte_exact(shared_data):
    """Checked against an independent parser (html.parser via BeautifulSoup) on every post."""
    from bs4 import BeautifulSoup
    from lxml import etree

    posts = shared_data / "stackexchange" / "cardano.stackexchange.com" / "Posts.xml"
    checked = 0
    for _, row in etree.iterparse(str(posts), tag="row"):
        body = row.get("Body") or ""
        expected = []
        for pre in BeautifulSoup(body, "html.parser").find_all("pre"):
            codes = pre.find_all("code", recursive=False)
            source = codes[0] if len(codes) == 1 else pre
            text = source.get_text()
            expected.append(text if text.endswith("\n") else text + "\n")
        got = [content for _, content in fences(html_to_markdown(body, "haskell"))]
        assert got == expected, f"post {row.get('Id')}"
        checked += len(expected)
        row.clear()
    assert checked > 400
