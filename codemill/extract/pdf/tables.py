"""Tables: runs of rows split into the same aligned cells become GFM pipe tables.

Rows whose pieces (text separated by wide gaps) start at shared x positions, three rows or more,
with three columns or short cells, are a table; a two-column run of long cells is a definition
list and stays prose.
"""

from __future__ import annotations

from codemill.extract.markdown import escape_text
from codemill.extract.pdf.lines import Line

MIN_ROWS = 3
SHORT_CELL = 40  # characters; longer two-column cells read as term + definition


def _rows(lines: list[Line]) -> list[list[Line]]:
    """Consecutive flow lines that share a baseline on one page form a row."""
    rows: list[list[Line]] = []
    for line in lines:
        prev = rows[-1][-1] if rows else None
        same_row = prev is not None and prev.page == line.page and abs(prev.baseline - line.baseline) < 0.3 * line.size and line.x0 > prev.x1
        if same_row:
            rows[-1].append(line)
        else:
            rows.append([line])
    return rows


def _columns(rows: list[list[Line]], tolerance: float = 3.0) -> list[float]:
    starts = sorted(piece.x0 for row in rows for piece in row)
    columns: list[float] = []
    for x in starts:
        if not columns or x - columns[-1] > tolerance:
            columns.append(x)
    return columns


def _is_table(rows: list[list[Line]]) -> bool:
    if len(rows) < MIN_ROWS:
        return False
    columns = _columns(rows)
    if len(columns) > max(len(row) for row in rows) or len(columns) < 2:
        return False  # cells must line up, not wander
    if len(columns) == 2 and any(len(piece.text) > SHORT_CELL for row in rows for piece in row):
        return False
    return True


def mark_tables(lines: list[Line]) -> None:
    """Set `kind = "table"` and the row number on lines that form tables."""
    run: list[list[Line]] = []
    table_id = 0
    for row in _rows(lines) + [[]]:
        multi = len(row) >= 2 and all(piece.kind == "text" for piece in row)
        close = multi and run and row[0].page == run[-1][0].page and row[0].baseline - run[-1][0].baseline < 2.5 * row[0].size
        if multi and (not run or close):
            run.append(row)
            continue
        if _is_table(run):
            table_id += 1
            for index, cells in enumerate(run):
                for piece in cells:
                    piece.kind = "table"
                    piece.extra.update(table=table_id, row=index)
        run = [row] if multi else []


def table_markdown(lines: list[Line]) -> str:
    """A pipe table from the lines of one table block; the first row is the header."""
    rows: dict[int, list[Line]] = {}
    for line in lines:
        rows.setdefault(line.extra["row"], []).append(line)
    grid_rows = list(rows.values())
    columns = _columns(grid_rows)
    grid = []
    for row in grid_rows:
        cells = [""] * len(columns)
        for piece in row:
            index = max(i for i, x in enumerate(columns) if x <= piece.x0 + 3.0)
            cells[index] = (cells[index] + " " + escape_text(piece.text.strip()).replace("|", "\\|")).strip()
        grid.append(cells)
    return pipe_table(grid)


def pipe_table(grid: list[list[str]]) -> str:
    """GFM pipe table text; the first row is the header."""
    header, body = grid[0], grid[1:]
    lines_out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines_out += ["| " + " | ".join(cells) + " |" for cells in body]
    return "\n".join(lines_out)
