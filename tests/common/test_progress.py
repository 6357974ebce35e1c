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
