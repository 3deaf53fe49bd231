"""What the thread store holds in memory instead of SQLite: staged pairs read back as the
``PairTable`` gives them, held or spilled past the budget; comments let go as they are paired."""

from __future__ import annotations

import random

from rmbench.prepare.held import HeldPairs
from rmbench.prepare.pairtable import PairTable
from rmbench.prepare.store import ThreadStore
from rmbench.prepare.stored import held_row
from rmbench.records import Comment


def _pairs() -> list[tuple]:
    """Pairs of three tasks over all splits, some pair ids twice in one split (ties), some
    responses shared across tasks and some within one task only, in no particular order."""
    rng = random.Random(3)
    rows = []
    for i in range(300):
        task = ("a", "b", "c")[i % 3]
        split = ("train", "validation", "test")[rng.randrange(3)]
        pid = f"p{rng.randrange(60):03d}:x:y"
        hc, hr = (b"s%d" % rng.randrange(20) if rng.random() < 0.15 else b"%s%d" % (task.encode(), rng.randrange(200))
                  for _ in range(2))
        rows.append((task, split, pid, '{"row": %d}' % i + " " * rng.randrange(50), hc, hr))
    return rows


def _read(pairs) -> tuple:
    return ({(t, sp): list(pairs.rows(t, sp)) for t in "abcd" for sp in ("train", "validation", "test")},
            {t: pairs.dup_pairs(t) for t in "abcd"})


def test_held_pairs_read_back_as_the_pair_table_gives_them(tmp_path):
    rows = _pairs()
    got = {}
    for name, hold in (("sqlite", 0), ("held", 1 << 30), ("spilled", 20_000)):
        with ThreadStore(tmp_path / f"{name}.sqlite", hold_bytes=hold) as store:
            pairs = store.pair_table()
            assert isinstance(pairs, PairTable if name == "sqlite" else HeldPairs) and store.pair_table() is pairs
            for k in range(0, len(rows), 70):
                pairs.add(rows[k:k + 70])
            assert (getattr(pairs, "table", None) is not None) == (name == "spilled")
            got[name] = _read(pairs)
    assert got["held"] == got["sqlite"] and got["spilled"] == got["sqlite"]
    splits, dups = got["held"]
    assert 0 < dups["a"] < 100 and dups["d"] == 0 and splits[("d", "train")] == []
    assert any(len({pid for pid, _, _ in r}) < len(r) for r in splits.values())  # ties were ordered too
    assert any(d for r in splits.values() for _, _, d in r) and not all(d for r in splits.values() for _, _, d in r)


def test_flushed_pairs_are_in_the_database(tmp_path):
    """A worker's held pairs go to its database before it closes: the parent attaches it."""
    with ThreadStore(tmp_path / "w.sqlite", hold_bytes=1 << 30) as store:
        store.pair_table().add(_pairs()[:10])
        store.flush_pairs()
        want = _read(store.pair_table())
    with ThreadStore(tmp_path / "w.sqlite") as again:
        assert _read(PairTable(again.db)) == want


def test_comments_let_go_as_threads_are_read_give_their_budget_back(tmp_path):
    comments = [Comment(f"c{i}", f"p{i % 7}", f"t3_p{i % 7}", "s", "b" * i, 5) for i in range(50)]
    with ThreadStore(tmp_path / "a.sqlite", hold_bytes=1 << 30) as store:
        before = store._hold_left
        store.add_comment_rows(held_row(c, 1) for c in comments)
        assert store._hold_left < before
        kept = [(t.post_id, [c.id for c in t.comments]) for t in store.threads(release=True)]
        assert store._hold_left == before and store._held == []
    with ThreadStore(tmp_path / "b.sqlite") as store:
        store.add_comments(comments)
        assert kept == [(t.post_id, [c.id for c in t.comments]) for t in store.threads()]
