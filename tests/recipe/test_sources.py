"""The `sources` keys: one origin per source, site names normalised, per-type keys refused elsewhere."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from codemill.recipe.sources import SourceConfig


@pytest.mark.parametrize("given", ["codereview.stackexchange.com", "https://CodeReview.stackexchange.com/",
                                   " http://codereview.stackexchange.com/questions "])
def test_a_site_is_its_host_name(given):
    source = SourceConfig(name="cr", type="stackexchange", site=given)
    assert source.site == "codereview.stackexchange.com" and source.origin == "site"


@pytest.mark.parametrize("keys, message", [
    ({"type": "stackexchange", "site": "not a site"}, "give the site's host name"),
    ({"type": "pdf", "url": "ftp://x/y.pdf"}, "should match pattern"),
    ({"type": "pdf", "path": "a", "text": "body"}, "text: only for `type: huggingface` sources"),
    ({"type": "huggingface", "dataset": "o/n", "question": "q"}, "needs both `question: FIELD` and `answer: FIELD`"),
    ({"type": "huggingface", "dataset": "o/n", "text": "t", "question": "q", "answer": "a"}, "map the dataset's fields"),
    ({"type": "stackexchange", "path": "a", "sha256": "0" * 64}, "sha256: checks a `url:` download"),
])
def test_bad_combinations_say_what_to_do(keys, message):
    with pytest.raises(ValidationError, match=message.replace("`", ".").replace("(", ".").replace(")", ".")):
        SourceConfig(name="s", **keys)
