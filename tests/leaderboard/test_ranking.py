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


def test_margin_is_over_the_tracks_frozen_best_baseline_not_a_by_construction_one(board, ranked_entries):
    from rmbench.leaderboard.tracks import load_tracks

    track = load_tracks(board)["demo"]
    best = [track.baselines(t, "test") for t in ("writingprompts", "emory")]
    assert all(b["best"] not in ("later", "earlier") for b in best)  # later-wins is 100% by construction
    row = next(r for r in load_board(board).rows["demo"] if r.name == "bravo")
    assert row.best_baseline == "/".join(dict.fromkeys(b["best"] for b in best))
    frozen_mean = sum(b["table"][b["best"]]["accuracy"] for b in best) / 2
    assert row.margin == pytest.approx(expected_mean(ranked_entries, "bravo") - frozen_mean)


def test_the_board_shows_recomputed_numbers_not_submitted_ones(board):
    """Even a rounding-sized nudge of a submitted accuracy is not what the board shows."""
    sub = json.loads((board / "submissions" / "bravo.json").read_text())
    split = sub["results"]["results"]["writingprompts"]["splits"]["test"]
    true = split["accuracy"]
    split["accuracy"] = true + 1e-6  # within the rounding tolerance: still valid
    write_json(board / "submissions" / "bravo.json", sub)
    b = load_board(board)
    assert b.invalid == {}
    row = next(r for r in b.rows["demo"] if r.name == "bravo")
    assert row.accuracy["writingprompts/test"] == true


def test_invalid_submissions_are_skipped_with_a_warning(board):
    (board / "submissions" / "broken.json").write_text("{}")
    res = CliRunner().invoke(leaderboard_group, ["show", "--format", "json", "--leaderboard-dir", str(board)])
    assert res.exit_code == 0
    assert "skipped 1 invalid submission(s)" in res.stderr
    assert "broken" not in res.stdout


def test_baselines_and_flagged_runs_are_shown_unranked(board, make_results, make_submission):
    data = board.parent / "prepared-demo"
    for b in ("later", "longer"):
        res = make_results(data, ["writingprompts", "emory"], kind="baseline", model_id=f"baseline:{b}", parameters=0)
        write_json(board / "submissions" / f"baseline-{b}-demo.json", make_submission(f"baseline-{b}-demo", res))
    leaky = json.loads((board / "submissions" / "alpha.json").read_text())
    leaky["name"] = "leaky"
    leaky["results"]["flags"] = ["with_delay_leaks_label"]
    write_json(board / "submissions" / "leaky.json", leaky)
    b = load_board(board)
    assert b.invalid == {}, b.invalid
    rows = b.rows["demo"]
    assert [r.rank for r in rows[:4]] == [1, 2, 3, 4] and all(r.rank is None for r in rows[4:])
    unranked = {r.name: r.note for r in rows[4:]}
    assert unranked["baseline-later-demo"] == "baseline, for reference: right by construction of the pairing rule"
    assert unranked["baseline-longer-demo"] == "baseline, for reference" and unranked["leaky"].startswith("label leak")
    assert [r.name for r in rows[4:]][0] == "baseline-later-demo"  # unranked rows follow, best first
