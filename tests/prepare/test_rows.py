"""A pair's output row: its line is exactly ``row_json`` of its row dict (``row_dict``), on the
direct path (int scores and times) and through the encoder (anything else)."""

from __future__ import annotations

from rmbench.prepare.pair import prompt_of
from rmbench.prepare.rows import Escaped, build_row, row_dict, row_json
from rmbench.records import Comment, Post
from rmbench.registry import get_task

TEXTS = ['say "hi"\\ now\n\ttab', "caf\u00e9 \u2603 \U0001F600 \x00\x1f\u2028", "\ud800 lone", "", "plain " * 30]


def test_line_is_row_json_of_the_row():
    task = get_task("askscience")
    # Scores: ints (the direct path; <= 0 gives score_ratio null), a float and a bool (the
    # encoder's path); snapshot times known and unknown; post times known, 0 and unknown.
    scores = [10, 7, 0, -3, 4.5, True]
    for created, selftext, synthetic in ((1_600_000_000, 'a "quoted" \u00fc\nbody', False), (0, "", True),
                                         (None, "x", False)):
        p = Post("p\u00e91", "askscience", 'Why "x"?', selftext, created, synthetic=synthetic)
        kept = [Comment(f"c{k}\u00e9" if k == 1 else f"c{k}", p.id, f"t3_{p.id}", "askscience", body,
                        1_600_000_100 + k, f"u{k}", scores[k % len(scores)],
                        retrieved_utc=None if k % 2 else 1_700_000_000) for k, body in enumerate(TEXTS + TEXTS[:1])]
        text = Escaped(task, p, prompt_of(p), kept)
        hashes: dict = {}
        for i in range(len(kept)):
            for j in range(len(kept)):
                for split in ("train", "test_hard"):
                    r = build_row(text, i, j, split, hashes)
                    assert r.line == row_json(row_dict(text, i, j, split)), (i, j)
                    assert r.row == row_dict(text, i, j, split) and r.row["split"] == split == r.split
                    assert r.chosen_hash == hashes[kept[i].id] and r.pair_id == f"{p.id}:{kept[i].id}:{kept[j].id}"
