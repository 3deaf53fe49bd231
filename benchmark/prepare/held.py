"""What the thread store (``rmbench.prepare.store``) holds in memory instead of SQLite, while
it fits in the store's budget: the checks that a record reads back as SQLite would give it
back, and the staged pairs.

Pairs are held under the same budget as the records: the thread walk lets go of each
thread's comments once it is paired (``popped``), giving their budget back, so the pairs
of a dump whose records fitted mostly fit too. Past the budget, the pairs go to a
``PairTable`` in SQLite, as before.
"""

from __future__ import annotations

import operator
import weakref
from collections.abc import Iterator
from pathlib import Path

from rmbench.prepare.pairtable import PairTable
from rmbench.prepare.runs import dump_chunks
from rmbench.records import Comment, Post

_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1  # what SQLite stores as an integer
_PAIR_BYTES = 200  # a held pair's tuple, ids and hashes, beside its row's JSON
_PAIR_ID = operator.itemgetter(2)


def plain_post(p: Post) -> bool:
    """Whether ``p`` reads back from SQLite as it is: flags None or bool, numbers ints in
    SQLite's range (or a float ratio), texts str. Every post of a dump is."""
    for v in (p.is_self, p.over_18, p.stickied, p.edited):
        if not (v is None or v is True or v is False):
            return False
    for v in (p.created_utc, p.score, p.num_comments):
        if not (v is None or type(v) is int and _INT64_MIN <= v <= _INT64_MAX):
            return False
    for v in (p.author, p.distinguished, p.removed_by_category):
        if not (v is None or type(v) is str):
            return False
    r = p.upvote_ratio
    return ((p.synthetic is True or p.synthetic is False) and (r is None or type(r) is float and r == r)
            and type(p.id) is str and type(p.subreddit) is str and type(p.title) is str and type(p.selftext) is str)


def popped(rows: list[tuple], store, row_bytes: int) -> Iterator[tuple]:
    """Held comment rows, sorted by post id (each thread's in the order added), emptying
    ``rows`` as they go and giving each row's estimated size back to ``store``'s budget."""
    rows.sort(key=operator.itemgetter(0))  # stable
    rows.reverse()  # popped from the end: ascending, and each thread's rows in their order again
    pop = rows.pop
    while rows:
        r = pop()
        rec = r[1]  # as ThreadStore._hold charged it
        store._hold_left += row_bytes + (len(rec.body) if type(rec) is Comment else 0)
        yield r


class HeldPairs:
    """``PairTable``'s interface over pairs held in memory, charged to ``store``'s budget;
    past it, every pair goes to ``PairTable(store.db)`` and this reads from there. Reads
    give what the table gives: each split sorted by pair id (ties in the order added, as
    the index's rowid order), and a pair is a cross-task duplicate when either response's
    hash occurs in another task's pairs."""

    def __init__(self, store):
        # Weak: the store holds this, and a cycle would keep every held record alive until
        # the cyclic collector runs (prepare pauses it: rmbench.prepare.load.cyclic_gc_paused).
        self.store = weakref.proxy(store)
        self.table: PairTable | None = None
        self._rows: list[tuple] = []
        self._dup: set[bytes] | None = None
        self._by_split: dict[tuple[str, str], list[tuple]] = {}

    def add(self, rows: list[tuple[str, str, str, str, bytes, bytes]]) -> None:
        if self.table is not None:
            self.table.add(rows)
            return
        self._rows += rows
        self.store._hold_left -= sum(len(r[3]) for r in rows) + _PAIR_BYTES * len(rows)
        if self.store._hold_left < 0:
            self.spill()

    def save(self, path: Path) -> bool:
        """A parallel prepare's worker hands its pairs to the parent (``shards.merge_shards``):
        held ones are written to ``path`` in the order added (``runs.dump_chunks``; True),
        which the parent reads back for a fraction of what inserting them here and copying
        them there through SQLite costs; spilled ones are in this store's database already
        (nothing written; False)."""
        if self.table is not None:
            return False
        with open(path, "wb") as f:
            dump_chunks(f, self._rows)
        return True

    def spill(self) -> None:
        """Every held pair into SQLite; the rest go there too."""
        if self.table is None:
            self.table = PairTable(self.store.db)
            self.table.add(self._rows)
            self._rows = []

    def attach(self, db_file: Path) -> None:
        """Another store's staged pairs (``PairTable.attach``), after these: held ones spill first."""
        self.spill()
        self.table.attach(db_file)

    def _finish(self) -> None:
        if self._dup is not None:
            return
        seen: dict[bytes, str] = {}  # response hash -> the first task it was seen in
        dup = self._dup = set()
        by_split = self._by_split
        for r in self._rows:
            by_split.setdefault((r[0], r[1]), []).append(r)
            for h in (r[4], r[5]):
                first = seen.setdefault(h, r[0])
                if first != r[0]:
                    dup.add(h)
        for rows in by_split.values():
            rows.sort(key=_PAIR_ID)  # stable

    def rows(self, task: str, split: str) -> Iterator[tuple[str, str, bool]]:
        """(pair_id, row_json, cross_task_dup) sorted by pair_id."""
        if self.table is not None:
            yield from self.table.rows(task, split)
            return
        self._finish()
        dup = self._dup
        for r in self._by_split.get((task, split), ()):
            yield r[2], r[3], r[4] in dup or r[5] in dup

    def dup_pairs(self, task: str) -> int:
        """Distinct pairs of ``task`` (any split) with a response seen in another task."""
        if self.table is not None:
            return self.table.dup_pairs(task)
        self._finish()
        dup = self._dup
        return len({r[2] for r in self._rows if r[0] == task and (r[4] in dup or r[5] in dup)})
