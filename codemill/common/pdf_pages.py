"""Drop the pages an extraction flagged from its markdown, using the page ranges in `<stem>.json`.

The pdf extractor writes the ranges and `data build` reads them: a bottom module, free of pymupdf.
"""

from __future__ import annotations

from collections.abc import Collection


def drop_flagged_pages(markdown: str, report: dict, warnings: Collection[str]) -> tuple[str, int]:
    """The markdown without the text of pages whose report carries any of `warnings`, and how many
    pages were dropped. Reports written before page ranges existed leave the text as it is."""
    if not warnings:
        return markdown, 0
    cuts, dropped = [], 0
    pages = report.get("page_reports")
    for page in pages if isinstance(pages, list) else []:
        if isinstance(page, dict) and set(page.get("warnings") or ()) & set(warnings):
            dropped += 1
            cuts += [(r[0], r[1]) for r in page.get("chars") or () if isinstance(r, list) and len(r) == 2 and all(isinstance(x, int) for x in r)]
    if not cuts:
        return markdown, dropped
    kept, at = [], 0
    for start, end in sorted(cuts):
        kept.append(markdown[at:start])
        at = max(at, end)
    kept.append(markdown[at:])
    text = "\n\n".join(part.strip("\n") for part in kept if part.strip())
    return (text + "\n" if text else ""), dropped
