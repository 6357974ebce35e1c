"""Licence versions by date, the dump's own field first, and the thread's attribution line."""

from __future__ import annotations

from codemill.extract.stackexchange.licenses import attribution, license_by_date, post_license, thread_license


def test_boundaries_follow_the_published_dates():
    assert license_by_date("2011-04-07T23:59:59.999") == "CC BY-SA 2.5"
    assert license_by_date("2011-04-08T00:00:00.000") == "CC BY-SA 3.0"
    assert license_by_date("2018-05-01T23:59:59.999") == "CC BY-SA 3.0"
    assert license_by_date("2018-05-02T00:00:00.000") == "CC BY-SA 4.0"


def test_dump_field_wins_and_last_edit_dates_the_current_text():
    assert post_license("CC BY-SA 3.0", "2020-01-01", None) == "CC BY-SA 3.0"
    assert post_license(None, "2010-01-01", "2019-01-01") == "CC BY-SA 4.0"
    assert post_license(None, "2010-01-01", None) == "CC BY-SA 2.5"


def test_thread_takes_the_newest_version_and_attribution_names_everyone_once():
    assert thread_license(["CC BY-SA 2.5", "CC BY-SA 4.0", "CC BY-SA 3.0"])["name"] == "CC BY-SA 4.0"
    line = attribution("T", "https://s.example/questions/1", "s.example", ["Ada", None, "Bob", "Ada"], "CC BY-SA 3.0")
    assert line == '"T" by Ada, Bob, from s.example (https://s.example/questions/1), licensed under CC BY-SA 3.0.'
