"""Tracks are frozen from a prepared manifest by a command, never by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from rmbench.leaderboard.cli import leaderboard_group
from rmbench.errors import LeaderboardError
from rmbench.leaderboard.tracks import benchmark_version, freeze, load_tracks, same_test_sets


def _freeze(board, data, *args):
    return CliRunner().invoke(leaderboard_group, ["freeze", "--data", str(data), "--leaderboard-dir", str(board), *args])


def test_freeze_copies_counts_fingerprints_pairs_and_the_harness_baselines(tmp_path, write_prepared, board_sizes):
    """A default freeze holds every held-out post (heldout_all = train + validation + test,
    heldout_all_hard = all_hard) and test/test_hard, each with the rows the harness scores
    and every baseline's per-pair outcome, so a submission's paired differences can be redone."""
    import numpy as np

    from rmbench.eval.config import EvalConfig
    from rmbench.eval.scorecard import baseline_outcomes, best_baseline, split_scorecard
    from rmbench.leaderboard.tracks import TEST_SPLITS, heldout_rows
    from rmbench.prepared.manifest import Prepared

    board_sizes["writingprompts"]["all_hard"] = 90
    data = write_prepared(tmp_path / "prep", board_sizes)
    res = _freeze(tmp_path / "lb", data, "--track", "demo", "--holdout", "WritingPrompts")
    assert res.exit_code == 0, res.output
    track = load_tracks(tmp_path / "lb")["demo"]
    prepared = Prepared.open(data)
    manifest = prepared.doc
    assert track.heldout_tasks == ("writingprompts",) and track.splits == TEST_SPLITS
    assert track.reference_tasks == ("askacademia",) and track.confounds is not None
    plan, rows_by = heldout_rows(prepared, ["writingprompts"], TEST_SPLITS)
    parts = {"heldout_all": ("train", "validation", "test"), "heldout_all_hard": ("all_hard",),
             "test": ("test",), "test_hard": ("test_hard",)}
    for split in TEST_SPLITS:
        got = track.tasks["writingprompts"]["splits"][split]
        rows = rows_by[("writingprompts", split)]
        assert got["pairs"] == len(rows) == sum(board_sizes["writingprompts"].get(x, 0) for x in parts[split])
        assert got["fingerprints"] == {x: manifest["tasks"]["writingprompts"]["splits"][x]["fingerprint"]
                                       for x in parts[split]}
        frozen = track.frozen_rows("writingprompts", split)
        assert [r["pair_id"] for r in frozen] == [r["pair_id"] for r in rows]
        outcomes = baseline_outcomes(rows, 0, plan.confounds)
        for name in ("longer", "shorter", "confounds"):
            assert np.array_equal([r[f"b_{name}"] for r in frozen], outcomes[name])
        # the frozen baselines are the harness's own numbers for them
        card = split_scorecard(rows, [0.5] * len(rows), [0.5] * len(rows), cfg=EvalConfig(), seed=0,
                               preferred_later=True, confounds=plan.confounds)
        table = track.baselines("writingprompts", split)["table"]
        for name, entry in card["baselines"].items():
            assert (table[name]["accuracy"], table[name]["ci95"]) == (entry["accuracy"], entry["ci95"])
        assert track.baselines("writingprompts", split)["best"] == best_baseline(table)
    assert track.synthetic is True and track.benchmark_version == benchmark_version(manifest["rmbench_version"])
    assert track.frozen_from["manifest_fingerprint"] == manifest["fingerprint"]
    assert "train" not in track.tasks["writingprompts"]["splits"]


def test_refreezing_the_same_data_changes_nothing(tmp_path, write_prepared, board_sizes):
    data = write_prepared(tmp_path / "prep", board_sizes)
    board = tmp_path / "lb"
    _freeze(board, data, "--track", "demo", "--holdout", "writingprompts")
    before = (board / "tracks.json").read_text()
    res = _freeze(board, data, "--track", "demo", "--holdout", "writingprompts")
    assert "unchanged" in res.output
    assert (board / "tracks.json").read_text() == before


def test_changed_test_sets_need_replace(tmp_path, write_prepared, board_sizes):
    board = tmp_path / "lb"
    freeze(board, write_prepared(tmp_path / "a", board_sizes), "demo", ["writingprompts"], "demo")
    data = write_prepared(tmp_path / "b", board_sizes, seed=1)  # other pairs
    with pytest.raises(LeaderboardError, match="--replace"):
        freeze(board, data, "demo", ["writingprompts"], "demo")
    _, what = freeze(board, data, "demo", ["writingprompts"], "demo", replace=True)
    assert what == "replaced"
    from rmbench.prepared.manifest import Prepared

    assert load_tracks(board)["demo"].tasks["writingprompts"]["splits"]["test"]["fingerprints"]["test"] == \
        Prepared.open(data).fingerprints("writingprompts")["test"]


def test_a_tracks_file_of_the_old_schema_is_upgraded_only_with_replace(tmp_path, write_prepared, board_sizes):
    board = tmp_path / "lb"
    board.mkdir()
    (board / "tracks.json").write_text(json.dumps({"kind": "rmbench.tracks", "schema_version": 1,
                                                   "tracks": {"demo": {}, "other": {}}}))
    data = write_prepared(tmp_path / "a", board_sizes)
    with pytest.raises(LeaderboardError, match="schema version 1.*older schema.*also: other"):
        freeze(board, data, "demo", ["writingprompts"], "demo")
    _, what = freeze(board, data, "demo", ["writingprompts"], "demo", replace=True)
    assert "freeze again: other" in what and list(load_tracks(board)) == ["demo"]


def test_two_tracks_live_side_by_side(tmp_path, write_prepared, board_sizes):
    board = tmp_path / "lb"
    freeze(board, write_prepared(tmp_path / "a", board_sizes), "demo", ["writingprompts"], "demo")
    real = write_prepared(tmp_path / "b", {"emory": {"train": 20, "validation": 5, "test": 50, "test_hard": 5}},
                          synthetic=False, spec="../shared/data/reddit-dumps")
    freeze(board, real, "reddit-college", ["emory"], "reddit-college dumps")
    tracks = load_tracks(board)
    assert sorted(tracks) == ["demo", "reddit-college"] and tracks["reddit-college"].synthetic is False


@pytest.mark.parametrize("args, message", [
    (["--track", "demo", "--holdout", "nosuchtask"], "not in the prepared data"),
    (["--track", "../demo", "--holdout", "writingprompts"], "track name"),
])
def test_freeze_refuses_bad_requests(tmp_path, args, message, write_prepared, board_sizes):
    data = write_prepared(tmp_path / "prep", board_sizes)
    res = _freeze(tmp_path / "lb", data, *args)
    assert res.exit_code != 0 and message in res.output
    assert not (tmp_path / "lb" / "tracks.json").exists()


def test_an_empty_test_split_cannot_be_a_track(tmp_path, write_prepared):
    data = write_prepared(tmp_path / "prep", {"emory": {"train": 10, "validation": 2, "test": 0, "test_hard": 0}})
    with pytest.raises(LeaderboardError, match="empty test split"):
        freeze(tmp_path / "lb", data, "x", ["emory"], "x")


def test_a_hand_edited_tracks_file_is_refused(tmp_path, write_prepared, board_sizes):
    board = tmp_path / "lb"
    freeze(board, write_prepared(tmp_path / "a", board_sizes), "demo", ["writingprompts"], "demo")
    raw = json.loads((board / "tracks.json").read_text())
    raw["tracks"]["demo"]["tasks"]["writingprompts"]["splits"]["test"]["pairs"] = -1
    (board / "tracks.json").write_text(json.dumps(raw))
    with pytest.raises(LeaderboardError, match="malformed"):
        load_tracks(board)


REPO_BOARD = Path(__file__).resolve().parents[2] / "leaderboard"


@pytest.mark.slow
def test_the_committed_demo_track_is_what_freeze_makes_of_todays_demo(tmp_path):
    """tracks.json is never hand-kept: re-preparing the demo must give the committed track.
    If this fails, the demo data changed: run bench/seed_leaderboard.sh and commit the result."""
    committed = load_tracks(REPO_BOARD).get("demo")
    if committed is None:
        pytest.skip("this checkout has no demo track yet (bench/seed_leaderboard.sh makes it)")
    from rmbench.prepare import prepare

    # every task: the other tasks are the reference the track's confounds baseline is fitted on
    prepare("demo", tmp_path / "demo", progress=False)
    fresh, what = freeze(tmp_path / "lb", tmp_path / "demo", "demo", list(committed.heldout_tasks), committed.label)
    assert same_test_sets(committed, fresh), "demo data changed: re-run bench/seed_leaderboard.sh"


def test_the_committed_board_is_valid_and_never_empty():
    from rmbench.leaderboard.ranking import load_board

    board = load_board(REPO_BOARD)
    if not board.tracks:
        pytest.skip("no tracks committed yet (bench/seed_leaderboard.sh makes them)")
    assert board.invalid == {}, {str(p): [str(x) for x in v] for p, v in board.invalid.items()}
    for name, rows in board.rows.items():
        kinds = {r.model for r in rows}
        assert {"baseline:random", "baseline:longer", "baseline:later"} <= kinds, name
        assert any(r.kind == "reward_model" for r in rows), name
