"""Stage 2: curate extracted documents into a training set (datatrove pipeline).

The entry points are imported lazily, so that reading a recipe (which loads `config.py`) stays light.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "build_dataset": "codemill.datasets.build",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
