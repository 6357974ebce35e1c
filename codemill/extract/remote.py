"""Where a source's raw input comes from: a local path as is, a `url` or a StackExchange `site` downloaded.

Sites resolve to the public dumps on the Internet Archive (`<base>/<site>.7z`; Stack Overflow's are split
per table, so its `-Posts.7z` and `-Users.7z`). `CODEMILL_STACKEXCHANGE_URL` replaces the base, e.g. a
mirror or a local server.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from codemill.recipe.sources import SourceConfig
from codemill.extract.fetch import cache_root, cached_path, download, url_filename

STACKEXCHANGE_BASE = "https://archive.org/download/stackexchange"
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz")


@dataclass(frozen=True)
class Remote:
    """One file a source needs: where it is fetched from, where it is kept, and its pinned digest."""

    url: str
    target: Path
    sha256: str | None = None


def stackexchange_base() -> str:
    return (os.environ.get("CODEMILL_STACKEXCHANGE_URL") or STACKEXCHANGE_BASE).rstrip("/")


def site_urls(site: str) -> list[str]:
    """The dump files of a site (Stack Overflow's posts and users; one archive for every other site)."""
    base = stackexchange_base()
    if site == "stackoverflow.com":
        return [f"{base}/stackoverflow.com-Posts.7z", f"{base}/stackoverflow.com-Users.7z"]
    return [f"{base}/{site}.7z"]


def remotes(source: SourceConfig) -> list[Remote]:
    """The files to download for a `url:` or `site:` source (none for `path:` and `dataset:`)."""
    if source.url is not None:
        return [Remote(source.url, cached_path(source.url), source.sha256)]
    if source.site is not None:
        folder = cache_root() / "stackexchange" / source.site
        return [Remote(url, folder / url_filename(url)) for url in site_urls(source.site)]
    return []


def is_archive(path: Path) -> bool:
    return path.name.lower().endswith(ARCHIVE_SUFFIXES)


def unpack(archive: Path) -> Path:
    """Unpack a .zip or .tar(.gz/.bz2/.xz) beside itself, once; members never land outside the folder."""
    folder = archive.with_name(archive.name + ".d")
    if folder.is_dir():
        return folder
    partial = archive.with_name(archive.name + ".d.partial")
    shutil.rmtree(partial, ignore_errors=True)
    try:
        if archive.name.lower().endswith(".zip"):
            with zipfile.ZipFile(archive) as handle:
                for member in handle.namelist():
                    if member.startswith("/") or ".." in Path(member).parts:
                        raise ValueError(f"{archive}: member {member!r} points outside the archive")
                handle.extractall(partial)
        else:
            with tarfile.open(archive) as handle:
                handle.extractall(partial, filter="data")
    except (OSError, ValueError, zipfile.BadZipFile, tarfile.TarError) as error:
        shutil.rmtree(partial, ignore_errors=True)
        raise ValueError(f"{archive}: cannot unpack: {error}") from None
    os.replace(partial, folder)
    return folder


def local_input(source: SourceConfig, show_progress: bool = True) -> Path:
    """The local file or folder the extractor reads, downloading (and unpacking) what is not cached yet."""
    if source.path is not None:
        return source.path
    files = [download(r.url, r.target, sha256=r.sha256, label=f"sources[{source.name}]", show_progress=show_progress)
             for r in remotes(source)]
    if source.site is not None:
        return files[0].parent if len(files) > 1 else files[0]
    if source.type == "pdf" and is_archive(files[0]):
        return unpack(files[0])
    return files[0]
