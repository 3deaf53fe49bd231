"""bench/bench_train.py (b): the scoring comparison runs, on whole posts of every held-out split.

The speed figures of a tiny model measure nothing; this pins what (b) compares: the same
pairs through the scorer (unique inputs once, remembered across splits) and through the
naive loop, with the workload cut to whole posts so a post's pairs stay together.
"""

from __future__ import annotations

import argparse


def test_harness_workload_and_eval_speed(tmp_path, write_prepared, tiny_bert_dir, bench_script):
    bench = bench_script("bench_train")
    data = write_prepared(tmp_path / "data", {"askacademia": {"train": 30, "validation": 12, "test": 24, "test_hard": 9},
                                              "gradschool": {"train": 12, "test": 6}})
    work = bench.harness_workload(str(data), "askacademia", posts=6, seed=0)
    assert set(work) == {"heldout_all", "heldout_all_hard", "test", "test_hard"}
    posts = {r["prompt"] for r in work["heldout_all"]}
    assert len(posts) == 6
    # whole posts: every heldout_all pair of a kept post is there, and the other splits only hold kept posts
    from rmbench.prepared.load import load_split

    every = load_split(data, "askacademia", "heldout_all")
    assert len(work["heldout_all"]) == sum(r["prompt"] in posts for r in every)
    assert all(r["prompt"] in posts for s in ("test", "test_hard", "heldout_all_hard") for r in work[s])

    args = argparse.Namespace(max_length=64, eval_batch_size=4, eval_rounds=1, seed=0)
    model = tiny_bert_dir(tmp_path / "rm")
    sampled = load_split(data, "askacademia", "test", 10, 0)
    out = bench.eval_speed(str(model), sampled, args, work)
    pairs = sum(len(v) for v in work.values())
    assert out["harness"]["pairs"] == pairs and out["harness"]["pair_sides"] == 2 * pairs
    # remembered across splits: an input shared by several splits (or pairs) is scored once
    sides = {(r["prompt"], r[k]) for rows in work.values() for r in rows for k in ("chosen", "rejected")}
    assert len(sides) < 2 * pairs
    assert out["harness"]["unique_inputs"] == len(sides)
    assert out["sampled"]["pairs"] == 10
    for name in ("sampled", "harness"):
        assert out[name]["speedup"] > 0 and out[name]["ours_pairs_per_s"] > 0
