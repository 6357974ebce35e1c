"""Fence languages from highlighter hints and tags."""

from __future__ import annotations

from codemill.extract.stackexchange.languages import alias, from_classes, from_tags


def test_hint_names_are_expanded_and_none_means_unlabelled():
    assert alias("lang-js") == "javascript" and alias("language-python") == "python" and alias("hs") == "haskell"
    assert alias("lang-none") == "" and alias("default") == ""
    assert alias("lang-<script>") is None and alias(None) is None


def test_classes_and_tags():
    assert from_classes("prettyprint-override lang-rb s-code-block") == "ruby"
    assert from_classes("s-code-block") is None
    assert from_tags(["pandas", "python-3.x"]) == "python"
    assert from_tags(["c++", "templates"]) == "cpp"
    assert from_tags(["cardano-cli", "plutus"]) == "haskell"
    assert from_tags(["staking", "wallet"]) is None
    assert from_tags(["ml", "cs", "shell"]) is None
