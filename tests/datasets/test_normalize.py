from codemill.datasets.normalize import normalize_markdown


def test_code_fence_keeps_inner_spacing_and_loses_trailing_spaces():
    text = "Intro  text\n\n```python\nx  =  [1,   2]   \n  <b>not html</b>\n```\n"
    out = normalize_markdown(text)
    assert "x  =  [1,   2]\n" in out
    assert "  <b>not html</b>\n" in out
    assert "Intro text" in out


def test_prose_html_entities_tags_and_invisible_characters_are_cleaned():
    out = normalize_markdown("Use&nbsp;the <div>list</div> caf\u0065\u0301\u200b here<br>next&amp;last\n")
    assert "<div>" not in out and "\u200b" not in out
    assert "caf\u00e9" in out  # NFC
    assert "next&last" in out
    assert "here\nnext" in out


def test_blank_line_runs_collapse_and_indented_code_is_kept():
    out = normalize_markdown("a\n\n\n\n\nb\n\n    for  x in y:\n        print(x)   \n")
    assert "a\n\nb" in out
    assert "    for  x in y:\n        print(x)\n" in out
