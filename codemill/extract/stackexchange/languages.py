"""Which language to put on a code fence: the post's own hint first, then the question's tags."""

from __future__ import annotations

import re

# Short names used by StackExchange's highlighter (`lang-xx`) mapped to the usual fence names.
_ALIASES = {
    "js": "javascript", "javascript": "javascript", "ts": "typescript", "typescript": "typescript",
    "py": "python", "python": "python", "python3": "python", "hs": "haskell", "haskell": "haskell",
    "sh": "bash", "bash": "bash", "shell": "bash", "console": "bash", "cs": "csharp", "csharp": "csharp",
    "c#": "csharp", "cpp": "cpp", "c++": "cpp", "c": "c", "java": "java", "rb": "ruby", "ruby": "ruby",
    "go": "go", "golang": "go", "rust": "rust", "rs": "rust", "kotlin": "kotlin", "kt": "kotlin",
    "swift": "swift", "php": "php", "perl": "perl", "pl": "perl", "r": "r", "sql": "sql",
    "html": "html", "xml": "xml", "css": "css", "json": "json", "yaml": "yaml", "yml": "yaml",
    "toml": "toml", "scala": "scala", "lua": "lua", "dart": "dart", "ocaml": "ocaml", "ml": "ocaml",
    "elixir": "elixir", "erlang": "erlang", "clojure": "clojure", "lisp": "lisp", "scheme": "scheme",
    "matlab": "matlab", "vb": "vbnet", "vbnet": "vbnet", "powershell": "powershell", "ps1": "powershell",
    "dockerfile": "dockerfile", "makefile": "makefile", "solidity": "solidity", "plutus": "haskell",
    "fsharp": "fsharp", "f#": "fsharp", "julia": "julia", "nix": "nix", "latex": "latex", "tex": "latex",
    "diff": "diff", "ini": "ini", "groovy": "groovy", "objective-c": "objectivec", "objc": "objectivec",
}
# Highlighter short codes that, as tags, usually mean something else ("ml": machine learning).
_NOT_TAGS = {"js", "ts", "py", "hs", "sh", "cs", "rb", "rs", "kt", "pl", "ml", "vb", "ps1", "yml", "console", "shell"}
# Hints that explicitly ask for no highlighting.
_PLAIN = {"none", "default", "text", "plaintext", "lang-none", "nohighlight"}
_TAG_VERSION = re.compile(r"-(\d[\w.]*|x)$")


def alias(name: str | None) -> str | None:
    """A highlighter name (`lang-js`, `language-python`, `js`) as a fence language, '' for 'none'."""
    if not name:
        return None
    name = name.strip().lower()
    for prefix in ("lang-", "language-"):
        if name.startswith(prefix):
            name = name[len(prefix):]
    if name in _PLAIN:
        return ""
    return _ALIASES.get(name, name if re.fullmatch(r"[a-z0-9_+#.-]{1,30}", name) else None)


def from_classes(class_attr: str | None) -> str | None:
    """The language named by a `class="lang-py ..."` or `class="language-python"` attribute."""
    if not class_attr:
        return None
    for token in class_attr.split():
        if token.startswith(("lang-", "language-")):
            return alias(token)
    return None


def from_tags(tags: list[str]) -> str | None:
    """The first tag that names a language (`python-3.x` -> python), as StackExchange's own default."""
    for tag in tags:
        for candidate in (tag, _TAG_VERSION.sub("", tag)):
            if candidate in _ALIASES and candidate not in _NOT_TAGS:
                return _ALIASES[candidate]
    return None
