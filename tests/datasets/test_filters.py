from datatrove.data import Document

from codemill.datasets.filters import BoilerplateFilter, CharacterFilter, FenceFilter, LengthFilter, ScoreFilter, character_ratios


def _doc(text, **meta):
    return Document(text=text, id="x", metadata=meta)


def test_each_filter_drops_with_its_reason():
    assert LengthFilter(10, 100).filter(_doc("short")) == (False, "too_short")
    assert LengthFilter(1, 5).filter(_doc("far too long")) == (False, "too_long")
    assert FenceFilter().filter(_doc("a\n```\ncode\n")) == (False, "unbalanced_fences")
    assert CharacterFilter(0.3, 0.4).filter(_doc("{}[]()<>;;;;==++-- ab")) == (False, "mostly_symbols")
    assert CharacterFilter(0.9, 0.4).filter(_doc("1234 5678 9012 3456 ab")) == (False, "mostly_non_text")
    page = "All rights reserved.\nPage 3 of 10\nPrivacy policy\nreal text here"
    assert BoilerplateFilter(0.3).filter(_doc(page)) == (False, "boilerplate")
    thread = {"kind": "thread", "question_score": 5, "answer_score": -1}
    assert ScoreFilter(None, 0).filter(_doc("q", **thread)) == (False, "low_answer_score")


def test_clean_prose_and_code_pass():
    text = "Lists hold values in order. You can loop over them:\n\n```python\nfor x in [1, 2]:\n    print(x)\n```\n"
    doc = _doc(text, kind="textbook")
    for step in (LengthFilter(10, 1000), FenceFilter(), CharacterFilter(0.35, 0.45), BoilerplateFilter(0.3), ScoreFilter(1, 1)):
        assert step.filter(doc) is True



def test_character_ratios_count_each_character_like_a_scan():
    text = "Ünïcode² ½ \u2003tabs\tand\u00a0spaces: x = [1, 2] → ok!\n" * 3 + "   \n"
    visible = [c for c in text if not c.isspace()]
    expected = (sum(not c.isalnum() for c in visible) / len(visible), sum(c.isalpha() for c in visible) / len(visible))
    assert character_ratios(text) == expected
    assert character_ratios(" \n\t\u2003") == (1.0, 0.0)
