"""Find a dump's Posts.xml and Users.xml (plain files or members of `.7z` archives) and stream them.

SOURCE may be a site folder (XML files or `.7z` archives), one Posts.xml, or one `.7z` archive.
Archive members are decompressed as a stream by py7zr straight into the XML parser: nothing is
unpacked to disk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import py7zr
from py7zr.io import Py7zIO, WriterFactory

from codemill.extract.stackexchange.rows import BadRowHandler, DumpError, RowFeeder, feed_file


@dataclass(frozen=True)
class Member:
    """One dump file: a plain XML file, or the member `inner` of the archive at `path`."""

    path: Path
    inner: str | None
    size: int

    @property
    def label(self) -> str:
        return f"{self.path}:{self.inner}" if self.inner else str(self.path)


@dataclass(frozen=True)
class DumpSource:
    site: str
    posts: Member
    users: Member | None

    def files(self) -> list[Path]:
        return sorted({member.path for member in (self.posts, self.users) if member})


def resolve_source(source: str | Path, site: str | None = None) -> DumpSource:
    """Locate Posts.xml (required) and Users.xml (optional); raise ValueError saying what is missing."""
    path = Path(source)
    if not path.exists():
        raise ValueError(f"{path}: no such file or folder")
    members = _members(path)
    posts = members.get("posts.xml")
    if posts is None:
        raise ValueError(f"{path}: no Posts.xml found (looked for Posts.xml or a .7z archive holding it)")
    name = site or _site_name(path)
    if "." not in name:
        raise ValueError(f"{path}: cannot tell the site from the path ('{name}'); give it with --site / stackexchange.site")
    return DumpSource(site=name, posts=posts, users=members.get("users.xml"))


def _members(path: Path) -> dict[str, Member]:
    if path.is_file() and path.suffix.lower() == ".7z":
        return _archive_members(path)
    if path.is_file():
        found = {"posts.xml": Member(path, None, path.stat().st_size)}
        users = next((p for p in path.parent.iterdir() if p.name.lower() == "users.xml"), None)
        if users:
            found["users.xml"] = Member(users, None, users.stat().st_size)
        return found
    found: dict[str, Member] = {}
    for archive in sorted(path.glob("*.7z")):
        found.update(_archive_members(archive))
    for child in sorted(path.iterdir()):
        if child.is_file() and child.name.lower() in ("posts.xml", "users.xml"):
            found[child.name.lower()] = Member(child, None, child.stat().st_size)
    return found


def _archive_members(archive: Path) -> dict[str, Member]:
    try:
        with py7zr.SevenZipFile(archive, mode="r") as handle:
            infos = handle.list()
    except Exception as error:  # py7zr raises several types for damaged archives
        raise DumpError(_archive_problem(archive, error)) from None
    found = {}
    for info in infos:
        key = Path(info.filename).name.lower()
        if key in ("posts.xml", "users.xml"):
            found[key] = Member(archive, info.filename, info.uncompressed or 0)
    return found


def _site_name(path: Path) -> str:
    if path.is_file() and path.suffix.lower() != ".7z":
        path = path.parent
    name = path.name
    if name.lower().endswith(".7z"):
        name = name[:-3]
    return re.sub(r"-(posts|users|comments)$", "", name, flags=re.I)


def _archive_problem(archive: Path, error: Exception) -> str:
    size = archive.stat().st_size if archive.exists() else 0
    return (f"{archive}: cannot read the 7z archive ({type(error).__name__}: {error}); the file is {size:,} bytes "
            "long and looks truncated or damaged; threads already written are kept")


def stream(jobs: list[tuple[Member, Callable[[dict], None]]], on_bytes: Callable[[int], None],
           on_bad_row: BadRowHandler | None = None) -> None:
    """Feed each member's rows to its handler; members of one archive share one decompression pass.
    With `on_bad_row`, unreadable rows go there instead of stopping the file (see rows.py)."""
    by_archive: dict[Path, list[tuple[Member, Callable]]] = {}
    for member, handler in jobs:
        if member.inner is None:
            feed_file(member.path, RowFeeder(member.label, handler, on_bytes, on_bad_row))
        else:
            by_archive.setdefault(member.path, []).append((member, handler))
    for archive, archive_jobs in by_archive.items():
        _stream_archive(archive, archive_jobs, on_bytes, on_bad_row)


class _FeederSink(Py7zIO):
    """Receives decompressed bytes of one member from py7zr and pushes them into a RowFeeder."""

    def __init__(self, feeder: RowFeeder, errors: list[BaseException]):
        self.feeder, self.errors, self.closed = feeder, errors, False

    def write(self, data) -> int:
        if not self.errors:
            try:
                self.feeder.feed(bytes(data))
            except Exception as error:  # kept, so that ours is reported rather than py7zr's wrapper
                self.errors.append(error)
                raise
        return len(data)

    def close(self) -> None:
        if not self.closed and not self.errors:
            self.closed = True
            try:
                self.feeder.close()
            except Exception as error:
                self.errors.append(error)

    def read(self, size=None) -> bytes:
        return b""

    def seek(self, offset, whence=0) -> int:
        return 0

    def flush(self) -> None:
        pass

    def size(self) -> int:
        return self.feeder.offset


class _Factory(WriterFactory):
    def __init__(self, sinks: dict[str, _FeederSink]):
        self.sinks = sinks

    def create(self, filename: str) -> Py7zIO:
        return self.sinks[Path(filename).name]


def _stream_archive(archive: Path, jobs: list[tuple[Member, Callable]], on_bytes: Callable[[int], None],
                    on_bad_row: BadRowHandler | None) -> None:
    errors: list[BaseException] = []
    sinks = {Path(m.inner).name: _FeederSink(RowFeeder(m.label, h, on_bytes, on_bad_row), errors) for m, h in jobs}
    try:
        with py7zr.SevenZipFile(archive, mode="r") as handle:
            handle.extract(targets=[m.inner for m, _ in jobs], factory=_Factory(sinks))
    except Exception as error:
        if errors:
            raise errors[0]
        reached = ", ".join(f"{name} at uncompressed byte {sink.feeder.offset:,}" for name, sink in sinks.items())
        raise DumpError(_archive_problem(archive, error) + f" (stopped in {reached})") from None
    for sink in sinks.values():
        sink.close()
    if errors:
        raise errors[0]
