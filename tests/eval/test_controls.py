"""The noise ceiling on vote counts with known answers, and the length control's fit."""

from __future__ import annotations

import numpy as np
import pytest

from rmbench.eval.controls import keep_order_probability, noise_ceiling
from rmbench.eval.metrics import ClusterBootstrap


def test_keep_order_probability_on_known_cases():
    # 3 votes to 1: re-drawing 4 votes at p = 3/4 keeps the order with P(X>2) + P(X=2)/2
    p = 0.75
    exact = p ** 4 + 4 * p ** 3 * (1 - p) + 0.5 * 6 * p ** 2 * (1 - p) ** 2
    assert keep_order_probability([3], [1])[0] == pytest.approx(exact)
    many = keep_order_probability([300], [100])[0]  # the same share, 100x the votes: near certain
    assert many > 0.999
    assert keep_order_probability([0], [0])[0] == 0.5  # no votes: a coin


def test_noise_ceiling_without_scores_is_null():
    assert noise_ceiling([None], [1], ClusterBootstrap(["p"], 10))["value"] is None
    assert noise_ceiling([3], [1], None)["value"] is None  # an empty split has no bootstrap
    assert noise_ceiling([3], [1], ClusterBootstrap(["p"], 10))["value"] == pytest.approx(keep_order_probability([3], [1])[0])


def test_length_controlled_accuracy_is_50_for_longer_wins_and_keeps_a_blind_scorer():
    import random

    from rmbench.eval.controls import length_controlled, lengths_of
    from rmbench.eval.metrics import pair_outcomes

    rng = random.Random(0)
    # chosen is the longer one 70% of the time, as in the college dumps
    rows = []
    for i in range(2000):
        a, b = rng.randint(50, 400), rng.randint(50, 400)
        lc, lr = (max(a, b), min(a, b)) if rng.random() < 0.7 else (min(a, b), max(a, b))
        rows.append({"pair_id": f"p{i // 4}:c:r", "chosen": "x" * lc, "rejected": "y" * lr})
    boot = ClusterBootstrap([r["pair_id"].split(":")[0] for r in rows], 300, 0)
    longer = pair_outcomes([len(r["chosen"]) for r in rows], [len(r["rejected"]) for r in rows])
    assert longer.mean() > 0.65
    lc = length_controlled(*lengths_of(rows), longer, boot)
    assert lc["accuracy"] == 0.5 and lc["length_dependence"] == 1.0
    blind = np.array([1.0 if rng.random() < 0.62 else 0.0 for _ in rows])
    lb = length_controlled(*lengths_of(rows), blind, boot)
    assert lb["accuracy"] == pytest.approx(0.62, abs=0.03) and abs(lb["length_dependence"]) < 0.06
    assert lb["ci95"][0] < lb["accuracy"] < lb["ci95"][1]


def test_accuracy_by_vote_margin_per_bucket_with_intervals_and_the_surface_baselines():
    from rmbench.eval.controls import score_ratio_curve

    # 40 posts x 3 pairs: ratios 2.5 (right 1/3 of the time), 4 (always wrong), 12 (always right), and
    # one pair per post with no ratio (a score <= 0): left out of every bucket
    posts, outcomes, ratios, longer = [], [], [], []
    for i in range(40):
        for ratio, right in ((2.5, float(i % 3 == 0)), (4.0, 0.0), (12.0, 1.0), (None, 1.0)):
            posts.append(f"p{i}")
            outcomes.append(right)
            ratios.append(ratio)
            longer.append(1.0 - right)  # longer-wins is right exactly where the model is wrong
    others = {"longer": np.asarray(longer), "confounds": "not fitted: 3 pairs", "random": np.full(160, 0.5)}
    curve = score_ratio_curve(posts, outcomes, others, ratios, [2, 3, 5, 10], 300, 0)
    assert [(b["bucket"], b["n"], b["posts"]) for b in curve] == [("2-3", 40, 40), ("3-5", 40, 40), ("10+", 40, 40)]
    low, mid, high = curve
    assert low["accuracy"] == pytest.approx(14 / 40) and low["ci95"][0] < low["accuracy"] < low["ci95"][1]
    assert (mid["accuracy"], mid["ci95"]) == (0.0, [0.0, 0.0]) and (high["accuracy"], high["ci95"]) == (1.0, [1.0, 1.0])
    # the same pairs' longer-wins accuracy; an unfitted baseline and chance are not listed
    assert [b["baselines"] for b in curve] == [{"longer": pytest.approx(26 / 40)}, {"longer": 1.0}, {"longer": 0.0}]


def test_by_response_cut_splits_on_either_side_and_differs_from_confounds_in_each_part():
    from rmbench.eval.controls import by_response_cut

    posts = [f"p{i // 2}" for i in range(40)]
    # the model is right on every whole pair and wrong on every cut one; confounds the other way round
    cut_c = [i % 4 == 0 for i in range(40)]
    cut_r = [i % 4 == 1 for i in range(40)]
    cut = np.array(cut_c) | np.array(cut_r)
    model = (~cut).astype(float)
    others = {"confounds": cut.astype(float), "longer": np.ones(40), "earlier": "no timestamps"}
    out = by_response_cut(posts, model, others, {"prompt": [True] * 40, "chosen": cut_c, "rejected": cut_r}, 200, 0)
    whole, part = out["whole"], out["cut"]
    assert (whole["n"], part["n"]) == (20, 20) and whole["posts"] == part["posts"] == 10  # a post: two pairs
    assert (whole["accuracy"], whole["confounds"], whole["diff_confounds"]) == (1.0, 0.0, 1.0)
    assert (part["accuracy"], part["confounds"], part["diff_confounds"]) == (0.0, 1.0, -1.0)
    assert part["diff_confounds_ci95"] == [-1.0, -1.0] and whole["longer"] == 1.0
    # a cut prompt alone does not count: the model still read both responses whole
    none_cut = by_response_cut(posts, model, others, {"prompt": [True] * 40, "chosen": [False] * 40,
                                                     "rejected": [False] * 40}, 200, 0)
    assert none_cut["whole"]["n"] == 40 and none_cut["cut"]["n"] == 0 and none_cut["cut"]["accuracy"] is None
    # confounds not fitted (its reason instead of outcomes): accuracies without a difference
    no_conf = by_response_cut(posts, model, {"confounds": "too few pairs"}, {"chosen": cut_c, "rejected": cut_r}, 50, 0)
    assert no_conf["cut"]["accuracy"] == 0.0 and no_conf["cut"]["diff_confounds"] is None
    # no per-pair flags (a baseline), or flags of another length: no breakdown
    assert by_response_cut(posts, model, others, None, 50, 0) is None
    assert by_response_cut(posts, model, others, {"chosen": cut_c[:5], "rejected": cut_r[:5]}, 50, 0) is None
