"""The ranking: one aggregation function over held-out tasks, ties, the margin over the best baseline."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from rmbench.leaderboard.cli import leaderboard_group
from rmbench.leaderboard.ranking import load_board
from rmbench.atomic import write_json


@pytest.fixture
def board(tmp_path, ranked_board):
    return ranked_board(tmp_path)


def expected_mean(entries, name):
    """The ranking score worked out by hand from the board's entries (test sizes 200 and 80)."""
    c = entries[name]
    return (c["writingprompts"]["test"] / 200 + c["emory"]["test"] / 80) / 2


def test_rank_is_the_mean_over_heldout_tasks(board, ranked_entries):
    rows = load_board(board).rows["demo"]
    assert [r.name for r in rows] == sorted(ranked_entries, key=lambda n: -expected_mean(ranked_entries, n))
    for r in rows:
        assert r.mean == pytest.approx(expected_mean(ranked_entries, r.name))


def test_ties_break_on_the_hard_split_then_share_a_rank(board, tmp_path):
    rows = {r.name: r for r in load_board(board).rows["demo"]}
    # alpha and delta tie on test (0.625); alpha is better on test_hard, so it ranks first
    assert rows["alpha"].mean == rows["delta"].mean and rows["alpha"].rank < rows["delta"].rank
    twin = json.loads((board / "submissions" / "alpha.json").read_text()) | {"name": "alpha2"}
    write_json(board / "submissions" / "alpha2.json", twin)
    rows = {r.name: r for r in load_board(board).rows["demo"]}
    assert rows["alpha"].rank == rows["alpha2"].rank and rows["delta"].rank == rows["alpha"].rank + 2


def test_margin_is_over_the_harness_best_baseline_not_a_by_construction_one(board, ranked_entries):
    row = next(r for r in load_board(board).rows["demo"] if r.name == "bravo")
    # fixtures: later-wins is 100% by construction; best_baseline names longer (55%)
    assert row.best_baseline == "longer"
    assert row.margin == pytest.approx(expected_mean(ranked_entries, "bravo") - (round(200 * .55) / 200 + round(80 * .55) / 80) / 2)


def test_invalid_submissions_are_skipped_with_a_warning(board):
    (board / "submissions" / "broken.json").write_text("{}")
    res = CliRunner().invoke(leaderboard_group, ["show", "--format", "json", "--leaderboard-dir", str(board)])
    assert res.exit_code == 0
    assert "skipped 1 invalid submission(s)" in res.stderr
    assert "broken" not in res.stdout


def test_a_baseline_right_by_construction_and_a_flagged_run_are_shown_unranked(
        board, ranked_sizes, make_manifest, make_results, make_submission):
    later = make_results(make_manifest(ranked_sizes), ["writingprompts", "emory"], kind="baseline",
                         model_id="baseline:later", parameters=0,
                         correct={"writingprompts": {"test": 200, "test_hard": 60}, "emory": {"test": 80, "test_hard": 20}})
    write_json(board / "submissions" / "later-wins.json", make_submission("later-wins", later))
    leaky = json.loads((board / "submissions" / "alpha.json").read_text())
    leaky["name"] = "leaky"
    leaky["results"]["flags"] = ["with_delay_leaks_label"]
    write_json(board / "submissions" / "leaky.json", leaky)
    rows = load_board(board).rows["demo"]
    assert [r.name for r in rows][-2:] == ["later-wins", "leaky"]  # after every ranked row, best first
    assert rows[-2].rank is None and "by construction" in rows[-2].note
    assert rows[-1].rank is None and rows[-1].note == "with_delay_leaks_label"
    assert [r.rank for r in rows[:-2]] == [1, 2, 3, 4]
