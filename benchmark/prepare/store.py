"""The thread store: posts and kept comments in, read back thread by thread.

Dumps are ordered by time, not by thread, and a big subreddit's comments run to tens of
GB, so grouping them in a dict would need memory proportional to the dump. Posts, which
comments look up by id while loading, go to a SQLite file (standard library, one file
beside the output, bulk-loaded with journaling off, the id index built after the load);
kept comments go to sorted runs on disk (``rmbench.prepare.runs``: an external merge sort,
each row written once and read once, in order). Reading back merges posts by id with the
runs by post id, so at any moment only one thread is in memory. See docs/scale.md for why
SQLite and runs and not DuckDB or Arrow shards.

Only the fields the rules read and the output rows need are stored: every ``Post`` and
``Comment`` field, nothing else from the raw JSON; ``prepare`` stores every post of its
subreddits but only the comments that some task's comment rules keep.

Posts, kept comments and staged pairs are held in memory while they fit in ``hold_bytes``
(``rmbench.prepare.held``; the SQLite round trip cost ~15% of prepare's CPU on the real
dumps), then spill (posts to SQLite, comments as a run, pairs to a ``PairTable``), so memory
stays bounded; held records read back exactly as stored ones.
"""

from __future__ import annotations

import itertools
import operator
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rmbench.prepare.held import HeldPairs, plain_post, popped
from rmbench.prepare.pairtable import PairTable
from rmbench.prepare.runs import Runs
from rmbench.prepare.stored import POST_COLS, as_stored, comment_from_row, held_row, post_from_row, post_row
from rmbench.records import Comment, Post

# Rows per executemany: large enough to amortise the Python->C call, small enough that a
# batch of 10 kB bodies stays a few tens of MB.
BATCH_ROWS = 5_000
# Records held in memory per store before spilling, as estimated below (real dumps: 9.0k
# posts ~11 MB, 41.8k kept comments + 17.7k id rows ~38 MB, 11.8k pairs ~33 MB, the
# comments let go as the pairs come). Past it, posts go to SQLite, whose page cache
# (``CACHE_KIB``) holds them (and the staged pairs) while comments are written out as runs
# of at most the budget left: peak RSS on the 4x replicated dump 161 MiB against 158 MiB on
# the real dumps, all held (a 64 MiB cache: 184 MiB, and no less CPU). A store without a
# budget (0) writes its comments out every ``BATCH_ROWS`` rows.
HOLD_BYTES = 64 << 20
CACHE_KIB = 32768  # SQLite's page cache, per connection
_ROW_BYTES = 320  # a held comment row's objects beside its body: the tuple, the Comment, short strings
_POST_BYTES = 400  # the same for a held post, beside its title and selftext

# The last copy read of one post with its rowid (built once: comments look posts up by the
# thousand), and the posts stored after a rowid (``posts_from``).
_POST_ROWID = (f"SELECT rowid, {', '.join(POST_COLS)} FROM posts INDEXED BY posts_by_id "
               "WHERE id = ? ORDER BY rowid DESC LIMIT 1")
_POSTS_AFTER = f"SELECT {', '.join(POST_COLS)} FROM posts WHERE rowid > ? ORDER BY rowid LIMIT ?"
_FIRST = operator.itemgetter(0)  # a row's thread key (post id), for groupby


@dataclass
class Thread:
    """One post id's worth of data: the post (None for orphans) and its stored comments.

    ``masks[i]`` says which tasks kept ``comments[i]`` (see ``held_row``). Comments come in
    the order they were added, duplicates included (the engine dedupes per task);
    ``duplicate_posts`` counts extra copies of the post, of which the last one read is
    ``post``.
    """

    post_id: str
    post: Post | None
    comments: list[Comment] = field(default_factory=list)
    masks: list[int] = field(default_factory=list)
    duplicate_posts: int = 0


class ThreadStore:
    """Append posts and comments in any order, then read them back grouped by thread."""

    def __init__(self, path: str | Path, hold_bytes: int = 0):
        self.path = Path(path)
        # Comment rows held in memory in the order added (written out as a run past the
        # budget), (id, post) rows and the last post of each id while they fit in hold_bytes
        # (None: posts in SQLite).
        self._held: list[tuple] = []
        self._held_bytes = 0  # the held comment rows' share of the budget
        self._held_posts: list[tuple[str, Post]] | None = [] if hold_bytes > 0 else None
        self._post_by_id: dict[str, Post] | None = {} if hold_bytes > 0 else None
        self._post_bytes = 0
        self._hold_left = self._hold_bytes = hold_bytes
        self._runs = Runs(self.path)
        self._pairs: HeldPairs | PairTable | None = None
        self.db = sqlite3.connect(self.path, isolation_level=None)
        # A scratch file rebuilt from the inputs on every run: durability buys nothing, and
        # journaling would double the writes.
        # 16 KiB pages (before any table exists): fewer overflow pages and b-tree splits per insert.
        for pragma in ("page_size=16384", "journal_mode=OFF", "synchronous=OFF", "temp_store=FILE",
                       f"cache_size=-{CACHE_KIB}", "locking_mode=EXCLUSIVE"):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.execute(f"CREATE TABLE IF NOT EXISTS posts ({', '.join(POST_COLS)})")
        self._posts_indexed = False
        self._dup_ids: set[str] | None = None  # ids of stored posts with several copies (posts_from)

    # -- loading -----------------------------------------------------------------------
    def add_posts(self, posts: Iterable[Post]) -> int:
        """Posts, held in memory while they fit, else stored in SQLite."""
        posts = iter(posts)
        n = 0
        if self._held_posts is not None:
            held, by_id = self._held_posts, self._post_by_id
            for p in posts:
                n += 1
                if not plain_post(p):  # SQLite decides it (and all after it), as before
                    self._spill_posts()
                    posts = itertools.chain([p], posts)
                    n -= 1
                    break
                held.append((p.id, p))
                by_id[p.id] = p
                size = _POST_BYTES + len(p.title) + len(p.selftext)
                self._post_bytes += size
                self._hold_left -= size
                if self._post_bytes > self._hold_bytes // 2:  # half for the posts: the comments need room too
                    self._spill_posts()
                    break
            else:
                return n
        return n + self._insert_posts(map(post_row, posts))

    def add_comments(self, comments: Iterable[Comment | tuple[Comment, int]]) -> int:
        """Comments, or (comment, task mask) pairs; a bare comment has mask 1."""
        return self.add_comment_rows(held_row(*c) if isinstance(c, tuple) else held_row(c) for c in comments)

    def add_comment_rows(self, rows: Iterable[tuple]) -> int:
        """Rows made by ``held_row`` or ``id_row`` (the load stage's loop
        makes them itself): held in memory while they fit; past the budget, everything held
        is written out as one sorted run and holding starts again."""
        held, n = self._held, 0
        append = held.append
        size, left = self._held_bytes, self._hold_left
        limited = self._hold_bytes > 0
        for r in rows:
            rec = r[1]
            if type(rec) is Comment:
                rec = as_stored(rec)
                if rec is not r[1]:
                    r = (r[0], rec, r[2])
                k = _ROW_BYTES + len(rec.body)
            else:
                k = _ROW_BYTES
            append(r)
            n += 1
            size += k
            left -= k
            if left < 0 if limited else len(held) >= BATCH_ROWS:
                self._held_bytes, self._hold_left = size, left
                self._write_run()
                size, left = 0, self._hold_left
        self._held_bytes, self._hold_left = size, left
        return n

    def _write_run(self) -> None:
        """Everything held, sorted by post id, out as the next run; its budget is free again."""
        self._runs.write(self._held)
        self._held.clear()
        self._hold_left += self._held_bytes
        self._held_bytes = 0

    def _spill_posts(self) -> None:
        """Store every held post in SQLite, in the order added, and hold no more posts.
        Their share of the budget stays taken: SQLite's page cache holds them now, and the
        comments looking them up keep those pages warm."""
        posts = self._held_posts
        self._held_posts = self._post_by_id = None
        self._insert_posts(post_row(p) for _, p in posts)

    @property
    def holding(self) -> bool:
        """Whether every record is held in memory (no post in SQLite, no comment run)."""
        return self._held_posts is not None and not self._runs.paths

    def pair_table(self) -> HeldPairs | PairTable:
        """Where the pairs are staged (one object per store): held in memory under the same
        budget as the records while nothing has spilled (``rmbench.prepare.held``), else
        ``PairTable`` in this database (a spilled store's budget is in use: SQLite's cache
        holds its posts, and its last run is held)."""
        if self._pairs is None:
            self._pairs = HeldPairs(self) if self.holding else PairTable(self.db)
        return self._pairs

    def flush_pairs(self) -> None:
        """Held pairs into this database (a ray bucket's, which the driver attaches)."""
        if isinstance(self._pairs, HeldPairs):
            self._pairs.spill()

    def _insert_posts(self, rows: Iterator[tuple]) -> int:
        sql = f"INSERT INTO posts VALUES ({', '.join('?' * len(POST_COLS))})"
        n = 0
        self.db.execute("BEGIN")
        try:
            while batch := list(itertools.islice(rows, BATCH_ROWS)):
                self.db.executemany(sql, batch)
                n += len(batch)
        finally:
            self.db.execute("COMMIT")
        self._posts_indexed = False
        self._dup_ids = None
        return n

    def index_posts(self) -> None:
        """The post-id index: built after the posts' bulk load, before comments look posts up."""
        if not self._posts_indexed:
            self.db.execute("CREATE INDEX IF NOT EXISTS posts_by_id ON posts (id)")
            self._posts_indexed = True

    def post(self, post_id: str) -> Post | None:
        """The last copy read of one post, or None when the input has no such post."""
        return self.posts_from(post_id, 0)[0]

    def posts_from(self, post_id: str, n: int) -> tuple[Post | None, list[Post]]:
        """``post(post_id)``, and up to ``n`` posts stored right after that copy, each the
        only copy of its id (so each is what ``post`` would give for it): comments come in
        the order posts were stored, so a cache miss reads the next posts they will ask for
        in one query instead of one each (stored posts only; held ones are in memory)."""
        if self._post_by_id is not None:
            return self._post_by_id.get(post_id), []
        self.index_posts()
        row = self.db.execute(_POST_ROWID, (post_id,)).fetchone()
        if row is None or n <= 0:
            return (None if row is None else post_from_row(row[1:])), []
        if self._dup_ids is None:  # ids stored twice: only an index scan finds their last copy
            self._dup_ids = {r[0] for r in self.db.execute(
                "SELECT id FROM posts INDEXED BY posts_by_id GROUP BY id HAVING COUNT(*) > 1")}
        dup = self._dup_ids
        after = [post_from_row(r) for r in self.db.execute(_POSTS_AFTER, (row[0], n)) if r[0] not in dup]
        return post_from_row(row[1:]), after

    def finish_loading(self) -> None:
        """Build the post index once, after the bulk load (one sort instead of N inserts)."""
        self.index_posts()

    # -- reading -----------------------------------------------------------------------
    def count(self, table: str) -> int:
        assert table in ("posts", "comments")
        if table == "comments":
            return len(self._held) + self._runs.rows
        held = len(self._held_posts) if self._held_posts is not None else 0
        return held + self.db.execute("SELECT COUNT(*) FROM posts").fetchone()[0]

    def threads(self, release: bool = False) -> Iterator[Thread]:
        """Every post id in ascending order with its comments; orphans come with ``post=None``.

        Merges the posts by id with the comment runs by post id, so memory holds one thread
        at a time. ``release``: held comments are let go as their thread is read (the walk
        can run once).
        """
        self.finish_loading()
        if self._held_posts is not None:
            posts = sorted(self._held_posts, key=_FIRST)  # sorted() is stable
        else:
            posts = self.db.execute(
                f"SELECT {', '.join(POST_COLS)} FROM posts INDEXED BY posts_by_id ORDER BY id, rowid")
        if self._runs.paths and self._held:  # spilled: the rest too, so the walk holds no more than a chunk per run
            self._write_run()
        held = popped(self._held, self, _ROW_BYTES) if release else sorted(self._held, key=_FIRST)
        if release:
            self._held_bytes = 0  # popped gives each row's share back as it goes
        post_groups = itertools.groupby(posts, key=_FIRST)
        comment_groups = itertools.groupby(self._runs.merged(held), key=_FIRST)
        p = next(post_groups, None)
        c = next(comment_groups, None)
        while p is not None or c is not None:
            if c is None or (p is not None and p[0] < c[0]):
                yield _thread(p[0], list(p[1]), [])
                p = next(post_groups, None)
            elif p is None or c[0] < p[0]:
                yield _thread(c[0], [], list(c[1]))
                c = next(comment_groups, None)
            else:
                yield _thread(p[0], list(p[1]), list(c[1]))
                p = next(post_groups, None)
                c = next(comment_groups, None)

    def close(self) -> None:
        self.db.close()
        self._runs.remove()

    def __enter__(self) -> ThreadStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _thread(post_id: str, post_rows: list[tuple], comment_rows: list[tuple]) -> Thread:
    # Rowid order: the last copy wins. A held row is (id, post), a stored one the columns.
    post = (post_rows[-1][1] if len(post_rows[-1]) == 2 else post_from_row(post_rows[-1])) if post_rows else None
    return Thread(post_id, post, [comment_from_row(r) for r in comment_rows], [r[-1] for r in comment_rows],
                  duplicate_posts=max(0, len(post_rows) - 1))
