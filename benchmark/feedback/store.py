"""The click store: one SQLite file, WAL, one transaction per click.

A click is (session, item, choice). ``UNIQUE(session, item_id)`` makes a second submit of
the same item by the same browser session fail inside the database, so it cannot be
double counted even when two requests race.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS clicks (
    id          INTEGER PRIMARY KEY,
    session     TEXT    NOT NULL CHECK (length(session) BETWEEN 8 AND 64),
    item_id     TEXT    NOT NULL CHECK (length(item_id) BETWEEN 1 AND 64),
    choice      TEXT    NOT NULL CHECK (choice IN ('A', 'B')),
    created_utc INTEGER NOT NULL,
    UNIQUE (session, item_id)
);
"""
SESSION_RE = re.compile(r"[A-Za-z0-9_-]{8,64}")  # use with fullmatch: "$" would let a trailing newline in


class DuplicateClick(Exception):
    """This session already chose a story for this item."""


@dataclass(frozen=True)
class Click:
    id: int
    session: str
    item_id: str
    choice: str
    created_utc: int


class ClickStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        # One writer at a time inside this process: a burst of clicks queues here in order,
        # instead of every thread polling SQLite's busy handler (which can time out under load).
        self._write = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
            conn.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        # One connection per call: the server is threaded and sqlite3 connections are not shared.
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        conn.execute("PRAGMA synchronous=FULL")  # a click acknowledged is a click on disk
        conn.execute("PRAGMA busy_timeout=10000")
        return conn

    def add(self, session: str, item_id: str, choice: str, now: int | None = None) -> int:
        """Store one click in its own transaction; ``DuplicateClick`` if (session, item) exists."""
        if not SESSION_RE.fullmatch(session) or choice not in ("A", "B"):
            raise ValueError(f"not a click: session {session!r}, choice {choice!r}")
        conn = self._connect()
        try:
            with self._write:
                return self._insert(conn, session, item_id, choice, now)
        finally:
            conn.close()

    def _insert(self, conn: sqlite3.Connection, session: str, item_id: str, choice: str, now: int | None) -> int:
        conn.execute("BEGIN IMMEDIATE")
        try:
            cur = conn.execute("INSERT INTO clicks (session, item_id, choice, created_utc) VALUES (?, ?, ?, ?)",
                               (session, item_id, choice, int(now if now is not None else time.time())))
        except sqlite3.IntegrityError as e:
            conn.execute("ROLLBACK")
            if "UNIQUE" in str(e):
                raise DuplicateClick(f"session already answered item {item_id}") from None
            raise ValueError(f"click rejected by the store: {e}") from None
        conn.execute("COMMIT")
        return int(cur.lastrowid)

    def clicks(self) -> list[Click]:
        conn = self._connect()
        try:
            rows = conn.execute("SELECT id, session, item_id, choice, created_utc FROM clicks ORDER BY id").fetchall()
        finally:
            conn.close()
        return [Click(*r) for r in rows]

    def integrity_ok(self) -> bool:
        conn = self._connect()
        try:
            return conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            conn.close()
