"""The on-disk store that lets answers meet their questions with flat memory: one SQLite file.

Posts.xml is ordered by id, and an accepted answer can come millions of rows after its question, so the
scan writes kept questions, answers and user names here, and shards are read back by question-id range.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

_SCHEMA = """
CREATE TABLE questions (id INTEGER PRIMARY KEY, accepted_id INTEGER, score INTEGER, title TEXT, tags TEXT,
    created TEXT, last_activity TEXT, license TEXT, owner_id INTEGER, owner_name TEXT, body TEXT);
CREATE TABLE answers (id INTEGER PRIMARY KEY, parent_id INTEGER, score INTEGER, created TEXT, license TEXT,
    owner_id INTEGER, owner_name TEXT, body TEXT);
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
"""
_INSERT = {
    "questions": "INSERT OR REPLACE INTO questions VALUES (?,?,?,?,?,?,?,?,?,?,?)",
    "answers": "INSERT OR REPLACE INTO answers VALUES (?,?,?,?,?,?,?,?)",
    "users": "INSERT OR REPLACE INTO users VALUES (?,?)",
}
_BATCH = 5000


class SpillWriter:
    """Buffered bulk inserts into a fresh store; `finish` indexes it and commits."""

    def __init__(self, path: Path):
        path.unlink(missing_ok=True)
        self.connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.connection.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-65536;")
        self.connection.executescript(_SCHEMA)
        self.connection.execute("BEGIN")
        self.pending: dict[str, list[tuple]] = {table: [] for table in _INSERT}

    def add(self, table: str, row: tuple) -> None:
        rows = self.pending[table]
        rows.append(row)
        if len(rows) >= _BATCH:
            self._flush(table)

    def _flush(self, table: str) -> None:
        self.connection.executemany(_INSERT[table], self.pending[table])
        self.pending[table] = []

    def finish(self) -> None:
        for table in _INSERT:
            self._flush(table)
        self.connection.execute("CREATE INDEX answers_by_question ON answers (parent_id)")
        self.connection.execute("COMMIT")
        self.connection.close()

    def abandon(self) -> None:
        self.connection.close()


def open_reader(path: Path) -> sqlite3.Connection:
    """A read-only connection (several worker processes read the store at once)."""
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True)


def shard_starts(path: Path, threads_per_shard: int) -> list[int]:
    """The first question id of each shard: every `threads_per_shard`-th kept question, in id order."""
    connection = open_reader(path)
    try:
        ids = connection.execute("SELECT id FROM questions ORDER BY id")
        return [row[0] for index, row in enumerate(ids) if index % threads_per_shard == 0]
    finally:
        connection.close()


def orphan_answers(path: Path) -> tuple[int, list[int]]:
    """Answers whose question was not kept (filtered, deleted, or absent): count and the first ids."""
    connection = open_reader(path)
    try:
        query = "FROM answers WHERE parent_id NOT IN (SELECT id FROM questions)"
        count = connection.execute(f"SELECT count(*) {query}").fetchone()[0]
        first = [row[0] for row in connection.execute(f"SELECT id {query} ORDER BY id LIMIT 5")]
        return count, first
    finally:
        connection.close()


def read_shard(connection: sqlite3.Connection, low: int, high: int | None):
    """Questions with `low <= id < high` and their answers, with author names joined from users."""
    high = high if high is not None else 1 << 62
    questions = connection.execute(
        "SELECT q.*, u.name FROM questions q LEFT JOIN users u ON u.id = q.owner_id "
        "WHERE q.id >= ? AND q.id < ? ORDER BY q.id", (low, high)).fetchall()
    answers: dict[int, list[tuple]] = {}
    for row in connection.execute(
            "SELECT a.*, u.name FROM answers a LEFT JOIN users u ON u.id = a.owner_id "
            "WHERE a.parent_id >= ? AND a.parent_id < ? ORDER BY a.id", (low, high)):
        answers.setdefault(row[1], []).append(row)
    return questions, answers


def drop_id_outliers(path: Path, min_ratio: float = 4.0, min_gap: int = 100_000) -> tuple[list[int], int, int]:
    """Delete posts whose ids sit far above all the others; return their ids and the questions and answers deleted.

    Post ids count up from 1 per site, so a few ids many times larger than the rest were not made by the
    site (the fabricated posts of recent dumps use 1000000001 and up). The outliers are the ids above the
    deepest jump (by `min_ratio` and `min_gap`) among the top 1% (at least 10) of the kept posts.
    """
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        total = sum(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in ("questions", "answers"))
        cap = max(10, total // 100)
        top = sorted((row[0] for table in ("questions", "answers")  # each walks its primary key from the top
                      for row in connection.execute(f"SELECT id FROM {table} ORDER BY id DESC LIMIT ?", (cap + 1,))),
                     reverse=True)[:cap + 1]
        cut = 0
        for index in range(min(len(top) - 1, cap)):
            high, low = top[index], top[index + 1]
            if high >= min_ratio * max(low, 1) and high - low >= min_gap and index + 1 <= total - index - 1:
                cut = index + 1
        outliers = sorted(top[:cut])
        if not outliers:
            return [], 0, 0
        questions = connection.execute("DELETE FROM questions WHERE id >= ?", (outliers[0],)).rowcount
        answers = connection.execute("DELETE FROM answers WHERE id >= ?", (outliers[0],)).rowcount
        return outliers, questions, answers
    finally:
        connection.close()
