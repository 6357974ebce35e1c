"""StackExchange data dump -> Q&A threads in markdown, streamed, with attribution.

The entry points are imported lazily, so that reading a recipe (which loads `config.py`) stays light.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "StackExchangeOptions": "codemill.extract.stackexchange.config",
    "StackExchangeSummary": "codemill.extract.stackexchange.summary",
    "extract_stackexchange": "codemill.extract.stackexchange.extract",
    "html_to_markdown": "codemill.extract.stackexchange.html_markdown",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
