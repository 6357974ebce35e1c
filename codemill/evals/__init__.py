"""Stage 4: generate, execute in a sandbox, score pass@k, and compare runs.

The entry points are imported lazily, so that importing one module of the package stays light.
"""

from __future__ import annotations

from codemill.common.lazy import lazy_exports

_EXPORTS = {
    "evaluate": "codemill.evals.runner",
    "compare_runs": "codemill.evals.compare",
}

__all__ = list(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
