"""Tables of contents and back-of-book indexes: navigation, not text, so they leave the flow.

A contents page is one where several lines end in a page number after dot leaders, or in a page
number set flush with the right edge that the leader lines share; an index page is one where most
lines are a term followed by page numbers ('Devoxx, 2', 'lists, 12-14, 30'). On such a page the run
from its first to its last entry is marked (letter group labels and wrapped entries included), plus
a 'Contents' title right above it, so none of it turns into a paragraph of `. . . 11`.
"""

from __future__ import annotations

import re

from codemill.extract.pdf.lines import Line

_LEADERS = re.compile(r"(?:\.\s?){3,}\s*(?:\d{1,4}|[ivxlcdm]{1,6})?\s*$|…\s*\d{1,4}\s*$", re.IGNORECASE)
_NUMBER = re.compile(r"^(?:\d{1,4}|[ivxlcdm]{1,6})$", re.IGNORECASE)
_ENDS_NUMBER = re.compile(r"\s(?:\d{1,4}|[ivxlcdm]{1,6})$", re.IGNORECASE)
_COUNTER = re.compile(r"^(?:\d{1,3}(?:\.\d{1,3})*\.?|[A-Z]\.\d{1,3}(?:\.\d{1,3})*)$")
_INDEX_ENTRY = re.compile(r"^\D.{0,80}?,\s*\d{1,4}(?:\s*[-–]\s*\d{1,4})?(?:\s*,\s*\d{1,4}(?:\s*[-–]\s*\d{1,4})?)*\.?$")
_RUN_GAP = 3  # lines between two entries of one run: a title wrapped over lines, a part or letter label
_CONTENTS_TITLE = re.compile(r"^(?:table of )?contents$|^inhalt(?:sverzeichnis)?$|^table des matières$|^índice$", re.IGNORECASE)


def mark_contents(pages: list[list[Line]]) -> dict[int, str]:
    """Mark contents and index lines `kind = "contents"`; returns {page index: "contents" | "index"}."""
    roles: dict[int, str] = {}
    for index, lines in enumerate(pages):
        body = [line for line in lines if line.kind not in ("furniture", "image")]
        role = _page_role(body)
        if role is None:
            continue
        entry = _is_toc_entry if role == "contents" else _is_index_entry
        edge = max((line.x1 for line in body if _LEADERS.search(line.text) or _NUMBER.match(line.text.strip())), default=None)
        hits = [i for i, line in enumerate(body) if entry(line, edge)]
        titled = {i for i in hits if not _NUMBER.match(body[i].text.strip())}
        for first, last in _entry_runs(hits, titled):
            while first and _leads_entry(body[first - 1], body[first]):
                first -= 1  # the title whose page number sits apart on its row, a section number, a letter label
            if first and _CONTENTS_TITLE.match(body[first - 1].text.strip()):
                first -= 1
            for line in body[first : last + 1]:
                line.kind = "contents"
        roles[index] = role
    return roles


def _entry_runs(hits: list[int], titled: set[int]) -> list[tuple[int, int]]:
    """(first, last) of each run of entries no more than _RUN_GAP lines apart (wrapped titles, part
    labels) that holds two or more with a title: a bare number further on is the text's (a listing's
    output under a contents list that ends mid-page, as DocBook's article sets it), not an entry."""
    runs = [[hits[0], hits[0], int(hits[0] in titled)]]
    for hit in hits[1:]:
        if hit - runs[-1][1] - 1 <= _RUN_GAP:
            runs[-1][1:] = [hit, runs[-1][2] + (hit in titled)]
        else:
            runs.append([hit, hit, int(hit in titled)])
    return [(first, last) for first, last, count in runs if count >= 2]


def _page_role(body: list[Line]) -> str | None:
    if len(body) < 3:
        return None
    leaders = sum(1 for line in body if _LEADERS.search(line.text))
    if leaders >= 3 and leaders >= 0.2 * len(body):
        return "contents"
    entries = sum(1 for line in body if _INDEX_ENTRY.match(line.text.strip()))
    if entries >= 4 and entries >= 0.3 * len(body):
        return "index"
    return None


def _is_toc_entry(line: Line, edge: float | None) -> bool:
    """Dot leaders (the page number may sit apart), a bare page number, or a line ending in a number
    flush with the edge the page numbers share."""
    text = line.text.strip()
    if _LEADERS.search(text) or _NUMBER.match(text):
        return True
    flush = edge is not None and abs(line.x1 - edge) <= 0.5 * line.size
    return flush and bool(_NUMBER.match(text) or _ENDS_NUMBER.search(text))


def _leads_entry(line: Line, entry: Line) -> bool:
    same_row = abs(line.baseline - entry.baseline) < 0.35 * line.size and line.x1 < entry.x0
    return same_row or bool(_COUNTER.match(line.text.strip())) or len(line.text.strip()) <= 2


def _is_index_entry(line: Line, edge: float | None) -> bool:
    return bool(_INDEX_ENTRY.match(line.text.strip()))
