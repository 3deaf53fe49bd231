"""Staged pairs: cross-task duplicate responses flagged, each split read back sorted."""

from __future__ import annotations

from rmbench.prepare.pairtable import PairTable
from rmbench.prepare.store import ThreadStore


def test_pair_table_flags_text_seen_in_another_task(tmp_path):
    with ThreadStore(tmp_path / "s.sqlite") as store:
        pairs = PairTable(store.db)
        pairs.add([("a", "train", "p1:x:y", "{}", b"h1", b"h2"), ("a", "test", "p2:x:y", "{}", b"h3", b"h4"),
                   ("b", "train", "q1:x:y", "{}", b"h2", b"h5"), ("b", "train", "q0:x:y", "{}", b"h1", b"h1")])
        assert [(pid, dup) for pid, _, dup in pairs.rows("a", "train")] == [("p1:x:y", True)]
        assert [(pid, dup) for pid, _, dup in pairs.rows("b", "train")] == [("q0:x:y", True), ("q1:x:y", True)]
        assert [dup for _, _, dup in pairs.rows("a", "test")] == [False]
        assert pairs.dup_pairs("a") == 1 and pairs.dup_pairs("b") == 2
