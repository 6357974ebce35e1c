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


class _Spill:
    def __init__(self):
        self.rows = {"questions": [], "answers": [], "users": []}

    def add(self, table, row):
        self.rows[table].append(row)


def test_row_filters_name_their_reason():
    from codemill.recipe.stackexchange import StackExchangeOptions
    from codemill.extract.stackexchange.scan import Scanner
    from codemill.extract.stackexchange.summary import SkipLog

    spill, skips = _Spill(), SkipLog()
    scanner = Scanner(spill, StackExchangeOptions(min_answer_score=0, exclude_tags=["spam"]), skips)
    rows = [
        {"Id": "1", "PostTypeId": "1", "Body": "<p>q</p>", "Tags": "<ok>"},
        {"Id": "2", "PostTypeId": "1", "Body": "<p>q</p>", "DeletionDate": "2020-01-01"},
        {"Id": "3", "PostTypeId": "1", "Body": "  "},
        {"Id": "4", "PostTypeId": "1", "Body": "<p>q</p>", "Tags": "|spam|"},
        {"Id": "5", "PostTypeId": "2", "ParentId": "1", "Body": "<p>a</p>", "Score": "-1"},
        {"Id": "6", "PostTypeId": "2", "Body": "<p>a</p>"},
        {"Id": "7", "PostTypeId": "2", "ParentId": "1", "Body": ""},
        {"Id": "8", "PostTypeId": "2", "ParentId": "1", "Body": "<p>a</p>", "Score": "abc"},
        {"Id": "9", "PostTypeId": "2", "ParentId": "1", "Body": "<p>a</p>", "Score": "2"},
    ]
    for row in rows:
        scanner.on_post(row)
    assert {reason: entry["first_ids"] for reason, entry in skips.to_dict().items()} == {
        "deleted": [2], "empty": [3], "excluded_tag": [4], "answer_score_below_minimum": [5],
        "answer_without_question": [6], "answer_empty": [7], "malformed_row": ["8"]}
    assert [row[0] for row in spill.rows["questions"]] == [1] and [row[0] for row in spill.rows["answers"]] == [9]
