"""StackExchange data dump -> Q&A threads in markdown, streamed, with attribution.

The entry points are imported lazily, so that importing one module of the package stays light.
"""

from __future__ import annotations

from codemill.common.lazy import lazy_exports

_EXPORTS = {
    "StackExchangeOptions": "codemill.recipe.stackexchange",
    "StackExchangeSummary": "codemill.extract.stackexchange.summary",
    "extract_stackexchange": "codemill.extract.stackexchange.extract",
    "html_to_markdown": "codemill.extract.stackexchange.html_markdown",
}

__all__ = list(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
