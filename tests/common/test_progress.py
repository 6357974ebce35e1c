"""Progress degrades to plain lines when stderr is not a terminal."""

from __future__ import annotations

from codemill.common.progress import progress


def test_plain_lines_off_terminal(capsys):
    with progress("pages", total=3) as bar:
        for _ in range(3):
            bar.advance()
    assert "pages: 3/3" in capsys.readouterr().err


def test_disabled_progress_prints_nothing(capsys):
    with progress("pages", total=3, enabled=False) as bar:
        bar.advance(3)
    assert capsys.readouterr().err == ""


def test_plain_lines_thin_out_and_say_the_time_left(capsys, monkeypatch):
    from codemill.common import progress as module

    clock = [1000.0]
    monkeypatch.setattr(module.time, "monotonic", lambda: clock[0])
    with progress("steps", total=1000) as bar:
        for _ in range(1000):  # ten minutes, one step every 0.6 s
            clock[0] += 0.6
            bar.advance()
    lines = capsys.readouterr().err.splitlines()
    assert 8 <= len(lines) <= 13  # a line every 10 s would be 60
    assert lines[0].startswith("steps: 17/1,000  eta 9m") and lines[-1] == "steps: 1,000/1,000"


def test_amounts_are_rounded(capsys):
    for amount, shown in ((0.0378714, "0.04"), (1234.5678, "1,234.6")):
        with progress("scan (MiB)", total=None) as bar:
            bar.advance(amount)
        assert capsys.readouterr().err.strip() == f"scan (MiB): {shown}"
