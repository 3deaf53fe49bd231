"""The on-disk thread store: comments in time order come back grouped by thread, with
orphans, duplicates and unknown (None) fields kept apart."""

from __future__ import annotations

import random

from rmbench.records import Comment, Post
from rmbench.prepare.store import ThreadStore


def _post(pid: str, **kw) -> Post:
    return Post(**{**dict(id=pid, subreddit="askscience", title=f"t{pid}", selftext="", created_utc=100), **kw})


def _com(cid: str, pid: str, **kw) -> Comment:
    return Comment(**{**dict(id=cid, post_id=pid, parent_id=f"t3_{pid}", subreddit="askscience",
                             body=f"body {cid}", created_utc=200, score=3), **kw})


def test_threads_group_interleaved_comments(tmp_path):
    posts = [_post(f"p{i:03d}") for i in range(50)]
    comments = [_com(f"c{i:04d}", f"p{i % 50:03d}") for i in range(1000)]
    random.Random(0).shuffle(comments)  # dumps are in time order, not thread order
    with ThreadStore(tmp_path / "s.sqlite") as store:
        assert store.add_posts(posts) == 50
        assert store.add_comments(iter(comments)) == 1000
        threads = list(store.threads())
    assert [t.post_id for t in threads] == sorted(p.id for p in posts)
    for t in threads:
        assert t.post is not None and t.post.id == t.post_id
        assert len(t.comments) == 20 and {c.post_id for c in t.comments} == {t.post_id}
        assert t.masks == [1] * 20 and t.duplicate_posts == 0


def test_orphans_and_posts_without_comments(tmp_path):
    with ThreadStore(tmp_path / "s.sqlite") as store:
        store.add_posts([_post("b"), _post("d")])
        store.add_comments([_com("x", "a"), _com("y", "b"), _com("z", "c"), _com("w", "c")])
        got = {t.post_id: (t.post is not None, sorted(c.id for c in t.comments)) for t in store.threads()}
    assert got == {"a": (False, ["x"]), "b": (True, ["y"]), "c": (False, ["w", "z"]), "d": (True, [])}


def test_post_lookup_and_duplicates(tmp_path):
    with ThreadStore(tmp_path / "s.sqlite") as store:
        store.add_posts([_post("p", score=1), _post("q"), _post("p", score=99)])
        store.index_posts()
        assert store.post("p").score == 99 and store.post("nope") is None  # the last copy read wins
        store.add_comments([(_com("c", "p", score=1), 1), (_com("c", "p", score=7), 3), (_com("d", "p"), 2)])
        t = next(iter(store.threads()))
    assert t.post.score == 99 and t.duplicate_posts == 1
    assert [(c.id, c.score, m) for c, m in zip(t.comments, t.masks)] == [("c", 1, 1), ("c", 7, 3), ("d", 3, 2)]


def test_every_field_round_trips_and_unknown_stays_unknown(tmp_path):
    p = Post(id="p", subreddit="AskScience", title="T", selftext="S é 🚀", created_utc=5, author="op", score=None,
             is_self=None, upvote_ratio=0.5, over_18=False, stickied=None, distinguished="moderator", edited=True,
             removed_by_category="deleted", num_comments=4, synthetic=True)
    c = Comment(id="c", post_id="p", parent_id="t1_x", subreddit="AskScience", body="B", created_utc=9,
                author=None, score=None, edited=None, distinguished=None, stickied=False, is_submitter=True,
                synthetic=True)
    with ThreadStore(tmp_path / "s.sqlite") as store:
        store.add_posts([p])
        store.add_comments([c])
        (t,) = list(store.threads())
    assert t.post == p and t.comments == [c]


def test_comment_flags_come_back_as_booleans_as_the_columns_gave_them(tmp_path):
    """A comment is stored as one record; its flags come back as they did from 0/1 columns:
    None stays None, anything else is a bool. Its score snapshot time comes back as it was
    (it was once dropped here, which left every prepared score age null)."""
    c = Comment(id="c", post_id="p", parent_id="t3_p", subreddit="s", body="B", created_utc=9, author="a",
                score=3, edited=1, distinguished=None, stickied=0, is_submitter=None, synthetic=0,
                retrieved_utc=99)
    with ThreadStore(tmp_path / "s.sqlite") as store:
        store.add_comments([c])
        (t,) = list(store.threads())
    (back,) = t.comments
    assert (back.edited, back.stickied, back.is_submitter, back.synthetic) == (True, False, None, False)
    assert type(back.edited) is bool and back.retrieved_utc == 99 and back.score == 3


def test_an_id_row_comes_back_as_its_id_in_read_order(tmp_path):
    """A comment no task kept is stored as its id alone (mask 0), in its place among the kept
    copies: the load stage's "last copy read wins" reads only ids and masks."""
    from rmbench.prepare.stored import held_row, id_row

    with ThreadStore(tmp_path / "s.sqlite") as store:
        store.add_posts([_post("p")])
        assert store.add_comment_rows([held_row(_com("c", "p"), 1), id_row("p", "c"), held_row(_com("d", "p"), 2)]) == 3
        (t,) = list(store.threads())
    assert [(c.id, c.post_id, m) for c, m in zip(t.comments, t.masks)] == [("c", "p", 1), ("c", "p", 0), ("d", "p", 2)]
    assert t.comments[0].body == "body c" and t.comments[1].body == ""


def _mixed_rows() -> list[tuple]:
    """Rows as the load stage makes them, in time order: kept comments of many threads with
    their masks, duplicates, id rows, and flags a SQLite round trip turns into booleans."""
    from rmbench.prepare.stored import held_row, id_row

    rng = random.Random(1)
    rows = []
    for i in range(600):
        pid = f"p{rng.randrange(40):02d}"
        if i % 7 == 0:
            rows.append(id_row(pid, f"c{i % 50}"))
        else:
            odd = i % 11 == 0
            c = _com(f"c{i % 50}", pid, body="b" * rng.randrange(300), edited=1 if odd else None,
                     stickied=0 if odd else False, synthetic=odd and 1, retrieved_utc=500 if odd else None)
            rows.append(held_row(c, 1 + i % 3))
    return rows


def _read_back(store: ThreadStore) -> list[tuple]:
    return [(t.post_id, t.post, t.comments, t.masks, t.duplicate_posts) for t in store.threads()]


def _mixed_posts() -> list[Post]:
    """Posts of some of the threads, one read twice (the last copy wins), one with an odd ratio."""
    posts = [_post(f"p{i:02d}", selftext="s" * i, score=i, upvote_ratio=0.5 if i % 2 else None) for i in range(0, 40, 3)]
    return posts + [_post("p03", title="again", score=99, edited=True)]


def test_records_held_in_memory_read_back_as_stored(tmp_path, monkeypatch):
    """Held in memory (they fit), held and then spilled past a small budget (comments as
    sorted runs, merged level by level; posts, which get half of the budget, to SQLite), or
    stored from the start (a run every few rows): the same threads, posts, comments and
    masks, in the same order, flags as the store gives them back; the same post lookups and
    counts."""
    from rmbench.prepare import runs, store as store_mod

    monkeypatch.setattr(store_mod, "BATCH_ROWS", 7)
    monkeypatch.setattr(runs, "FAN_IN", 3)
    got = {}
    for name, hold in (("stored", 0), ("held", 1 << 30), ("spilled", 40_000), ("posts spilled", 8_000)):
        with ThreadStore(tmp_path / f"{name}.sqlite", hold_bytes=hold) as store:
            assert store.add_posts(_mixed_posts()[:5]) + store.add_posts(iter(_mixed_posts()[5:])) == 15
            posts_held = store._held_posts is not None
            rows = _mixed_rows()
            assert store.add_comment_rows(rows[:250]) + store.add_comment_rows(iter(rows[250:])) == 600
            assert store.count("comments") == 600 and store.count("posts") == 15
            runs_written = len(store._runs.paths)
            cache = -store.db.execute("PRAGMA cache_size").fetchone()[0]
            lookups = [store.post(f"p{i:02d}") for i in range(40)]
            got[name] = (_read_back(store), lookups)
            levels = set(store._runs._levels)
            run_files = list(store._runs.paths)
        assert (runs_written == 0) == (name == "held") and posts_held == (name in ("held", "spilled"))
        assert name != "stored" or max(levels) > 1  # merges of merges
        assert run_files == [] or not any(p.exists() for p in run_files)  # close() removes them
        assert cache == store_mod.CACHE_KIB  # a spill leaves SQLite's cache as it was
    assert got["held"] == got["stored"] and got["spilled"] == got["stored"] and got["posts spilled"] == got["stored"]
    threads = got["held"][0]
    odd = [c for t in threads for c in t[2] if c.body and c.edited is not None]
    assert odd and all(c.edited is True and c.stickied is False and c.synthetic is True and c.retrieved_utc == 500
                       for c in odd)
    assert [t[1].score for t in threads if t[0] == "p03"] == [99] and [t[4] for t in threads if t[0] == "p03"] == [1]
    assert any(t[1] is None for t in threads) and got["held"][1][3].title == "again" and got["held"][1][1] is None


def test_a_post_sqlite_would_change_is_not_held(tmp_path):
    """A post with a flag SQLite would turn into a bool (or a number out of its range)
    spills the posts held: SQLite decides it, and every post after it, as before."""
    odd = _post("p2", over_18=1)
    with ThreadStore(tmp_path / "a.sqlite", hold_bytes=1 << 30) as store:
        assert store.add_posts([_post("p1"), odd, _post("p3")]) == 3
        assert store._held_posts is None and store.count("posts") == 3
        held = [(t.post_id, t.post) for t in store.threads()]
    with ThreadStore(tmp_path / "b.sqlite") as store:
        store.add_posts([_post("p1"), odd, _post("p3")])
        stored = [(t.post_id, t.post) for t in store.threads()]
    assert held == stored and held[1][1].over_18 is True


def test_a_budget_passed_in_a_later_call_spills_what_earlier_calls_held(tmp_path):
    from rmbench.prepare.stored import held_row

    with ThreadStore(tmp_path / "s.sqlite", hold_bytes=2_000) as store:
        assert store.add_comment_rows([held_row(_com("a", "p", body="x" * 100))]) == 1
        assert len(store._held) == 1 and store._runs.paths == []
        assert store.add_comment_rows(held_row(_com(f"b{i}", "p", body="y" * 500)) for i in range(5)) == 5
        assert store._runs.rows >= 3 and len(store._held) + store._runs.rows == 6 and not store.holding
        (t,) = list(store.threads())
    assert [c.id for c in t.comments] == ["a", "b0", "b1", "b2", "b3", "b4"]


def test_posts_from_reads_the_next_posts_as_post_would_give_them(tmp_path):
    """A post-cache miss reads the posts stored after the one asked for in one query; a
    post stored twice is left out of that window (only ``post`` knows which copy is last)."""
    posts = [_post(f"p{i}", score=i) for i in range(10)] + [_post("p3", score=99), _post("p8", title="new")]
    with ThreadStore(tmp_path / "s.sqlite", hold_bytes=1 << 30) as store:  # held: nothing to read ahead
        store.add_posts(posts)
        assert store.posts_from("p2", 5) == (store.post("p2"), [])
    with ThreadStore(tmp_path / "t.sqlite") as store:
        store.add_posts(posts)
        first, after = store.posts_from("p2", 5)
        assert first == store.post("p2") and [p.id for p in after] == ["p4", "p5", "p6", "p7"]  # p3: stored twice
        assert all(p == store.post(p.id) for p in after)
        last, after = store.posts_from("p3", 100)  # the last copy, and what was stored after it
        assert last.score == 99 and [p.id for p in after] == []
        assert store.posts_from("nope", 5) == (None, [])
        store.add_posts([_post("p4", score=7)])  # a new copy: p4 is stored twice now
        assert [p.id for p in store.posts_from("p0", 6)[1]] == ["p1", "p2", "p5", "p6"]
