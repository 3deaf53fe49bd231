"""The stacked predictor on the board: re-scored from the run's fit, the track's frozen
confounds logits and the submitted predictions; a claimed verdict the predictions do not
give is caught."""

from __future__ import annotations

import numpy as np

from rmbench.eval.stacked import stacked_card
from rmbench.leaderboard.ranking import make_row
from rmbench.leaderboard.recompute import recompute
from rmbench.leaderboard.render import adds_information, columns, stacked_mean
from rmbench.leaderboard.tracks import CONFOUNDS_LOGIT, load_tracks
from rmbench.leaderboard.validate import validate_submission

FIT = {"available": True, "features": ["confounds_logit", "margin"], "coef": {"confounds_logit": 0.9, "margin": 0.6},
       "margin_scale": 1.0, "margin_coef": 0.6, "margin_coef_ci95": [0.2, 1.0], "fit_tasks": ["askacademia"],
       "fit_split": "validation", "fit_pairs": 10, "fit_posts": 4,
       "surface": {"features": ["confounds_logit", "length"], "coef": {"confounds_logit": 0.9, "length": -0.4},
                   "length_scale": 300.0}}


def with_stacked(results: dict, track) -> dict:
    """results.json as the harness writes it for a run whose confounds is the track's: the
    stacked fit and each held-out split's stacked entry (rmbench.run.incremental's)."""
    results = {**results, "confounds": {"available": True, **track.confounds}, "stacked": FIT}
    preds = {(p["task"], p["split"], p["pair_id"]): p["reward_chosen"] - p["reward_rejected"]
             for p in results["_predictions"]}
    for task in track.heldout_tasks:
        for split, card in results["results"][task]["splits"].items():
            frozen = track.frozen_rows(task, split)
            margin = np.array([preds[(task, split, r["pair_id"])] for r in frozen])
            card["stacked"] = stacked_card(FIT, [r["post_id"] for r in frozen], [r[CONFOUNDS_LOGIT] for r in frozen],
                                           margin, samples=1000, seed=0, too_small=card["too_small"],
                                           length_margin=[r["len_chosen"] - r["len_rejected"] for r in frozen])
    return results


def test_the_stacked_verdict_is_recomputed_and_shown(tmp_path, make_board, make_results, make_submission):
    board, data = make_board(tmp_path)
    track = load_tracks(board)["demo"]
    assert track.baselines("writingprompts", "test")["confounds_logit"] is True
    results = with_stacked(make_results(data, ["writingprompts"]), track)
    sub = make_submission("stacked-model", results)
    assert validate_submission(sub, load_tracks(board)) == []
    numbers, _ = recompute(sub["results"], track, _predictions(sub))
    card = numbers.splits[("writingprompts", "test")]
    assert "surface_diff" in card["stacked"]  # the track froze the lengths: the surface stack is re-scored
    assert card["stacked"]["adds_information"] == results["results"]["writingprompts"]["splits"]["test"]["stacked"][
        "adds_information"]
    row = make_row(sub, track, numbers)
    assert stacked_mean(row, track) == card["stacked"]["diff"]
    assert adds_information(row, track) in ("yes", "no")
    assert {"stacked", "adds_information"} <= {c.key for c in columns(track)}
    # a claimed verdict (or accuracy) the predictions do not give is caught
    bad = make_submission("stacked-model", results)
    split = bad["results"]["results"]["writingprompts"]["splits"]["test"]["stacked"]
    split["adds_information"] = not split["adds_information"]
    split["accuracy"] = 0.99
    where = {p.where for p in validate_submission(bad, load_tracks(board))}
    assert {"results/results/writingprompts/splits/test/stacked/adds_information",
            "results/results/writingprompts/splits/test/stacked/accuracy"} <= where
    # so is a surface stack's figure, and a card that leaves the surface stack out of a verdict the fit gave it
    for forged in ({"surface_diff": 0.5}, {"surface_diff": None, "surface_diff_ci95": None, "surface_accuracy": None}):
        bad = make_submission("stacked-model", results)
        bad["results"]["results"]["writingprompts"]["splits"]["test"]["stacked"].update(forged)
        where = {p.where for p in validate_submission(bad, load_tracks(board))}
        assert "results/results/writingprompts/splits/test/stacked/surface_diff" in where
    # a fit that cannot re-score anything is refused by name
    broken = make_submission("stacked-model", {**results, "stacked": {**FIT, "margin_scale": 0}})
    assert any(p.where.startswith("results/stacked") for p in validate_submission(broken, load_tracks(board)))


def test_a_run_with_another_confounds_is_not_rescored(tmp_path, make_board, make_results, make_submission):
    board, data = make_board(tmp_path)
    track = load_tracks(board)["demo"]
    results = with_stacked(make_results(data, ["writingprompts"]), track)
    results["confounds"] = {**results["confounds"], "coef": [0.0] * len(track.confounds["coef"])}
    sub = make_submission("other-reference", results)
    numbers, problems = recompute(sub["results"], track, _predictions(sub))
    assert "stacked" not in numbers.splits[("writingprompts", "test")] and not problems


def _predictions(sub):
    from rmbench.leaderboard.frozen import predictions_by_split

    return predictions_by_split(sub["predictions"])
