"""Rank groups: neighbours the frozen pairs cannot tell apart share a group."""

from __future__ import annotations

import pytest

from rmbench.atomic import write_json
from rmbench.leaderboard.ranking import load_board


@pytest.fixture
def board(tmp_path, ranked_board):
    return ranked_board(tmp_path)


def _rows(board):
    return {r.name: r for r in load_board(board).rows["demo"]}


def test_groups_follow_the_paired_differences(board, ranked_entries):
    rows = _rows(board)
    order = sorted(rows.values(), key=lambda r: r.rank)
    assert [r.name for r in order] == ["bravo", "alpha", "delta", "charlie"]
    # alpha and delta get the same test pairs right (the first 150 and 40): a difference of
    # exactly 0, so one group; bravo and charlie are 11 and 12 points away from their neighbours
    assert [(r.name, r.group) for r in order] == [("bravo", 1), ("alpha", 2), ("delta", 2), ("charlie", 3)]
    assert rows["alpha"].vs_next == {"diff": 0.0, "ci95": [0.0, 0.0]}
    # the point difference is the difference of the ranking scores
    assert rows["bravo"].vs_next["diff"] == pytest.approx(rows["bravo"].mean - rows["alpha"].mean, abs=1e-6)
    lo, hi = rows["bravo"].vs_next["ci95"]
    assert 0 < lo < rows["bravo"].vs_next["diff"] < hi
    assert rows["charlie"].vs_next is None  # the last ranked row has no one below it


def test_one_pair_apart_is_the_same_group(tmp_path, board, ranked_entries, make_results, make_submission):
    """Bravo's twin that gets one writingprompts test pair fewer right: ranked just below it,
    and no interval on 280 pairs can tell one pair apart."""
    correct = ranked_entries["bravo"]
    correct["writingprompts"]["test"] -= 1
    res = make_results(tmp_path / "prepared-demo", ["writingprompts", "emory"], correct=correct)
    write_json(board / "submissions" / "bravo-minus-one.json", make_submission("bravo-minus-one", res))
    b = load_board(board)
    assert not b.invalid, b.invalid
    rows = {r.name: r for r in b.rows["demo"]}
    assert rows["bravo-minus-one"].rank == rows["bravo"].rank + 1
    assert rows["bravo-minus-one"].group == rows["bravo"].group == 1
    assert rows["bravo"].vs_next["diff"] == pytest.approx(1 / 200 / 2, abs=1e-6)
    assert rows["alpha"].group == 2
