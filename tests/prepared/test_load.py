"""The evaluation splits composed of split files: every held-out post exactly once."""

from __future__ import annotations

from rmbench.prepared.load import load_split
from rmbench.prepared.manifest import Prepared


def test_heldout_all_covers_every_post_exactly_once(tmp_path, write_prepared):
    data = write_prepared(tmp_path / "d", {"gradschool": {"train": 60, "validation": 12, "test": 18, "test_hard": 6}})
    every = load_split(data, "gradschool", "heldout_all")
    parts = {s: load_split(data, "gradschool", s) for s in ("train", "validation", "test")}
    ids = [r["pair_id"] for r in every]
    assert ids == sorted(ids) and len(set(ids)) == len(ids) == 90
    assert set(ids) == {r["pair_id"] for rows in parts.values() for r in rows}
    posts = {s: {r["post_id"] for r in rows} for s, rows in parts.items()}
    assert not (posts["train"] & posts["validation"] or posts["train"] & posts["test"] or posts["validation"] & posts["test"])
    assert {r["post_id"] for r in every} == posts["train"] | posts["validation"] | posts["test"]
    prepared = Prepared.open(data)
    assert prepared.pairs("gradschool", "heldout_all") == 90
    assert prepared.posts("gradschool", "heldout_all") == sum(len(p) for p in posts.values())
    assert load_split(data, "gradschool", "heldout_all_hard") == []  # all_hard.jsonl, written empty here
    assert len(load_split(data, "gradschool", "heldout_all", limit=10, seed=1)) == 10
