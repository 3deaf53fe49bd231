"""The load and pair stages of ``prepare`` for one set of subreddits, into one store.

``prepare`` runs them once over everything, or once per shard (a subreddit) in worker
processes (``rmbench.prepare.shards``); either way the result is a ``ThreadStore`` whose
database also holds the staged pairs, plus the counts in ``TaskStats``.
"""

from __future__ import annotations

import gc
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rmbench.prepare.pair import (_WIPED, PairRow, TaskStats, count_orphans, dedupe_kept, first_rule_drops_replies,
                                  judge_comments, judge_post, judge_replies, pair_kept)
from rmbench.records import Comment, Post
from rmbench.sources.base import Source
from rmbench.prepare.splits import split_of
from rmbench.prepare.store import HOLD_BYTES, ThreadStore
from rmbench.prepare.stored import held_row, id_row

_FLUSH_ROWS = 5_000  # staged pairs per SQLite batch


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block (and back on after, if it was on).

    Why: prepare allocates a few container objects per record (a Comment, its row, a key
    tuple) and frees nearly all of them by reference counting, but every 700 allocations
    the collector still walks the young ones, and now and then everything alive: ~5% of
    prepare's CPU on the real dumps. Prepare makes almost no reference cycles (a run leaves
    ~30-60 cyclic objects, the same on the 4x dump: module imports, not records), so
    nothing piles up while the collector waits; ``tests/prepare/test_load.py`` checks that.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def load_and_pair(src: Source, by_sub: dict, stats: dict[str, TaskStats], counts: Counter, db_path: Path,
                  bars) -> ThreadStore:
    """Load ``src``'s posts and kept comments of the subreddits in ``by_sub`` into a new
    store at ``db_path``, pair every thread, stage the pairs; returns the open store."""
    with cyclic_gc_paused():
        return _load_and_pair(src, by_sub, stats, counts, db_path, bars)


def _load_and_pair(src: Source, by_sub: dict, stats: dict[str, TaskStats], counts: Counter, db_path: Path,
                   bars) -> ThreadStore:
    store = ThreadStore(db_path, hold_bytes=HOLD_BYTES)  # kept comments in memory while they fit
    before = Counter(src.unselected)
    try:
        cache = _PostCache(store, by_sub)
        store.add_posts(cache.remembering(_only(_call(src, src.iter_posts, by_sub), by_sub, counts, bars)))
        store.index_posts()
        store.add_comment_rows(_judged(_call(src, src.iter_comments, by_sub), by_sub, stats, counts, cache, bars))
        # Records of other subreddits the source itself passed over count like those it yielded.
        counts["other_posts"] += src.unselected["posts"] - before["posts"]
        counts["other_comments"] += src.unselected["comments"] - before["comments"]
        bars.status("indexing threads")
        store.finish_loading()
        pairs = store.pair_table()
        _pair_all(store, pairs, by_sub, stats, bars.track("pairing threads", store.count("posts")))
    except BaseException:
        store.close()
        raise
    return store


def _call(src: Source, method, by_sub: dict) -> Iterator:
    """Ask a source for only our subreddits when it says it can skip the others cheaply."""
    return method(subreddits=set(by_sub)) if src.selects_subreddits else method()


def _only(posts, by_sub: dict, counts: Counter, bars) -> Iterator:
    """Posts of the selected subreddits; the rest are counted (never silently skipped)."""
    tick = bars.track("loading posts", None)
    wanted: dict[str, bool] = {}  # subreddit as written -> selected? (saves a lower() per record)
    n = 0
    for rec in posts:
        n += 1
        if not n & 0x7FF:
            tick(n)
        sub = rec.subreddit
        keep = wanted.get(sub)
        if keep is None:
            keep = wanted[sub] = sub.lower() in by_sub
        if keep:
            counts["posts"] += 1
            yield rec
        else:
            counts["other_posts"] += 1
    tick(n, done=True)


class _PostCache:
    """Recently looked-up posts with their post-rule verdicts, over the store's post index.

    Comments arrive in time order and mostly answer recent posts, so a bounded LRU serves
    nearly every lookup from memory, and memory stays flat however many posts there are.
    """

    SIZE = 10_000  # posts held: ~10-20 MB with long selftexts; misses fall back to the index
    AHEAD = 256  # posts read with each miss: the ones stored after it (ThreadStore.posts_from)

    def __init__(self, store: ThreadStore, by_sub: dict):
        self.store = store
        self.by_sub = by_sub
        self._d: OrderedDict[str, tuple | None] = OrderedDict()

    def get(self, post_id: str) -> tuple | None:
        """(post, post-rule reason per task of its subreddit) or None when the input has no such post."""
        d = self._d
        if post_id in d:
            d.move_to_end(post_id)
            return d[post_id]
        return self.fetch(post_id)

    def fetch(self, post_id: str) -> tuple | None:
        """A cache miss: read the post from the store and judge it once, and the ``AHEAD``
        posts stored after it that are not held yet (their comments come next)."""
        post, after = self.store.posts_from(post_id, self.AHEAD)
        d = self._d
        for p in after:
            if p.id not in d:
                self._put(p.id, self._entry(p))
        return self._put(post_id, None if post is None else self._entry(post))

    def _entry(self, post: Post) -> tuple:
        # The verdicts of the post's own subreddit's tasks, in by_sub's order (the order of
        # the tasks judging its comments; a comment of another subreddit is an orphan).
        return post, tuple(t.post_drop_reason(post) for t in self.by_sub.get(post.subreddit.lower(), ()))

    def _put(self, post_id: str, entry: tuple | None) -> tuple | None:
        d = self._d
        d[post_id] = entry
        if len(d) > self.SIZE:
            d.popitem(last=False)
        return entry

    def remembering(self, posts: Iterable[Post]) -> Iterator[Post]:
        """Pass posts through to the store, holding the first ``SIZE`` read: comments come in
        time order too, so the first ones answer these, which then need no query (~20 us
        each; every post of a dump of up to ``SIZE`` posts). The store keeps the last copy
        of an id; so does this (a later copy replaces a held entry)."""
        d = self._d
        for post in posts:
            if len(d) < self.SIZE or post.id in d:
                d[post.id] = self._entry(post)
            yield post


def _judged(comments, by_sub: dict, stats: dict[str, TaskStats], counts: Counter, cache: _PostCache,
            bars) -> Iterator[tuple]:
    """Run every comment rule while loading; only comments some task keeps reach the store.

    Yields the store's rows (``held_row``): with the comment's mask, bit i set when the
    i-th task of the comment's subreddit keeps it. Every other comment is counted here, by
    reason; orphans (no post of the comment's own subreddit in the input) too. Most comments
    are replies or low-scored, so the store holds a fraction of the dump. A dropped
    top-level comment of a kept post is stored too, as its id alone (``id_row``, mask 0),
    so that "the last copy read wins" holds for an id read twice even when only an earlier
    copy passed the rules (``_last_copies``).
    This loop runs once per comment of the dump: the cache hit and the subreddit lookup are
    inlined, and the counts are kept in locals until the end.
    """
    tick = bars.track("loading comments", None)
    cached, hit, fetch = cache._d, cache._d.move_to_end, cache.fetch
    tasks_of: dict[str, list | None] = {}  # subreddit as written -> [(task, stats)] or None
    last_sub, ts = None, None  # a dump file is one subreddit: look it up once per change
    # Replies, when every task of the subreddit drops them by its first rule (most comments
    # of a dump), and any comment of a post every task dropped (no comment rule runs for
    # it): counted per (subreddit, post verdicts, wiped, no snapshot) and judged in bulk at
    # the end (``judge_replies``), instead of a call per comment and task.
    replies_dropped: dict[str, bool] = {}
    replies: dict[tuple, int] = {}
    fast = False
    n = other = 0
    try:
        for c in comments:
            n += 1
            if not n & 0x7FF:
                tick(n)
            if c.subreddit != last_sub:
                last_sub = c.subreddit
                ts = tasks_of.get(last_sub, _MISSING)
                if ts is _MISSING:
                    ts = tasks_of[last_sub] = [(t, stats[t.name.lower()]) for t in by_sub.get(last_sub.lower(), ())
                                               ] or None
                    replies_dropped[last_sub] = ts is not None and all(first_rule_drops_replies(t) for t, _ in ts)
                fast = replies_dropped[last_sub]
            if ts is None:
                other += 1
                continue
            pid = c.post_id
            entry = cached.get(pid, _MISSING)
            if entry is _MISSING:
                entry = fetch(pid)
            else:
                hit(pid)
            if entry is None or (entry[0].subreddit != last_sub and entry[0].subreddit.lower() != last_sub.lower()):
                for _, s in ts:  # a post of another subreddit is not this comment's thread (as in one shard)
                    count_orphans(s, 1)
                continue
            verdicts = entry[1]
            if fast and not c.parent_id.startswith("t3_") or _BULK_DROPPED_POSTS and None not in verdicts:
                key = (last_sub, verdicts, c.body.strip() in _WIPED, c.retrieved_utc is None)
                replies[key] = replies.get(key, 0) + 1
                continue
            mask = judge_comments(ts, c, entry[0], verdicts)
            if mask:
                yield held_row(c, mask)
            elif c.parent_id[1] == "3" and None in verdicts:  # top-level, and some task kept the post
                yield id_row(c.post_id, c.id)
    finally:  # what was read counts, even if the read stops early
        for (sub, post_reasons, wiped, no_snapshot), k in replies.items():
            judge_replies(tasks_of[sub], k, post_reasons, wiped, no_snapshot)
        if n - other:
            counts["comments"] += n - other
        if other:
            counts["other_comments"] += other
    tick(n, done=True)


_MISSING = object()
# Comments of a post every task dropped are counted in bulk (above); False judges each on
# its own, as before (the tests compare the two).
_BULK_DROPPED_POSTS = True


def _pair_all(store: ThreadStore, pairs, by_sub: dict, stats: dict[str, TaskStats], tick) -> None:
    staged: list[tuple] = []
    n = 0
    for th in store.threads(release=True):  # held comments let go once paired
        if th.post is None:  # orphans were counted while loading and never stored
            continue
        n += 1
        if not n & 0xFF:
            tick(n)
        post = th.post
        split = split_of(post.id)
        dup_ids = len({c.id for c in th.comments}) != len(th.comments)
        for i, t in enumerate(by_sub.get(post.subreddit.lower(), ())):
            name = t.name.lower()
            s = stats[name]
            if judge_post(t, post, s, th.duplicate_posts) is not None:
                continue
            kept = _last_copies(th, i, s) if dup_ids else [c for c, m in zip(th.comments, th.masks) if m >> i & 1]
            rows: list[PairRow] = pair_kept(t, post, dedupe_kept(kept, s), split, s)
            staged.extend((name, r.split, r.pair_id, r.line, r.chosen_hash, r.rejected_hash)
                          for r in rows)
        if len(staged) >= _FLUSH_ROWS:
            pairs.add(staged)
            staged = []
    pairs.add(staged)
    tick(n, done=True)
    for s in stats.values():
        s.check()


def _last_copies(th, i: int, s: TaskStats) -> list[Comment]:
    """Task i's kept comments of a thread where an id was read twice: the last copy read wins,
    kept or not; every earlier copy task i had kept is a ``duplicate``."""
    last: dict[str, tuple[Comment, int]] = {}
    earlier = 0
    for c, m in zip(th.comments, th.masks):
        prev = last.get(c.id)
        if prev is not None and prev[1] >> i & 1:
            earlier += 1
        last[c.id] = (c, m)
    if earlier:
        s.comments_kept -= earlier
        s.comments_dropped["duplicate"] += earlier
    return [c for c, m in last.values() if m >> i & 1]
