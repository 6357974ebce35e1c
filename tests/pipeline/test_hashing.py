"""Content digests: they follow file content and names, ignore bookkeeping files, and reuse the stat cache."""

from __future__ import annotations

from codemill.pipeline.hashing import MISSING, ContentHasher, digest_value


def test_value_digest_ignores_key_order():
    assert digest_value({"a": 1, "b": [1, 2]}) == digest_value({"b": [1, 2], "a": 1})
    assert digest_value({"a": 1}) != digest_value({"a": 2})


def test_tree_digest_follows_content_and_names(tmp_path):
    hasher = ContentHasher()
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.md").write_text("one")
    first = hasher.tree(tmp_path)
    (tmp_path / "sub" / "x.md").write_text("two")
    second = hasher.tree(tmp_path)
    (tmp_path / "sub" / "x.md").rename(tmp_path / "sub" / "y.md")
    third = hasher.tree(tmp_path)
    assert len({first, second, third}) == 3


def test_tree_digest_ignores_temporary_and_manifest_files(tmp_path):
    hasher = ContentHasher()
    (tmp_path / "x.md").write_text("one")
    before = hasher.tree(tmp_path)
    (tmp_path / ".x.md.abc.tmp").write_text("half written")
    (tmp_path / "pdf.manifest.jsonl").write_text('{"fingerprint": "f"}\n')
    assert hasher.tree(tmp_path) == before


def test_missing_path_has_its_own_digest(tmp_path):
    assert ContentHasher().tree(tmp_path / "nope") == MISSING


def test_cache_entry_is_reused_while_size_and_mtime_match(tmp_path):
    path = tmp_path / "big.bin"
    path.write_bytes(b"abc")
    hasher = ContentHasher()
    digest = hasher.file(path)
    stat = path.stat()
    reused = ContentHasher({str(path.resolve()): [stat.st_size, stat.st_mtime_ns, "from-cache"]})
    assert reused.file(path) == "from-cache"
    path.write_bytes(b"abcd")
    assert reused.file(path) != "from-cache" and hasher.file(path) != digest


def test_forget_missing_drops_deleted_files(tmp_path):
    path = tmp_path / "gone.txt"
    path.write_text("x")
    hasher = ContentHasher()
    hasher.file(path)
    path.unlink()
    hasher.forget_missing()
    assert hasher.cache == {}
