"""Synthetic samples grounded in textbook chunks, made by a teacher model and checked by running their code.

The entry points are imported lazily, so that importing one module of the package stays light.
"""

from __future__ import annotations

from codemill.common.lazy import lazy_exports

_EXPORTS = {"synthesize": "codemill.datasets.synthesize.run", "prepare": "codemill.datasets.synthesize.run"}

__all__ = list(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
