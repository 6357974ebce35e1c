"""Stream `<row .../>` elements out of a dump XML file fed as bytes, with flat memory.

Bytes are pushed in (from a plain file or from a 7z member as it is decompressed) and each row's
attributes go to a callback; parsed rows are freed at once. Broken or truncated XML raises
`DumpError` naming the file and the byte offset where parsing stopped.
"""

from __future__ import annotations

from typing import Callable

from lxml import etree

RowHandler = Callable[[dict], None]
CHUNK = 1 << 20


class DumpError(Exception):
    """The dump cannot be read any further; the message names the file and the byte offset."""


class RowFeeder:
    """Push bytes in with `feed`, call `close` at the end; rows go to `on_row` as plain dicts."""

    def __init__(self, name: str, on_row: RowHandler, on_bytes: Callable[[int], None] | None = None):
        self.name = name
        self.on_row = on_row
        self.on_bytes = on_bytes
        self.offset = 0
        self.rows = 0
        self._parser = etree.XMLPullParser(events=("end",), tag="row", huge_tree=True, resolve_entities=False)

    def feed(self, data: bytes) -> None:
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
            f"after {self.rows:,} rows: {error.msg}; threads already written are kept"
        )


def feed_file(path, feeder: RowFeeder) -> None:
    """Push a plain XML file through `feeder` in 1 MiB chunks."""
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            feeder.feed(chunk)
    feeder.close()
