"""The vote store: one SQLite file, WAL, one transaction per vote.

A vote is (rater, session, item, choice). The rater is the name or token the person typed
before the first item; the session is the browser's random id (kept for auditing: two people
typing the same name in two browsers show up as two sessions). ``UNIQUE(rater, item_id)``
makes a second vote of one rater on one item fail inside the database, so it cannot be
double counted even when two requests race.

Choices: ``A`` / ``B`` (that story is better), ``tie``, ``both_bad`` and ``skip``; a skip is
stored too, so the rater is not shown the item again and the export can count it.

Stores written before raters existed hold a ``clicks`` table (session, item, A/B). Opening
one copies those rows into ``votes`` once, in one transaction, with the rater
``anonymous-<session>`` (a session was one browser, the closest thing to a person it had);
the ``clicks`` table itself is left as it was: no vote is ever deleted.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

CHOICES = ("A", "B", "tie", "both_bad", "skip")
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS votes (
    id          INTEGER PRIMARY KEY,
    rater       TEXT    NOT NULL CHECK (length(rater) BETWEEN 1 AND 80),
    session     TEXT    NOT NULL CHECK (length(session) BETWEEN 8 AND 64),
    item_id     TEXT    NOT NULL CHECK (length(item_id) BETWEEN 1 AND 64),
    choice      TEXT    NOT NULL CHECK (choice IN ({", ".join(f"'{c}'" for c in CHOICES)})),
    created_utc INTEGER NOT NULL,
    UNIQUE (rater, item_id)
);
"""
SCHEMA_VERSION = 2  # PRAGMA user_version: 2 = votes table, legacy clicks copied in
SESSION_RE = re.compile(r"[A-Za-z0-9_-]{8,64}")  # use with fullmatch: "$" would let a trailing newline in
# A name or a token: letters (any script: "zoë" is a name), digits and a few separators.
# No markup or quoting characters; 64 characters is more than any name needs.
RATER_RE = re.compile(r"[^\W_][\w .@-]{0,63}")
LEGACY_PREFIX = "anonymous-"  # rater of a vote stored before raters existed


class DuplicateClick(Exception):
    """This rater already answered this item."""



def normalize_rater(text: str) -> str:
    """The stored form of what a person typed: trimmed, inner spaces collapsed, case-folded
    ("Ada  Lovelace " and "ada lovelace" are one rater). ValueError if it is not a name."""
    if not isinstance(text, str):
        raise ValueError("rater must be a string")
    rater = " ".join(text.split()).casefold()
    if not RATER_RE.fullmatch(rater):
        raise ValueError("rater: 1-64 letters, digits, spaces or . _ @ - (starting with a letter or digit)")
    return rater


@dataclass(frozen=True)
class Click:
    id: int
    session: str
    item_id: str
    choice: str
    created_utc: int
    rater: str = ""

    @property
    def legacy(self) -> bool:
        return self.rater == LEGACY_PREFIX + self.session  # a name typed later cannot pass for one



class ClickStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        # One writer at a time inside this process: a burst of votes queues here in order,
        # instead of every thread polling SQLite's busy handler (which can time out under load).
        self._write = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = self._connect()
        try:
            conn.execute("PRAGMA journal_mode=WAL")  # readers never block the writer
            self._migrate(conn)
        finally:
            conn.close()

    def _connect(self) -> sqlite3.Connection:
        # One connection per call: the server is threaded and sqlite3 connections are not shared.
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        conn.execute("PRAGMA synchronous=FULL")  # a vote acknowledged is a vote on disk
        conn.execute("PRAGMA busy_timeout=10000")
        return conn

    def _migrate(self, conn: sqlite3.Connection) -> None:
        """Create ``votes``; copy a legacy ``clicks`` table into it once. All or nothing."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                conn.execute(SCHEMA)
                legacy = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='clicks'").fetchone()
                if legacy:
                    conn.execute("INSERT INTO votes (rater, session, item_id, choice, created_utc) "
                                 "SELECT ? || session, session, item_id, choice, created_utc FROM clicks ORDER BY id",
                                 (LEGACY_PREFIX,))
                conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def add(self, session: str, item_id: str, choice: str, now: int | None = None, *, rater: str | None = None) -> int:
        """Store one vote in its own transaction; ``DuplicateClick`` if (rater, item) exists.
        Without ``rater`` the vote is the session's own (``anonymous-<session>``)."""
        if not SESSION_RE.fullmatch(session) or choice not in CHOICES:
            raise ValueError(f"not a vote: session {session!r}, choice {choice!r}")
        rater = LEGACY_PREFIX + session if rater is None else normalize_rater(rater)
        conn = self._connect()
        try:
            with self._write:
                return self._insert(conn, (rater, session, item_id, choice, int(now if now is not None else time.time())))
        finally:
            conn.close()

    def _insert(self, conn: sqlite3.Connection, row: tuple) -> int:
        conn.execute("BEGIN IMMEDIATE")
        try:
            cur = conn.execute("INSERT INTO votes (rater, session, item_id, choice, created_utc) VALUES (?, ?, ?, ?, ?)", row)
        except sqlite3.IntegrityError as e:
            conn.execute("ROLLBACK")
            if "UNIQUE" in str(e):
                raise DuplicateClick(f"rater {row[0]!r} already answered item {row[2]}") from None
            raise ValueError(f"vote rejected by the store: {e}") from None
        conn.execute("COMMIT")
        return int(cur.lastrowid)

    def clicks(self) -> list[Click]:
        """Every vote in the order stored (skips, ties and legacy clicks included)."""
        conn = self._connect()
        try:
            rows = conn.execute("SELECT id, session, item_id, choice, created_utc, rater FROM votes ORDER BY id").fetchall()
        finally:
            conn.close()
        return [Click(*r) for r in rows]

    def answered(self, rater: str) -> list[str]:
        """Item ids this rater has answered (skips included), so the page resumes where they left off."""
        conn = self._connect()
        try:
            rows = conn.execute("SELECT item_id FROM votes WHERE rater = ? ORDER BY id", (normalize_rater(rater),))
            return [r[0] for r in rows.fetchall()]
        finally:
            conn.close()

    def integrity_ok(self) -> bool:
        conn = self._connect()
        try:
            return conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            conn.close()
