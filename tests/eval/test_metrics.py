"""Bootstrap intervals, calibration error and score-ratio buckets on cases with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rmbench.eval.metrics import accuracy_with_ci, bootstrap_ci, by_score_ratio, expected_calibration_error, pair_outcomes


def test_outcomes_count_ties_as_half():
    assert list(pair_outcomes([2, 1, 3], [1, 2, 3])) == [1.0, 0.0, 0.5]


def test_bootstrap_of_a_constant_is_that_constant():
    assert bootstrap_ci([1.0] * 50, samples=200) == (1.0, 1.0)


def test_bootstrap_interval_brackets_the_mean_and_narrows_with_n():
    small = [1.0, 0.0] * 10
    large = [1.0, 0.0] * 500
    lo_s, hi_s = bootstrap_ci(small, seed=1)
    lo_l, hi_l = bootstrap_ci(large, seed=1)
    assert lo_s <= 0.5 <= hi_s and lo_l <= 0.5 <= hi_l
    assert hi_l - lo_l < hi_s - lo_s


def test_bootstrap_of_nothing_is_nan():
    lo, hi = bootstrap_ci([], seed=1)
    assert math.isnan(lo) and math.isnan(hi)


def test_bootstrap_matches_the_binomial_interval_on_a_known_case():
    # 400 pairs, 70% right: the normal-approximation 95% interval is 0.70 +- 1.96*sqrt(.7*.3/400) = +-0.0449.
    x = np.array([1.0] * 280 + [0.0] * 120)
    lo, hi = bootstrap_ci(x, samples=4000, seed=1)
    half = 1.96 * math.sqrt(0.7 * 0.3 / 400)
    assert lo == pytest.approx(0.7 - half, abs=0.01)
    assert hi == pytest.approx(0.7 + half, abs=0.01)


def test_bootstrap_is_seeded():
    x = np.random.default_rng(0).integers(0, 2, 100)
    assert bootstrap_ci(x, 300, seed=5) == bootstrap_ci(x, 300, seed=5)
    assert bootstrap_ci(x, 300, seed=5) != bootstrap_ci(x, 300, seed=6)


def test_accuracy_with_ci_of_empty_split_is_nan():
    out = accuracy_with_ci([], 100)
    assert math.isnan(out["accuracy"]) and math.isnan(out["ci95"][0])


def test_ece_on_known_cases():
    # Every pair says 0.75 for the chosen side, and the chosen side always wins: the view
    # (p=.75, won) is off by .25 and the view (p=.25, lost) is off by .25, so ECE = 0.25.
    d = math.log(3.0)  # sigma(log 3) = 0.75
    assert expected_calibration_error([d] * 10, [0.0] * 10, bins=10) == pytest.approx(0.25, abs=1e-6)
    # a model that says 50/50 about everything is perfectly calibrated in the symmetric view
    assert expected_calibration_error([0.0] * 10, [0.0] * 10) == pytest.approx(0.0)


def test_score_ratio_buckets():
    rows = by_score_ratio([1, 0, 1, 1, 0.5], [1.5, 2.0, 2.5, 4.0, 50.0], [2, 3, 5])
    assert rows == [{"bucket": "<2", "n": 1, "accuracy": 1.0}, {"bucket": "2-3", "n": 2, "accuracy": 0.5},
                    {"bucket": "3-5", "n": 1, "accuracy": 1.0}, {"bucket": "5+", "n": 1, "accuracy": 0.5}]
