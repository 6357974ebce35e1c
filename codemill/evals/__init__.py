"""Stage 4: generate, execute in a sandbox, score pass@k, and compare runs.

The entry points are imported lazily, so that reading a recipe (which loads `config.py`) stays light.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "evaluate": "codemill.evals.runner",
    "compare_runs": "codemill.evals.compare",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
