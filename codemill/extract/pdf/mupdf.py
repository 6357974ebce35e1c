"""pymupdf as the extractor needs it: without the optional packages it imports on its own, and with
the glyph boxes our geometry was tuned on.

pymupdf tries `pymupdf.layout` (onnxruntime and an ONNX model) and `pymupdf4llm`: about a second
per process, more than extracting a short book, for `Page.get_layout` and `Document.to_markdown`,
which we never call. They are blocked only while pymupdf initialises, so importing either of them
afterwards still works; only pymupdf's own `Document.to_markdown` shortcut stays unavailable.
Importing pymupdf4llm also switched off pymupdf's quad corrections for the whole process; the
extraction depended on that without saying so (running heads of the printed py4e leaked into the
text without it), so it is switched off here, installed or not.
"""

from __future__ import annotations

import sys

_OPTIONAL = ("pymupdf.layout", "pymupdf4llm")
_blocked = [] if "pymupdf" in sys.modules else [name for name in _OPTIONAL if name not in sys.modules]
for _name in _blocked:
    sys.modules[_name] = None  # pymupdf's import of it raises ImportError, which pymupdf catches
try:
    import pymupdf
finally:
    for _name in _blocked:
        del sys.modules[_name]

pymupdf.TOOLS.unset_quad_corrections(True)

__all__ = ["pymupdf"]
