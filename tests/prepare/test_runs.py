"""Sorted runs (``rmbench.prepare.runs``): what goes out comes back by post id, each post's
rows in the order added, through merges of merges, and the files go when asked."""

from __future__ import annotations

import random

from rmbench.prepare import runs
from rmbench.prepare.runs import Runs
from rmbench.prepare.stored import fields
from rmbench.records import Comment


def _rows(n: int, seed: int) -> list[tuple]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        pid = f"p{rng.randrange(30):02d}"
        kind = i % 3
        rec = (f"c{i}" if kind == 0 else b"blob%d" % i if kind == 1
               else Comment(f"c{i}", pid, "t3_" + pid, "sub", "body %d" % i, i, edited=i % 2 == 0))
        out.append((pid, rec, i))  # the mask is the add order: it shows the order read back
    return out


def _plain(r: tuple) -> tuple:
    return (r[0], fields(r[1]), r[2]) if type(r[1]) is Comment else r


def test_runs_merge_back_by_post_id_in_add_order(tmp_path, monkeypatch):
    monkeypatch.setattr(runs, "FAN_IN", 3)
    monkeypatch.setattr(runs, "CHUNK_ROWS", 4)  # several chunks per run
    rows = _rows(400, 1)
    r = Runs(tmp_path / "s.sqlite")
    for k in range(0, 380, 20):  # 19 runs: merged into levels 1 and 2 as they come
        r.write(rows[k:k + 20])
    held = sorted(rows[380:], key=lambda x: x[0])
    assert r.rows == 380 and max(r._levels) == 2 and len(r.paths) < 19
    got = list(r.merged(held))
    # stable: add order within a post; the held rows come back as they were given
    want = sorted([_plain(x) for x in rows[:380]] + rows[380:], key=lambda x: x[0])
    assert got == want
    assert [m for _, _, m in got if _ == "p00"] == sorted(m for _, _, m in got if _ == "p00")
    paths = list(r.paths)
    r.remove()
    assert paths and not any(p.exists() for p in paths) and r.paths == [] and r.rows == 0


def test_no_runs_is_the_held_rows_alone(tmp_path):
    held = [("a", "x", 1), ("b", "y", 2)]
    assert list(Runs(tmp_path / "s").merged(iter(held))) == held


def test_a_comment_comes_back_as_the_store_reads_it(tmp_path):
    c = Comment("c", "p", "t3_p", "sub", "body", 5, author=None, score=3, edited=1, stickied=0, synthetic=1,
                retrieved_utc=86_405)
    r = Runs(tmp_path / "s")
    r.write([("p", c, 1), ("q", Comment("d", "q", "t3_q", "sub", "b", 5), 1)])
    ((pid, rec, mask), (_, unknown, _)) = list(r.merged([]))
    back = Comment(*rec)
    assert (pid, mask) == ("p", 1) and back.edited is True and back.stickied is False and back.synthetic is True
    assert back.body == "body" and back.score == 3 and back.retrieved_utc == 86_405
    assert Comment(*unknown).retrieved_utc is None
    r.remove()
