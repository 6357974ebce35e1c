"""List bullets that HTML renderers draw as small filled shapes instead of setting a glyph."""

from __future__ import annotations

from codemill.extract.pdf.lines import Line


def mark_drawn_bullets(drawings: list[dict], lines: list[Line]) -> None:
    """Flag lines with a small filled dot or square just left of their first character."""
    dots = [d["rect"] for d in drawings if d.get("fill") is not None and d["rect"].width < 8 and d["rect"].height < 8]
    if not dots:
        return
    for line in lines:
        size = line.size
        for dot in dots:
            small = 0.15 * size <= dot.width <= 0.6 * size and 0.15 * size <= dot.height <= 0.6 * size
            beside = dot.x1 <= line.x0 and line.x0 - dot.x1 <= 2 * size
            level = line.y0 <= (dot.y0 + dot.y1) / 2 <= line.y1
            if small and beside and level:
                line.extra["bullet"] = True
                break
