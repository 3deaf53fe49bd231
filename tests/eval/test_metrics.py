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


# -- the post-clustered bootstrap ---------------------------------------------------------------
from rmbench.eval.metrics import ClusterBootstrap, mean_confidence, post_id, post_ids_of  # noqa: E402


def _width(ci):
    return ci[1] - ci[0]


def test_cluster_is_the_post_id_prefix():
    assert post_id("abc:c1:c2") == "abc" and post_ids_of(["p:1:2", "q:3:4"]) == ["p", "q"]


def test_clustered_interval_is_wider_on_correlated_pairs():
    # 100 posts x 5 pairs, every pair of a post right or wrong together: 100 independent
    # facts, not 500. The pair bootstrap pretends there are 500.
    rng = np.random.default_rng(0)
    per_post = rng.integers(0, 2, 100).astype(float)
    values = np.repeat(per_post, 5)
    posts = np.repeat([f"p{i}" for i in range(100)], 5)
    clustered = bootstrap_ci(values, 2000, seed=1, clusters=posts)
    pairs = bootstrap_ci(values, 2000, seed=1)
    assert _width(clustered) > 1.8 * _width(pairs)  # sqrt(5) = 2.24 in theory


def test_clustered_interval_equals_the_pair_interval_on_uncorrelated_pairs():
    rng = np.random.default_rng(1)
    values = rng.integers(0, 2, 1000).astype(float)
    posts = np.repeat([f"p{i}" for i in range(200)], 5)  # grouped, but independent within posts
    clustered = bootstrap_ci(values, 4000, seed=2, clusters=posts)
    pairs = bootstrap_ci(values, 4000, seed=2)
    assert _width(clustered) == pytest.approx(_width(pairs), rel=0.12)


def test_uneven_posts_weigh_by_pairs():
    # the resampled statistic is the pair-weighted mean, so the point estimate is the plain mean
    boot = ClusterBootstrap(["a"] * 9 + ["b"], samples=500, seed=0)
    acc, (lo, hi) = boot.mean([1.0] * 9 + [0.0])
    assert acc == pytest.approx(0.9) and lo <= 0.9 <= hi


def test_paired_difference_excludes_zero_for_a_better_scorer_and_includes_it_for_the_same():
    rng = np.random.default_rng(3)
    posts = np.repeat([f"p{i}" for i in range(150)], 4)
    base = rng.integers(0, 2, 600).astype(float)
    better = np.where(rng.random(600) < 0.3, 1.0, base)  # right wherever the baseline is, and more
    boot = ClusterBootstrap(posts, 1000, seed=0)
    d, (lo, hi) = boot.diff(better, base)
    assert d > 0 and lo > 0
    d0, (lo0, hi0) = boot.diff(base, base)
    assert d0 == 0 and lo0 <= 0 <= hi0
    # paired: much narrower than the two intervals side by side would suggest
    _, ci_better = boot.mean(better)
    assert hi - lo < _width(ci_better)


def test_resamples_are_the_same_for_every_statistic_and_seeded():
    boot = ClusterBootstrap([f"p{i // 3}" for i in range(90)], samples=300, seed=7)
    x = np.random.default_rng(0).integers(0, 2, 90).astype(float)
    assert boot.mean(x) == boot.mean(x)
    a, b = boot.resampled_means(x, 1 - x).T
    assert np.allclose(a + b, 1.0)  # the same draws for both columns
    assert ClusterBootstrap([f"p{i // 3}" for i in range(90)], 300, seed=8).mean(x) != boot.mean(x)


def test_mean_confidence_sees_an_unconfident_model():
    assert mean_confidence([0.0] * 4, [0.0] * 4) == 0.0
    assert mean_confidence([10.0] * 4, [0.0] * 4) == pytest.approx(0.5, abs=1e-3)


def test_holm_adjusts_a_textbook_family_and_never_lowers_a_p_value():
    from rmbench.eval.metrics import holm

    # sorted 0.005, 0.01, 0.03, 0.04 -> 4 x 0.005, 3 x 0.01, 2 x 0.03, max(that, 1 x 0.04)
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0]) and holm([]) == []
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 0.2, 30).tolist()
    adj = holm(p)
    assert all(a >= b for a, b in zip(adj, p))
    order = sorted(range(30), key=lambda i: p[i])
    assert all(adj[order[k]] <= adj[order[k + 1]] for k in range(29))  # the order of the p-values is kept


def test_bootstrap_p_is_never_zero_and_agrees_with_the_interval():
    from rmbench.eval.metrics import ClusterBootstrap, bootstrap_p, using_interval

    assert bootstrap_p(np.full(999, -0.2)) == pytest.approx(2 / 1000)  # every draw below 0
    assert bootstrap_p(np.r_[np.full(500, -1.0), np.full(500, 1.0)]) == 1.0
    assert np.isnan(bootstrap_p([np.nan]))
    rng = np.random.default_rng(3)
    for rule in ("expanded", "percentile"):
        for per_post, n in ((3, 600), (3, 60)):  # 200 posts, and 20, where the rules differ most
            posts = [f"p{i // per_post}" for i in range(n)]
            for shift in (0.0, 0.05, 0.1, 0.2, 0.3):
                a = (rng.uniform(size=n) < 0.6 + shift).astype(float)
                b = (rng.uniform(size=n) < 0.6).astype(float)
                with using_interval(rule):
                    boot = ClusterBootstrap(posts, 2000, 1)
                    _, draws = boot.diff_draws(a, b)
                    lo, hi = boot.interval(draws)
                    p = boot.p(draws)
                if lo > 0 or hi < 0:
                    assert p <= 0.05 + 2 / 2001
                else:
                    assert p >= 0.05 - 2 / 2001


def test_the_expanded_rule_widens_intervals_over_few_posts_only():
    from scipy import stats

    from rmbench.eval.metrics import ClusterBootstrap, expanded_level, interval_rule, using_interval

    for k in (2, 5, 20, 300):  # Hesterberg's level, from scipy.stats on its own
        z = math.sqrt(k / (k - 1)) * stats.t.ppf(0.975, k - 1)
        assert expanded_level(k) == pytest.approx(1 - 2 * stats.norm.sf(z), rel=1e-9)
    assert expanded_level(20) > 0.965 and abs(expanded_level(10_000) - 0.95) < 1e-4 and expanded_level(1) == 0.95
    rng = np.random.default_rng(4)
    for posts, wider in ((20, 1.05), (2000, None)):
        x = rng.integers(0, 2, posts * 4).astype(float)
        boot = ClusterBootstrap([f"p{i // 4}" for i in range(x.size)], 2000, 0)
        assert interval_rule() == "expanded"  # the default
        wide = boot.mean(x)[1]
        with using_interval("percentile"):
            plain = boot.mean(x)[1]
        draws = boot.resampled_means(x)[:, 0]
        assert plain == pytest.approx(tuple(np.percentile(draws, [2.5, 97.5])))  # the plain rule is the plain rule
        if wider:
            assert _width(wide) > wider * _width(plain)
        else:
            assert _width(wide) == pytest.approx(_width(plain), rel=0.02)


def test_using_interval_restores_the_rule_and_refuses_unknown_ones():
    from rmbench.eval.metrics import interval_rule, using_interval

    with pytest.raises(RuntimeError):
        with using_interval("percentile"):
            assert interval_rule() == "percentile"
            raise RuntimeError
    assert interval_rule() == "expanded"
    with pytest.raises(ValueError, match="one of expanded, percentile"):
        with using_interval("bca"):
            pass