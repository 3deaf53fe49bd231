"""Kept pairs staged in SQLite until every task is paired: cross-task dedup, then each split sorted.

In the thread store's database (``rmbench.prepare.store``), or in the merged database of a
parallel prepare (``rmbench.prepare.shards``), which attaches each spilled worker's.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator


class PairTable:
    """Kept pairs staged on disk until every task is paired, for cross-task dedup and sorting.

    A response is a cross-task duplicate when the hash of its normalized text was seen in
    another task's pairs. Both the pairs and the (hash, task) set live in SQLite, so
    neither needs memory proportional to the output.
    """

    def __init__(self, db: sqlite3.Connection):
        self.db = db
        db.execute("CREATE TABLE IF NOT EXISTS pairs (task, split, pair_id, row, h_chosen, h_rejected)")
        db.execute("CREATE TABLE IF NOT EXISTS resp (h, task, PRIMARY KEY (h, task)) WITHOUT ROWID")
        self._finished = False

    def add(self, rows: list[tuple[str, str, str, str, bytes, bytes]]) -> None:
        """Rows of (task, split, pair_id, row_json, chosen_hash, rejected_hash)."""
        if not rows:
            return
        self.db.execute("BEGIN")
        try:
            self.db.executemany("INSERT INTO pairs VALUES (?, ?, ?, ?, ?, ?)", rows)
            self.db.executemany("INSERT OR IGNORE INTO resp VALUES (?, ?)",
                                [(r[k], r[0]) for r in rows for k in (4, 5)])
        finally:
            self.db.execute("COMMIT")

    def attach(self, db_file) -> None:
        """Every pair another store's table staged in the database file ``db_file`` (a spilled
        worker's, a ray bucket's), added after those here."""
        self.db.execute("ATTACH DATABASE ? AS shard", (str(db_file),))
        try:
            self.db.execute("INSERT INTO pairs SELECT * FROM shard.pairs")
            self.db.execute("INSERT OR IGNORE INTO resp SELECT * FROM shard.resp")
        finally:
            self.db.execute("DETACH DATABASE shard")

    def finish(self) -> None:
        if self._finished:
            return
        self.db.execute("CREATE INDEX IF NOT EXISTS pairs_by_split ON pairs (task, split, pair_id)")
        self.db.execute("CREATE TABLE IF NOT EXISTS dup (h PRIMARY KEY) WITHOUT ROWID")
        self.db.execute("INSERT OR IGNORE INTO dup SELECT h FROM resp GROUP BY h HAVING COUNT(*) > 1")
        self._finished = True

    def rows(self, task: str, split: str) -> Iterator[tuple[str, str, bool]]:
        """(pair_id, row_json, cross_task_dup) sorted by pair_id."""
        self.finish()
        cur = self.db.execute(
            "SELECT pair_id, row, (h_chosen IN (SELECT h FROM dup) OR h_rejected IN (SELECT h FROM dup)) "
            "FROM pairs WHERE task = ? AND split = ? ORDER BY pair_id", (task, split))
        for pair_id, row, dup in cur:
            yield pair_id, row, bool(dup)

    def dup_pairs(self, task: str) -> int:
        """Distinct pairs of ``task`` (any split) with a response seen in another task."""
        self.finish()
        return self.db.execute(
            "SELECT COUNT(DISTINCT pair_id) FROM pairs WHERE task = ? AND "
            "(h_chosen IN (SELECT h FROM dup) OR h_rejected IN (SELECT h FROM dup))", (task,)).fetchone()[0]
