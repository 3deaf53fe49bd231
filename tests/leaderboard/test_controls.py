"""The board recomputes a card's controls (length-controlled accuracy, cue-conflict cell, noise
ceiling, the parts by response cut) from the predictions and the track's frozen lengths and
scores, checks the submitted ones against them, and shows them."""

from __future__ import annotations

import json

import pytest

from rmbench.leaderboard.frozen import (CONTROL_KEYS, CUT_KEYS, PAIR_KEYS, PREDICTION_KEYS, pack, read_predictions,
                                        unpack)
from rmbench.leaderboard.tracks import CONFOUNDS_LOGIT, load_tracks
from rmbench.leaderboard.validate import validate_submission

SPLIT = ("writingprompts", "test")


def every_third_cut(rows):
    return {"chosen": [i % 3 == 0 for i in range(len(rows))], "rejected": [i % 5 == 1 for i in range(len(rows))]}


@pytest.fixture
def board(tmp_path, make_board):
    return make_board(tmp_path)


@pytest.fixture
def good(board, make_results, make_submission):
    return make_submission("good-model", make_results(board[1], ["writingprompts"], cuts=every_third_cut))


def _numbers(sub, board):
    from rmbench.leaderboard.recompute import recompute

    track = load_tracks(board[0])[sub["track"]]
    return recompute(sub["results"], track, *read_predictions(sub["predictions"]))


def _split(sub):
    return sub["results"]["results"][SPLIT[0]]["splits"][SPLIT[1]]


def test_the_recomputed_controls_are_the_runs_own(good, board):
    numbers, problems = _numbers(good, board)
    assert problems == []
    card, own = numbers.splits[SPLIT], _split(good)
    for name in ("length_controlled", "cue_conflict", "noise_ceiling", "by_response_cut"):
        assert card[name] == own[name], name
    # not empty cells: the fixture's pairs have both length groups, a cue-conflict cell, scores and both cut parts
    assert min(card["length_controlled"]["n_longer"], card["length_controlled"]["n_shorter"]) > 0
    assert card["length_controlled"]["accuracy"] is not None and card["cue_conflict"]["n"] > 0
    assert card["noise_ceiling"]["value"] is not None
    assert card["by_response_cut"]["whole"]["n"] > 0 and card["by_response_cut"]["cut"]["n"] > 0


@pytest.mark.parametrize("name,key,value", [("length_controlled", "accuracy", 0.99),
                                            ("length_controlled", "n_shorter", 3),
                                            ("cue_conflict", "accuracy", 0.01),
                                            ("noise_ceiling", "ci95", [0.1, 0.2])])
def test_a_claimed_control_the_predictions_do_not_give_is_rejected(good, board, name, key, value):
    _split(good)[name][key] = value
    problems = validate_submission(good, load_tracks(board[0]))
    assert [(p.rule, p.where) for p in problems] == [
        ("recomputed", f"results/results/{SPLIT[0]}/splits/{SPLIT[1]}/{name}/{key}")]


def test_a_claimed_part_by_response_cut_is_rejected_and_so_are_flags_changed_behind_it(good, board):
    bad = json.loads(json.dumps(good))
    _split(bad)["by_response_cut"]["whole"]["accuracy"] = 0.99
    problems = validate_submission(bad, load_tracks(board[0]))
    assert [p.where.rsplit("/", 3)[1:] for p in problems] == [["by_response_cut", "whole", "accuracy"]]

    rows = unpack(good["predictions"], "p", PREDICTION_KEYS, CUT_KEYS)
    first = next(r for r in rows if (r["task"], r["split"]) == SPLIT and not r["cut_chosen"] and not r["cut_rejected"])
    first["cut_chosen"] = True  # one more pair in the cut part: the numbers no longer follow
    good["predictions"] = pack(rows)
    wheres = {p.where for p in validate_submission(good, load_tracks(board[0]))}
    assert f"results/results/{SPLIT[0]}/splits/{SPLIT[1]}/by_response_cut/whole/n" in wheres


def test_cut_flags_are_in_every_prediction_row_or_in_none(good, board):
    rows = unpack(good["predictions"], "p", PREDICTION_KEYS, CUT_KEYS)
    assert all(set(CUT_KEYS) <= set(r) for r in rows)
    del rows[-1]["cut_chosen"], rows[-1]["cut_rejected"]
    good["predictions"] = pack(rows)
    problems = validate_submission(good, load_tracks(board[0]))
    assert any(p.rule == "predictions" and "exactly the keys" in p.message for p in problems)
    rows[0]["cut_chosen"] = "yes"
    for r in rows[1:]:
        r.update({"cut_chosen": False, "cut_rejected": False})
    good["predictions"] = pack(rows)
    problems = validate_submission(good, load_tracks(board[0]))
    assert any(p.rule == "predictions" and "true or false" in p.message for p in problems)


def test_without_cut_flags_there_is_no_part_by_response_cut_to_check(good, board):
    rows = [{k: r[k] for k in PREDICTION_KEYS} for r in unpack(good["predictions"], "p", PREDICTION_KEYS, CUT_KEYS)]
    good["predictions"] = pack(rows)
    numbers, problems = _numbers(good, board)
    assert problems == [] and "by_response_cut" not in numbers.splits[SPLIT]
    assert numbers.splits[SPLIT]["length_controlled"] == _split(good)["length_controlled"]


def test_a_track_frozen_before_the_lengths_still_validates_and_shows_no_controls(good, board):
    path = board[0] / "tracks.json"
    raw = json.loads(path.read_text())
    for task in raw["tracks"]["demo"]["tasks"].values():
        for entry in task["splits"].values():
            base = entry["baselines"]
            keys = PAIR_KEYS + tuple(f"b_{k}" for k in base["scored"])
            keys += (CONFOUNDS_LOGIT,) if base.get("confounds_logit") else ()
            rows = unpack(entry["pair_rows"], "t", keys, CONTROL_KEYS)
            entry["pair_rows"] = pack([{k: r[k] for k in keys} for r in rows])
            del base["controls"]
    path.write_text(json.dumps(raw))
    numbers, problems = _numbers(good, board)
    assert problems == []
    assert "length_controlled" not in numbers.splits[SPLIT] and "by_response_cut" in numbers.splits[SPLIT]


def test_the_board_and_the_page_show_the_recomputed_controls(good, board):
    from rmbench.leaderboard.detail import controls_table
    from rmbench.leaderboard.ranking import make_row
    from rmbench.leaderboard.render import columns, fmt

    track = load_tracks(board[0])["demo"]
    numbers, _ = _numbers(good, board)
    row = make_row(good, track, numbers)
    col = next(c for c in columns(track) if c.key == "length_controlled")
    assert col.value(row) == numbers.splits[("writingprompts", track.splits[0])]["length_controlled"]["accuracy"]
    html = controls_table(row)
    card = numbers.splits[SPLIT]
    assert "<h2>Controls</h2>" in html and "writingprompts/test" in html
    assert fmt(card["length_controlled"]["accuracy"], "pct") in html
    assert f"(n={card['by_response_cut']['cut']['n']:,})" in html
    row.splits = {k: {x: v for x, v in c.items() if x != "length_controlled"} for k, c in row.splits.items()}
    assert controls_table(row) == "" and col.value(row) is None


def test_collected_predictions_carry_the_cut_flags_of_a_run_that_read_tokens(tmp_path, board, make_results, write_run):
    from rmbench.leaderboard.submission import collect_predictions

    track = load_tracks(board[0])["demo"]
    run = write_run(tmp_path / "run", make_results(board[1], ["writingprompts"], cuts=every_third_cut))
    _, cuts = read_predictions(collect_predictions(run, track))
    flags = every_third_cut(range(len(cuts[SPLIT])))
    # the flags follow the run's pair order, which the fixture keeps; the block is in pair-id order
    order = [p["pair_id"] for p in make_results(board[1], ["writingprompts"])["_predictions"] if (p["task"], p["split"]) == SPLIT]
    assert [cuts[SPLIT][i] for i in order] == list(zip(flags["chosen"], flags["rejected"]))
    baseline = write_run(tmp_path / "base", make_results(board[1], ["writingprompts"]))  # no truncated: no flags
    assert read_predictions(collect_predictions(baseline, track))[1] == {}
