"""Downloads through the real client against a loopback server serving the shared .7z dump and a PDF."""

from __future__ import annotations

import hashlib
import shutil

import pytest

from codemill.extract.fetch import FetchError, cached_path, download, probe
from tests.loopback import LoopbackServer


@pytest.fixture
def served(shared_data, tmp_path, monkeypatch):
    monkeypatch.setenv("CODEMILL_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "www"
    root.mkdir()
    shutil.copy(shared_data / "stackexchange" / "cardano.stackexchange.com.7z", root)
    shutil.copy(sorted((shared_data / "pdfs" / "py4e").glob("*.pdf"))[0], root / "book.pdf")
    with LoopbackServer(root) as server:
        yield server, root


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_download_then_cache_hit_makes_no_request(served):
    server, root = served
    url = f"{server.url}/cardano.stackexchange.com.7z"
    got = download(url, sha256=_sha(root / "cardano.stackexchange.com.7z"), show_progress=False)
    assert got == cached_path(url) and got.name == "cardano.stackexchange.com.7z"
    assert got.read_bytes() == (root / "cardano.stackexchange.com.7z").read_bytes()
    assert len(server.gets()) == 1
    before = len(server.requests)
    assert download(url, sha256=_sha(got), show_progress=False) == got
    assert len(server.requests) == before  # the cached copy is used without asking the server
    assert not list(got.parent.glob("*.part"))


def test_resume_after_the_server_drops_the_connection(served):
    server, root = served
    server.drops = 1
    url = f"{server.url}/book.pdf"
    got = download(url, show_progress=False)
    assert got.read_bytes() == (root / "book.pdf").read_bytes()
    first, second = server.gets()
    size = (root / "book.pdf").stat().st_size
    assert first[2] is None and second[2] == f"bytes={size // 2}-"  # the second request asks for the rest only


def test_sha256_mismatch_names_the_source_and_both_digests_and_keeps_nothing(served):
    server, root = served
    url = f"{server.url}/book.pdf"
    wrong = "0" * 64
    with pytest.raises(FetchError) as error:
        download(url, sha256=wrong, label="sources[book]", show_progress=False)
    message = str(error.value)
    assert "sources[book]" in message and wrong in message and _sha(root / "book.pdf") in message
    assert not cached_path(url).exists() and not list(cached_path(url).parent.glob("*.part"))


def test_404_is_one_clear_error(served):
    server, _ = served
    with pytest.raises(FetchError, match=r"sources\[x\]: .*/missing\.7z: HTTP 404"):
        download(f"{server.url}/missing.7z", label="sources[x]", show_progress=False)
    with pytest.raises(FetchError, match="HTTP 404"):
        probe(f"{server.url}/missing.7z")


def test_probe_reports_the_size_with_a_head_request(served):
    server, root = served
    assert probe(f"{server.url}/book.pdf") == (root / "book.pdf").stat().st_size
    assert server.requests[-1][0] == "HEAD"


def test_a_url_archive_of_pdfs_is_unpacked_once_and_unsafe_members_refused(served, tmp_path):
    import zipfile

    from codemill.recipe.sources import SourceConfig
    from codemill.extract.remote import local_input

    server, root = served
    with zipfile.ZipFile(root / "books.zip", "w") as handle:
        handle.write(root / "book.pdf", "books/book.pdf")
    source = SourceConfig(name="books", type="pdf", url=f"{server.url}/books.zip")
    folder = local_input(source, show_progress=False)
    assert (folder / "books" / "book.pdf").read_bytes() == (root / "book.pdf").read_bytes()
    assert local_input(source, show_progress=False) == folder and len(server.gets()) == 1
    with zipfile.ZipFile(root / "evil.zip", "w") as handle:
        handle.writestr("../outside.pdf", b"%PDF")
    with pytest.raises(ValueError, match="points outside the archive"):
        local_input(SourceConfig(name="evil", type="pdf", url=f"{server.url}/evil.zip"), show_progress=False)
    assert not list(tmp_path.rglob("outside.pdf"))


def test_a_file_that_changed_while_resuming_is_fetched_whole_again(served):
    server, root = served
    new = (root / "cardano.stackexchange.com.7z").read_bytes()[:300_000]
    server.drops = 1
    server.after_drop = lambda: (root / "book.pdf").write_bytes(new)
    got = download(f"{server.url}/book.pdf", show_progress=False)
    assert got.read_bytes() == new  # no splice of the old file's first half with the new file's rest
    first, second = server.gets()
    assert second[2] is not None  # it asked for the rest; the server's If-Range check sent the whole file
