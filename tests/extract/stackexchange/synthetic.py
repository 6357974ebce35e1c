"""Tiny hand-made dumps for the tests: Posts.xml and Users.xml written from Python dicts."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import quoteattr


def row(**attrs) -> str:
    return "  <row " + " ".join(f"{key}={quoteattr(str(value))}" for key, value in attrs.items()) + " />"


def write_xml(path: Path, root: str, rows: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'<?xml version="1.0" encoding="utf-8"?>\n<{root}>\n' + "\n".join(rows) + f"\n</{root}>\n",
                    encoding="utf-8")
    return path


def question(post_id: int, score: int = 1, tags: str = "<python>", **extra) -> str:
    attrs = dict(Id=post_id, PostTypeId=1, CreationDate="2020-01-01T00:00:00.000", Score=score,
                 Body=f"<p>Question {post_id}</p><pre><code>print({post_id})\n</code></pre>", OwnerUserId=1,
                 LastActivityDate="2020-02-01T00:00:00.000", Title=f"Title {post_id}", Tags=tags)
    attrs.update(extra)
    return row(**attrs)


def answer(post_id: int, parent: int, score: int = 1, **extra) -> str:
    attrs = dict(Id=post_id, PostTypeId=2, ParentId=parent, CreationDate="2020-01-02T00:00:00.000", Score=score,
                 Body=f"<p>Answer {post_id}</p>", OwnerUserId=2)
    attrs.update(extra)
    return row(**attrs)


def small_site(folder: Path) -> Path:
    """A site folder: questions 1-3 with answers in late, out-of-order positions, and some bad rows."""
    posts = [
        question(1, score=5, AcceptedAnswerId=9),
        question(2, score=-2, tags="<java>"),
        question(3, score=3, ClosedDate="2020-03-01T00:00:00.000"),
        answer(4, 1, score=7),
        row(Id="x5", PostTypeId=2, ParentId=1, Score=1, Body="<p>bad id</p>"),
        answer(6, 2, score=0),
        question(7, score=1, tags="|python|pandas|", Body="<p>newer tag format</p>", OwnerUserId="",
                 OwnerDisplayName="Gone User", CreationDate="2010-01-01T00:00:00.000"),
        answer(8, 1, score=9),
        answer(9, 1, score=1, OwnerUserId=3),
        answer(10, 7, score=2, CreationDate="2015-06-01T00:00:00.000"),
        row(Id=11, PostTypeId=4, Body="<p>tag wiki</p>"),
    ]
    write_xml(folder / "Posts.xml", "posts", posts)
    write_xml(folder / "Users.xml", "users", [row(Id=1, DisplayName="Ada"), row(Id=2, DisplayName="Bob"),
                                               row(Id=3, DisplayName="Cy")])
    return folder
