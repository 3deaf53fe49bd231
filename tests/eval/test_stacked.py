"""The stacked predictor (confounds + a model's margin): its fit, its verdict, its interval."""

from __future__ import annotations

import numpy as np
import pytest

from rmbench.eval.stacked import fit_stacked, stacked_card, stacked_logits, verdict_text


def pairs(n: int, signal: float, seed: int = 0):
    """Pairs whose vote follows the confounds logit plus, with weight ``signal``, a quality the
    model's margin sees (noisily) and the confounds do not; 4 pairs a post."""
    rng = np.random.default_rng(seed)
    conf, quality = rng.normal(size=n), rng.normal(size=n)
    side = np.where(conf + signal * quality + rng.logistic(size=n) > 0, 1.0, -1.0)  # which side won
    margin = 3.0 * (quality + rng.normal(scale=0.5, size=n)) * side
    return [f"p{i // 4}:{i}" for i in range(n)], conf * side, margin


def posts(ids):
    return [i.split(":")[0] for i in ids]


def test_the_fit_is_the_both_orders_logistic_without_intercept():
    from sklearn.linear_model import LogisticRegression

    ids, conf, margin = pairs(600, 1.0)
    fit = fit_stacked(ids, conf, margin, samples=200, seed=0, fit_tasks=["b", "a"])
    x = np.column_stack([conf, margin / np.sqrt(np.mean(margin ** 2))])
    ref = LogisticRegression(C=1.0, fit_intercept=False).fit(np.concatenate([x, -x]), np.r_[np.ones(600), np.zeros(600)])
    assert [fit["coef"]["confounds_logit"], fit["coef"]["margin"]] == pytest.approx(ref.coef_[0], abs=1e-3)  # sklearn stops at tol 1e-4
    assert fit["fit_tasks"] == ["a", "b"] and (fit["fit_pairs"], fit["fit_posts"]) == (600, 150)
    lo, hi = fit["margin_coef_ci95"]
    assert lo < fit["margin_coef"] < hi and "posts" in fit["interval"]
    assert stacked_logits(fit, conf, margin) == pytest.approx(x @ ref.coef_[0], abs=1e-2)


def test_a_margin_that_sees_what_the_surface_does_not_adds_information():
    ids, conf, margin = pairs(800, 1.0)
    fit = fit_stacked(ids, conf, margin, samples=300, seed=0)
    ids2, conf2, margin2 = pairs(3000, 1.0, seed=1)
    card = stacked_card(fit, posts(ids2), conf2, margin2, samples=300, seed=0, too_small=False)
    assert card["adds_information"] is True and card["diff_ci95"][0] > 0 and card["accuracy"] > card["confounds_accuracy"]
    assert fit["margin_coef_ci95"][0] > 0
    assert verdict_text(True) == "adds information beyond surface features: yes"


def test_a_margin_of_noise_or_a_constant_model_adds_nothing():
    ids, conf, margin = pairs(800, 0.0)
    fit = fit_stacked(ids, conf, margin, samples=300, seed=0)
    ids2, conf2, margin2 = pairs(3000, 0.0, seed=1)
    card = stacked_card(fit, posts(ids2), conf2, margin2, samples=300, seed=0, too_small=False)
    assert card["adds_information"] is False and fit["margin_coef_ci95"][0] < 0 < fit["margin_coef_ci95"][1]
    # a constant model (margin 0 everywhere): the stacked predictor *is* baseline:confounds
    flat = fit_stacked(ids, conf, np.zeros(800), samples=100, seed=0)
    card = stacked_card(flat, posts(ids2), conf2, np.zeros(3000), samples=100, seed=0, too_small=False)
    assert flat["coef"]["margin"] == 0 and card["diff"] == 0 and card["adds_information"] is False
    # a too-small split shows its numbers and gives no verdict
    assert stacked_card(fit, posts(ids2), conf2, margin2, samples=100, seed=0, too_small=True)["adds_information"] is None


def test_too_few_fit_pairs_or_posts_fit_nothing():
    ids, conf, margin = pairs(40, 1.0)
    fit = fit_stacked(ids, conf, margin, samples=100, seed=0, min_pairs=50, min_posts=20)
    assert fit["available"] is False and fit["reason"].startswith("not fitted (40 pairs from 10 posts")
    card = stacked_card(fit, posts(ids), conf, margin, samples=100, seed=0, too_small=False)
    assert card["available"] is False and card["adds_information"] is None


def length_pairs(n: int, length_weight: float, signal: float, seed: int):
    """Pairs whose vote follows the confounds logit, ``length_weight`` times the pair's length
    difference beyond it (what confounds got wrong about length here), and a quality only a
    model sees; returns ids, confounds logits, length margins (characters) and a model margin,
    all oriented chosen minus rejected."""
    rng = np.random.default_rng(seed)
    conf, quality = rng.normal(size=n), rng.normal(size=n)
    lengths = rng.lognormal(6.0, 0.8, size=(n, 2))
    dlen = lengths[:, 0] - lengths[:, 1]
    z = dlen / np.sqrt(np.mean(dlen ** 2))
    side = np.where(conf + length_weight * z + signal * quality + rng.logistic(size=n) > 0, 1.0, -1.0)
    return ([f"p{i // 4}:{i}" for i in range(n)], conf * side, dlen * side,
            3.0 * (quality + rng.normal(scale=0.5, size=n)) * side)


def test_a_length_rule_adds_nothing_beyond_the_surface_stack_even_where_it_beats_confounds():
    # confounds over-rates length on the held-out task (-2 there), a little on the fit set (-0.5):
    # a raw length margin stacked beside it corrects that and beats confounds on held-out pairs,
    # which is length, not information beyond the surface (the demo's baseline:longer gained +12)
    ids, conf, dlen, _ = length_pairs(1200, -0.5, 0.0, seed=0)
    ids2, conf2, dlen2, _ = length_pairs(3000, -2.0, 0.0, seed=1)
    for margin, margin2 in ((dlen, dlen2), (-dlen, -dlen2), (dlen / 1000, dlen2 / 1000)):  # longer, shorter, scaled
        fit = fit_stacked(ids, conf, margin, samples=200, seed=0, length_margin=dlen)
        card = stacked_card(fit, posts(ids2), conf2, margin2, samples=200, seed=0, too_small=False, length_margin=dlen2)
        assert card["diff_ci95"][0] > 0  # what the old verdict read: "adds information"
        assert card["surface_diff"] == 0 and card["surface_diff_ci95"] == [0, 0]
        assert card["accuracy"] == card["surface_accuracy"] and card["adds_information"] is False
        # without the lengths (a fit or a track from before the surface stack): confounds alone is the bar
        old = stacked_card(fit, posts(ids2), conf2, margin2, samples=200, seed=0, too_small=False)
        assert "surface_diff" not in old and old["adds_information"] is True


def test_a_margin_that_sees_quality_beats_both_surface_predictors():
    ids, conf, dlen, margin = length_pairs(1200, -0.5, 2.0, seed=0)
    ids2, conf2, dlen2, margin2 = length_pairs(3000, -1.0, 2.0, seed=1)
    fit = fit_stacked(ids, conf, margin, samples=200, seed=0, length_margin=dlen)
    assert fit["surface"]["features"] == ["confounds_logit", "length"] and fit["surface"]["length_scale"] > 0
    card = stacked_card(fit, posts(ids2), conf2, margin2, samples=200, seed=0, too_small=False, length_margin=dlen2)
    assert card["surface_accuracy"] > card["confounds_accuracy"]  # the surface stack is the stronger bar here
    assert card["surface_diff_ci95"][0] > 0 and card["diff_ci95"][0] > 0 and card["adds_information"] is True
