"""Row streaming: both tag formats, malformed rows counted, truncated XML reported with its byte offset."""

from __future__ import annotations

import pytest

from codemill.extract.stackexchange.rows import DumpError, RowFeeder, feed_file
from codemill.extract.stackexchange.scan import parse_tags


def test_both_tag_formats():
    assert parse_tags("<python><pandas>") == ["python", "pandas"]
    assert parse_tags("|python|pandas|") == ["python", "pandas"]
    assert parse_tags(None) == [] and parse_tags("") == []


def test_rows_stream_in_any_chunking(tmp_path):
    text = '<?xml version="1.0"?>\n<posts>\n' + "".join(f'<row Id="{i}" Body="&lt;p&gt;{i}&lt;/p&gt;" />\n' for i in range(50)) + "</posts>\n"
    rows = []
    feeder = RowFeeder("Posts.xml", rows.append)
    data = text.encode()
    for start in range(0, len(data), 7):
        feeder.feed(data[start:start + 7])
    feeder.close()
    assert [r["Id"] for r in rows] == [str(i) for i in range(50)] and rows[3]["Body"] == "<p>3</p>"


def test_truncated_xml_names_file_and_offset(tmp_path):
    path = tmp_path / "Posts.xml"
    path.write_bytes(b'<?xml version="1.0"?>\n<posts>\n<row Id="1" />\n<row Id="2" Bo')
    rows = []
    with pytest.raises(DumpError) as caught:
        feed_file(path, RowFeeder(str(path), rows.append))
    message = str(caught.value)
    assert str(path) in message and f"byte {path.stat().st_size:,}" in message
    assert [r["Id"] for r in rows] == ["1"]


def test_malformed_xml_in_the_middle_names_the_line(tmp_path):
    path = tmp_path / "Posts.xml"
    path.write_bytes(b'<?xml version="1.0"?>\n<posts>\n<row Id="1" />\n<row Id="2" <<< />\n<row Id="3" />\n</posts>\n')
    with pytest.raises(DumpError, match=r"Posts.xml: malformed XML .* \(line 4"):
        feed_file(path, RowFeeder(str(path), lambda row: None))
