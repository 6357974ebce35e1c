"""Stream `<row .../>` elements out of a dump XML file fed as bytes, with flat memory.

Bytes are pushed in (from a plain file or from a 7z member as it is decompressed) and each row's
attributes go to a callback; parsed rows are freed at once. Broken or truncated XML raises
`DumpError` naming the file and the byte offset where parsing stopped. With `on_bad_row` (the
`--skip-bad-rows` option) rows are parsed one line at a time instead (dumps write one row a line), so
a row with a bad byte is handed to `on_bad_row` and the rest of the file is still read.
"""

from __future__ import annotations

import re
from typing import Callable

from lxml import etree

RowHandler = Callable[[dict], None]
BadRowHandler = Callable[[str, int, "str | None"], None]  # (file label, line number, row id if legible)
CHUNK = 1 << 20
MAX_ROW_BYTES = 64 << 20  # a "row" longer than this is a broken file, not a long post
SKIP_HINT = "pass --skip-bad-rows (recipe: stackexchange.skip_bad_rows: true) to skip unreadable rows and count them"
_ROW_ID = re.compile(rb'\bId="(\d+)"')


class DumpError(Exception):
    """The dump cannot be read any further; the message names the file and the byte offset."""


class RowFeeder:
    """Push bytes in with `feed`, call `close` at the end; rows go to `on_row` as plain dicts."""

    def __init__(self, name: str, on_row: RowHandler, on_bytes: Callable[[int], None] | None = None,
                 on_bad_row: BadRowHandler | None = None):
        self.name = name
        self.on_row = on_row
        self.on_bytes = on_bytes
        self.on_bad_row = on_bad_row
        self.offset = 0
        self.rows = 0
        self._parser = etree.XMLPullParser(events=("end",), tag="row", huge_tree=True, resolve_entities=False)
        self._pending = b""  # line mode: the bytes after the last complete line
        self._row = b""  # line mode: a row that spans lines so far
        self._line = 0
        self._row_line = 0

    def feed(self, data: bytes) -> None:
        if self.on_bad_row is not None:
            self._feed_lines(data)
            return
        start = self.offset
        self.offset += len(data)
        try:
            self._parser.feed(data)
        except etree.XMLSyntaxError as error:
            self._drain()  # the rows before the error, so that the count in the message is right
            raise self._error(error, start) from None
        self._drain()
        if self.on_bytes:
            self.on_bytes(len(data))

    def close(self) -> None:
        if self.on_bad_row is not None:
            if self._pending:
                self._take_line(self._pending)
            if self._row:
                self._bad(self._row)
            return
        try:
            self._parser.close()
        except etree.XMLSyntaxError as error:
            raise DumpError(
                f"{self.name}: the XML ends early at byte {self.offset:,} after {self.rows:,} rows "
                f"(the file looks truncated: {error.msg}); threads already written are kept"
            ) from None
        self._drain()

    def _drain(self) -> None:
        for _, element in self._parser.read_events():
            self.rows += 1
            self.on_row(dict(element.attrib))
            element.clear()
            parent = element.getparent()
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]

    def _error(self, error: etree.XMLSyntaxError, chunk_start: int) -> DumpError:
        line, column = error.position if error.position else (0, 0)
        return DumpError(
            f"{self.name}: malformed XML in the bytes {chunk_start:,}-{self.offset:,} (line {line}, column {column}) "
            f"after {self.rows:,} rows: {error.msg}; threads already written are kept; {SKIP_HINT}"
        )

    def _feed_lines(self, data: bytes) -> None:
        self.offset += len(data)
        lines = (self._pending + data).split(b"\n")
        self._pending = lines.pop()
        for line in lines:
            self._take_line(line)
        if len(self._pending) > MAX_ROW_BYTES:
            self._bad(self._pending)
            self._pending = b""
        if self.on_bytes:
            self.on_bytes(len(data))

    def _take_line(self, line: bytes) -> None:
        """Line mode: collect one `<row .../>` (usually one line) and parse it on its own."""
        self._line += 1
        text = line.strip()
        if not self._row:
            if not text.startswith(b"<row"):
                return  # the XML declaration, the root element's tags, blank lines
            self._row_line = self._line
        self._row += line + b"\n"
        if not text.endswith(b"/>") and len(self._row) <= MAX_ROW_BYTES:
            return
        row, self._row = self._row, b""
        try:
            element = etree.fromstring(row, etree.XMLParser(huge_tree=True, resolve_entities=False))
        except etree.XMLSyntaxError:
            self._bad(row)
            return
        if element.tag != "row":
            self._bad(row)
            return
        self.rows += 1
        self.on_row(dict(element.attrib))

    def _bad(self, row: bytes) -> None:
        found = _ROW_ID.search(row)
        self.on_bad_row(self.name, self._row_line or self._line, found.group(1).decode() if found else None)


def feed_file(path, feeder: RowFeeder) -> None:
    """Push a plain XML file through `feeder` in 1 MiB chunks."""
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            feeder.feed(chunk)
    feeder.close()
