"""The on-disk thread store: posts and comments in one SQLite file, read back thread by thread.

Dumps are ordered by time, not by thread, and a big subreddit's comments run to tens of
GB, so grouping them in a dict would need memory proportional to the dump. SQLite is in
the standard library, keeps everything in one file beside the output, bulk-loads fast
with journaling off, and builds the (post_id) index with an external sort after the load.
Reading back merges two index-ordered cursors (posts by id, comments by post_id), so at
any moment only one thread is in memory. See docs/scale.md for why SQLite and not
DuckDB or Arrow shards.

Only the fields the rules read and the output rows need are stored: every ``Post`` and
``Comment`` field, nothing else from the raw JSON; ``prepare`` stores every post of its
subreddits but only the comments that some task's comment rules keep.

Posts, kept comments and staged pairs are held in memory while they fit in ``hold_bytes``
(``rmbench.prepare.held``; the SQLite round trip cost ~15% of prepare's CPU on the real
dumps), then spill, so memory stays bounded; held records read back exactly as SQLite's.
"""

from __future__ import annotations

import itertools
import operator
from marshal import dumps as _dumps, loads as _loads
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rmbench.prepare.held import HeldPairs, plain_post, popped
from rmbench.prepare.pairtable import PairTable
from rmbench.records import Comment, Post

# Rows per executemany: large enough to amortise the Python->C call, small enough that a
# batch of 10 kB bodies stays a few tens of MB.
BATCH_ROWS = 5_000
# Records held in memory per store before spilling to SQLite, as estimated below (real dumps:
# 9.0k posts ~11 MB, 41.8k kept comments + 17.7k id rows ~38 MB, 11.8k pairs ~33 MB, the
# comments let go as the pairs come): the size of SQLite's own page cache (``CACHE_KIB``),
# which held them before. A spill leaves the cache as it is: shrinking it by what was held
# cost ~5% more CPU on the 4x dump (its index sort and thread walk need the pages).
HOLD_BYTES = 64 << 20
CACHE_KIB = 65536  # SQLite's page cache, per connection
_ROW_BYTES = 320  # a held comment row's objects beside its body: the tuple, the Comment, short strings
_POST_BYTES = 400  # the same for a held post, beside its title and selftext

_POST_COLS = ("id", "subreddit", "title", "selftext", "created_utc", "author", "score", "is_self",
              "upvote_ratio", "over_18", "stickied", "distinguished", "edited", "removed_by_category",
              "num_comments", "synthetic")
# A comment is stored as its thread key and one marshal record of its fields (Comment's
# order, up to ``synthetic``): binding 13 columns per row and converting them back cost
# ~30% more CPU to insert and read than one blob, and nothing queries those columns.
_COMMENT_COLS = ("post_id", "rec")
# Beside each comment: a bit mask of which of its subreddit's tasks kept it (bit i = the
# i-th task matching that subreddit), so one stored copy serves every task.
_MASK = "mask"
# Which stored columns are booleans (SQLite keeps 0/1/NULL; NULL must stay "unknown").
_POST_BOOL = {i for i, c in enumerate(_POST_COLS) if c in {"is_self", "over_18", "stickied", "edited", "synthetic"}}


# The last copy read of one post (built once: comments look posts up by the thousand).
_POST_BY_ID = (f"SELECT {', '.join(_POST_COLS)} FROM posts INDEXED BY posts_by_id "
               "WHERE id = ? ORDER BY rowid DESC LIMIT 1")
_FIRST = operator.itemgetter(0)  # a row's thread key (post id), for groupby


def _post_row(p: Post) -> tuple:
    return (p.id, p.subreddit, p.title, p.selftext, p.created_utc, p.author, p.score, p.is_self,
            p.upvote_ratio, p.over_18, p.stickied, p.distinguished, p.edited, p.removed_by_category,
            p.num_comments, p.synthetic)


def comment_row(c: Comment, mask: int = 1) -> tuple:
    """The stored row of a comment that tasks keep (``mask``: which; ``add_comment_rows``)."""
    # Booleans as the columns stored them (None stays unknown, anything else a bool).
    return (c.post_id, _dumps((c.id, c.post_id, c.parent_id, c.subreddit, c.body, c.created_utc, c.author, c.score,
                               None if c.edited is None else bool(c.edited), c.distinguished,
                               None if c.stickied is None else bool(c.stickied),
                               None if c.is_submitter is None else bool(c.is_submitter), bool(c.synthetic))), mask)


def held_row(c: Comment, mask: int = 1) -> tuple:
    """A kept comment's row before it is stored: ``comment_row`` only if it goes to SQLite."""
    return c.post_id, c, mask


def _as_stored(c: Comment) -> Comment:
    """The comment as a SQLite round trip gives it back (``comment_row``, ``_comment_from_row``):
    flags None or bool, ``retrieved_utc`` not stored. Nearly every comment already is."""
    if (c.retrieved_utc is None and (c.edited is None or c.edited is True or c.edited is False)
            and (c.stickied is None or c.stickied is True or c.stickied is False)
            and (c.is_submitter is None or c.is_submitter is True or c.is_submitter is False)
            and (c.synthetic is True or c.synthetic is False)):
        return c
    return Comment(*_loads(comment_row(c)[1]))


def _to_stored(r: tuple) -> tuple:
    rec = r[1]
    return comment_row(rec, r[2]) if type(rec) is Comment else r


def id_row(post_id: str, comment_id: str) -> tuple:
    """The stored row of a comment no task keeps, held for its id alone: the load stage
    stores those of kept posts so that "the last copy read wins" can see a later, dropped
    copy of a kept comment. Its record is the id as text (a kept one's is a marshal blob):
    no ``Comment`` to build, marshal or read back for ~30% of the stored rows."""
    return post_id, comment_id, 0


def _post_from_row(r: tuple) -> Post:
    return Post(r[0], r[1], r[2], r[3], r[4], r[5], r[6], _b(r[7]), r[8], _b(r[9]), _b(r[10]), r[11],
                _b(r[12]), r[13], r[14], bool(r[15]))


def _comment_from_row(r: tuple) -> Comment:
    rec = r[1]
    if type(rec) is Comment:  # held in memory (``held_row``), already as stored
        return rec
    if type(rec) is str:  # an id_row: only the id is known (and only the id is ever read)
        return Comment(rec, r[0], "", "", "", 0)
    return Comment(*_loads(rec))


def _b(v):
    return None if v is None else bool(v)


@dataclass
class Thread:
    """One post id's worth of data: the post (None for orphans) and its stored comments.

    ``masks[i]`` says which tasks kept ``comments[i]`` (see ``_MASK``). Comments come in
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
        # Comment rows and (id, post) rows held in memory in the order added, and the last
        # post of each id, while they fit in hold_bytes (None: nothing held, all in SQLite).
        self._held: list[tuple] | None = [] if hold_bytes > 0 else None
        self._held_posts: list[tuple[str, Post]] | None = [] if hold_bytes > 0 else None
        self._post_by_id: dict[str, Post] | None = {} if hold_bytes > 0 else None
        self._hold_left = self._hold_bytes = hold_bytes
        self._pairs: HeldPairs | PairTable | None = None
        self.db = sqlite3.connect(self.path, isolation_level=None)
        # A scratch file rebuilt from the inputs on every run: durability buys nothing, and
        # journaling would double the writes.
        # 16 KiB pages (before any table exists): kept comments average ~450 characters, and
        # bigger pages mean fewer overflow pages and b-tree splits per insert (~10% less CPU).
        for pragma in ("page_size=16384", "journal_mode=OFF", "synchronous=OFF", "temp_store=FILE",
                       f"cache_size=-{CACHE_KIB}", "locking_mode=EXCLUSIVE"):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.execute(f"CREATE TABLE IF NOT EXISTS posts ({', '.join(_POST_COLS)})")
        self.db.execute(f"CREATE TABLE IF NOT EXISTS comments ({', '.join(_COMMENT_COLS)}, {_MASK})")
        self._indexed = False
        self._posts_indexed = False

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
                    self._spill()
                    posts = itertools.chain([p], posts)
                    n -= 1
                    break
                held.append((p.id, p))
                by_id[p.id] = p
                self._hold_left -= _POST_BYTES + len(p.title) + len(p.selftext)
                if self._hold_left < self._hold_bytes // 2:  # half for the posts: the comments need room too
                    self._spill()
                    break
            else:
                return n
        return n + self._insert("posts", _POST_COLS, map(_post_row, posts))

    def add_comments(self, comments: Iterable[Comment | tuple[Comment, int]]) -> int:
        """Comments, or (comment, task mask) pairs; a bare comment has mask 1."""
        return self.add_comment_rows(held_row(*c) if isinstance(c, tuple) else held_row(c) for c in comments)

    def add_comment_rows(self, rows: Iterable[tuple]) -> int:
        """Rows made by ``held_row``, ``comment_row`` or ``id_row`` (the load stage's loop
        makes them itself): held in memory while they fit, else stored in SQLite."""
        rows = iter(rows)
        n = 0
        if self._held is not None:
            n = self._hold(rows)
            if self._held is not None:  # everything fitted
                return n
        return n + self._insert("comments", _COMMENT_COLS + (_MASK,), map(_to_stored, rows))

    def _hold(self, rows: Iterator[tuple]) -> int:
        """Hold rows until they are used up or one passes the budget; then spill everything
        held to SQLite (in the order added, so the read-back order is the same) and stop
        holding: the caller stores the rest."""
        held, left, n = self._held, self._hold_left, 0
        append = held.append
        for r in rows:
            rec = r[1]
            if type(rec) is Comment:
                rec = _as_stored(rec)
                if rec is not r[1]:
                    r = (r[0], rec, r[2])
                left -= _ROW_BYTES + len(rec.body)
            elif type(rec) is bytes:  # a comment_row made by the caller
                left -= _ROW_BYTES + len(rec)
            else:
                left -= _ROW_BYTES
            append(r)
            n += 1
            if left < 0:
                self._hold_left = left
                self._spill()
                return n
        self._hold_left = left
        return n

    def _spill(self) -> None:
        """Store everything held in SQLite, in the order added (so the read-back order is
        the same), and hold nothing more."""
        posts, rows = self._held_posts, self._held
        self._held_posts = self._held = self._post_by_id = None
        self._insert("posts", _POST_COLS, (_post_row(p) for _, p in posts))
        self._insert("comments", _COMMENT_COLS + (_MASK,), map(_to_stored, rows))

    @property
    def holding(self) -> bool:
        """Whether records are still held in memory (nothing spilled yet)."""
        return self._held is not None

    def pair_table(self) -> HeldPairs | PairTable:
        """Where the pairs are staged (one object per store): held in memory under the same
        budget while the records are held, else ``PairTable`` in this database."""
        if self._pairs is None:
            self._pairs = HeldPairs(self) if self._held is not None else PairTable(self.db)
        return self._pairs

    def flush_pairs(self) -> None:
        """Held pairs into this database (a worker's, which the parent attaches)."""
        if isinstance(self._pairs, HeldPairs):
            self._pairs.spill()

    def _insert(self, table: str, cols: tuple[str, ...], rows: Iterator[tuple]) -> int:
        sql = f"INSERT INTO {table} VALUES ({', '.join('?' * len(cols))})"
        n = 0
        self.db.execute("BEGIN")
        try:
            while batch := list(itertools.islice(rows, BATCH_ROWS)):
                self.db.executemany(sql, batch)
                n += len(batch)
        finally:
            self.db.execute("COMMIT")
        self._indexed = False
        self._posts_indexed = self._posts_indexed and table != "posts"
        return n

    def index_posts(self) -> None:
        """The post-id index: built after the posts' bulk load, before comments look posts up."""
        if not self._posts_indexed:
            self.db.execute("CREATE INDEX IF NOT EXISTS posts_by_id ON posts (id)")
            self._posts_indexed = True

    def post(self, post_id: str) -> Post | None:
        """The last copy read of one post, or None when the input has no such post."""
        if self._post_by_id is not None:
            return self._post_by_id.get(post_id)
        self.index_posts()
        row = self.db.execute(_POST_BY_ID, (post_id,)).fetchone()
        return None if row is None else _post_from_row(row)

    def finish_loading(self) -> None:
        """Build the grouping indexes once, after the bulk load (one sort instead of N inserts)."""
        if self._indexed:
            return
        self.index_posts()
        self.db.execute("CREATE INDEX IF NOT EXISTS comments_by_post ON comments (post_id)")
        self._indexed = True

    # -- reading -----------------------------------------------------------------------
    def count(self, table: str) -> int:
        assert table in ("posts", "comments")
        held = self._held if table == "comments" else self._held_posts
        held = len(held) if held is not None else 0
        return held + self.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]

    def threads(self, release: bool = False) -> Iterator[Thread]:
        """Every post id in ascending order with its comments; orphans come with ``post=None``.

        Merges two cursors that walk the indexes, so memory holds one thread at a time.
        ``release``: held comments are let go as their thread is read (the walk can run once).
        """
        self.finish_loading()
        if self._held is not None:  # none in SQLite: the held rows by post id, each in the order added
            posts = sorted(self._held_posts, key=_FIRST)  # sorted() is stable
            comments = popped(self._held, self, _ROW_BYTES) if release else sorted(self._held, key=_FIRST)
        else:
            posts = self.db.execute(
                f"SELECT {', '.join(_POST_COLS)} FROM posts INDEXED BY posts_by_id ORDER BY id, rowid")
            comments = self.db.execute(
                f"SELECT {', '.join(_COMMENT_COLS)}, {_MASK} FROM comments INDEXED BY comments_by_post "
                "ORDER BY post_id, rowid")
        post_groups = itertools.groupby(posts, key=_FIRST)
        comment_groups = itertools.groupby(comments, key=_FIRST)
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

    def __enter__(self) -> ThreadStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _thread(post_id: str, post_rows: list[tuple], comment_rows: list[tuple]) -> Thread:
    # Rowid order: the last copy wins. A held row is (id, post), a stored one the columns.
    post = (post_rows[-1][1] if len(post_rows[-1]) == 2 else _post_from_row(post_rows[-1])) if post_rows else None
    return Thread(post_id, post, [_comment_from_row(r) for r in comment_rows], [r[-1] for r in comment_rows],
                  duplicate_posts=max(0, len(post_rows) - 1))
