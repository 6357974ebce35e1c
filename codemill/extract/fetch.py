"""Download a source once into the cache: progress, HTTP Range resume, atomic rename, sha256 check.

The cache is `$CODEMILL_CACHE` (default `~/.cache/codemill`). A file that is already there is used
without any request. A download in progress lives in `<file>.part`; when the connection drops, the next
attempt asks the server for the remaining bytes only (`Range`). The file appears under its final name
only once it is complete and, when a digest is pinned, matches it.
"""

from __future__ import annotations

import fcntl
import hashlib
import http.client
import json
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from codemill import __version__
from codemill.common.atomic import atomic_write_json
from codemill.common.digest import file_sha256
from codemill.common.progress import progress

CHUNK = 1 << 20
USER_AGENT = f"codemill/{__version__} (python urllib)"
TRANSIENT = (urllib.error.URLError, http.client.HTTPException, OSError)


class FetchError(OSError):
    """A download that cannot be completed; the message names the source, the url and what to do."""


def cache_root() -> Path:
    return Path(os.environ.get("CODEMILL_CACHE") or "~/.cache/codemill").expanduser()


def url_filename(url: str) -> str:
    """The last path segment of a url, made safe as a file name."""
    name = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    return re.sub(r"[^A-Za-z0-9_.+-]", "_", name).lstrip(".") or "download"


def cached_path(url: str) -> Path:
    """Where `url` is kept: `<cache>/downloads/<digest of the url>/<file name>`."""
    key = hashlib.sha256(url.encode()).hexdigest()[:16]
    return cache_root() / "downloads" / key / url_filename(url)


def _stamp(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def verified_digest(path: Path) -> str:
    """The file's sha256, remembered beside it (`.sha256.json`) so a large cached file is hashed once."""
    sidecar = path.with_name(path.name + ".sha256.json")
    try:
        known = json.loads(sidecar.read_text())
        if known["stamp"] == _stamp(path):
            return known["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    digest = file_sha256(path)
    atomic_write_json(sidecar, {"sha256": digest, "stamp": _stamp(path)})
    return digest


@contextmanager
def _locked(target: Path) -> Iterator[None]:
    """One download of a file at a time, across processes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.with_name(target.name + ".lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _validator_path(partial: Path) -> Path:
    return partial.with_name(partial.name + ".json")


def _request(url: str, partial: Path, offset: int, timeout: float):
    """GET the bytes from `offset` on; `If-Range` makes a server whose file changed send all of it again."""
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
        try:
            headers["If-Range"] = json.loads(_validator_path(partial).read_text())["validator"]
        except (OSError, ValueError, KeyError, TypeError):
            pass
    return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)


def _remember_validator(response, partial: Path) -> None:
    """Keep the strong ETag (or Last-Modified) of a full response, to resume only the same file."""
    etag = response.headers.get("ETag") or ""
    validator = etag if etag and not etag.startswith("W/") else response.headers.get("Last-Modified")
    if validator:
        atomic_write_json(_validator_path(partial), {"validator": validator})
    else:
        _validator_path(partial).unlink(missing_ok=True)


def _range_start(response) -> int | None:
    match = re.match(r"bytes (\d+)-", response.headers.get("Content-Range") or "")
    return int(match.group(1)) if match else None


def _attempt(url: str, partial: Path, label: str, timeout: float, show_progress: bool) -> bool:
    """Fetch what is missing of `partial`; True when the server says the file is complete."""
    offset = partial.stat().st_size if partial.exists() else 0
    try:
        response = _request(url, partial, offset, timeout)
    except urllib.error.HTTPError as error:
        if error.code == 416 and offset:  # the range starts at the end: nothing is missing, or the file changed
            partial.unlink()
            return False
        raise
    with response:
        if offset and (response.status != 206 or _range_start(response) != offset):
            offset = 0  # the server sent the whole file: start over
        if not offset:
            _remember_validator(response, partial)
        length = response.headers.get("Content-Length")
        total = offset + int(length) if length and length.isdigit() else None
        mode = "ab" if offset else "wb"
        with open(partial, mode) as out, progress(f"download {label} (MiB)", total and round(total / 2**20, 1),
                                                   enabled=show_progress) as bar:
            bar.advance(offset / 2**20)
            while block := response.read(CHUNK):
                out.write(block)
                bar.advance(len(block) / 2**20)
            out.flush()
            os.fsync(out.fileno())
    size = partial.stat().st_size
    if total is not None and size < total:
        raise ConnectionError(f"connection closed at byte {size:,} of {total:,}")
    return True


def download(url: str, target: Path | None = None, *, sha256: str | None = None, label: str | None = None,
             retries: int = 5, timeout: float = 60.0, show_progress: bool = True) -> Path:
    """Return the local copy of `url` (default place: `cached_path(url)`), downloading it if needed."""
    target = Path(target) if target is not None else cached_path(url)
    label = label or url_filename(url)
    expected = sha256.lower() if sha256 else None
    with _locked(target):
        if target.exists():
            if expected is None or verified_digest(target) == expected:
                return target
            target.unlink()  # a copy of something else (the pinned digest changed): fetch it again
        partial = target.with_name(target.name + ".part")
        failures = 0
        while True:
            before = partial.stat().st_size if partial.exists() else 0
            try:
                if _attempt(url, partial, label, timeout, show_progress):
                    break
                continue
            except urllib.error.HTTPError as error:
                if error.code < 500 or failures >= retries:
                    partial.unlink(missing_ok=True)
                    raise FetchError(f"{label}: {url}: HTTP {error.code} {error.reason}; check the url") from None
                reason = f"HTTP {error.code}"
            except TRANSIENT as error:
                reason = str(getattr(error, "reason", None) or error) or type(error).__name__
            grew = partial.exists() and partial.stat().st_size > before
            failures = 0 if grew else failures + 1
            if failures > retries:
                raise FetchError(f"{label}: {url}: download failed after {retries} retries ({reason}); "
                                 f"rerun to resume from {partial.stat().st_size if partial.exists() else 0:,} bytes")
            time.sleep(min(0.5 * 2 ** failures, 30))
        actual = file_sha256(partial)
        if expected is not None and actual != expected:
            partial.unlink()
            _validator_path(partial).unlink(missing_ok=True)
            raise FetchError(f"{label}: {url}: sha256 mismatch: expected {expected}, got {actual}; the download "
                             "was deleted; check the url or the pinned sha256")
        os.replace(partial, target)
        _validator_path(partial).unlink(missing_ok=True)
        atomic_write_json(target.with_name(target.name + ".sha256.json"), {"sha256": actual, "stamp": _stamp(target)})
    return target


def probe(url: str, timeout: float = 5.0) -> int | None:
    """Check that `url` answers (HEAD, or a one-byte GET where HEAD is refused); its size when known.

    Raises FetchError with the reason when it does not answer.
    """
    for method in ("HEAD", "GET"):
        headers = {"User-Agent": USER_AGENT} | ({"Range": "bytes=0-0"} if method == "GET" else {})
        request = urllib.request.Request(url, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                total = re.search(r"/(\d+)$", response.headers.get("Content-Range") or "")
                length = response.headers.get("Content-Length")
                if total:
                    return int(total.group(1))
                return int(length) if method == "HEAD" and length and length.isdigit() else None
        except urllib.error.HTTPError as error:
            if method == "HEAD" and error.code in (403, 405, 501):
                continue
            raise FetchError(f"HTTP {error.code} {error.reason}") from None
        except TRANSIENT as error:
            raise FetchError(str(getattr(error, "reason", None) or error) or type(error).__name__) from None
    return None
