"""Atomic writes: the target holds the old content or the new, never a torn mix; no temp files linger."""

from __future__ import annotations

import json

import pytest

from codemill.common.atomic import atomic_open, atomic_write_bytes, atomic_write_json, atomic_write_text


def test_writes_text_bytes_and_json(tmp_path):
    atomic_write_text(tmp_path / "a" / "b.txt", "héllo")
    atomic_write_bytes(tmp_path / "c.bin", b"\x00\x01")
    atomic_write_json(tmp_path / "d.json", {"k": [1, 2]})
    assert (tmp_path / "a" / "b.txt").read_text(encoding="utf-8") == "héllo"
    assert (tmp_path / "c.bin").read_bytes() == b"\x00\x01"
    assert json.loads((tmp_path / "d.json").read_text()) == {"k": [1, 2]}


def test_failure_mid_write_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_open(target) as handle:
            handle.write("new, half written")
            raise RuntimeError("crash")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_replaces_existing_file(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    atomic_write_text(target, "new")
    assert target.read_text() == "new"


def test_rejects_read_modes(tmp_path):
    with pytest.raises(ValueError):
        with atomic_open(tmp_path / "x", "r"):
            pass


def test_output_gets_the_usual_permissions(tmp_path):
    import os

    mask = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "report.html", "x")
    finally:
        os.umask(mask)
    assert (tmp_path / "report.html").stat().st_mode & 0o777 == 0o644
