"""Stage 2: curate extracted documents into a training set (datatrove pipeline).

The entry points are imported lazily, so that importing one module of the package stays light.
"""

from __future__ import annotations

from codemill.common.lazy import lazy_exports

_EXPORTS = {
    "build_dataset": "codemill.datasets.build",
}

__all__ = list(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
