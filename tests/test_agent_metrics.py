"""Win rates, bootstrap intervals, distinct-n and length pairing."""

from __future__ import annotations

import pytest

from rmbench.agent.metrics import bootstrap_ci, distinct_n, similar_length, win_summary, win_values


def test_win_values_count_ties_as_half():
    assert win_values([2.0, 0.0, 1.0], [1.0, 1.0, 1.0]) == [1.0, 0.0, 0.5]


def test_bootstrap_interval_brackets_the_mean_and_narrows_with_n():
    small = [1.0, 0.0] * 10
    large = [1.0, 0.0] * 500
    lo_s, hi_s = bootstrap_ci(small, seed=1)
    lo_l, hi_l = bootstrap_ci(large, seed=1)
    assert lo_s <= 0.5 <= hi_s and lo_l <= 0.5 <= hi_l
    assert hi_l - lo_l < hi_s - lo_s
    assert bootstrap_ci([], seed=1) is None
    assert bootstrap_ci([1.0] * 5) == [1.0, 1.0]


def test_distinct_n():
    assert distinct_n(["a b a b"], 1) == pytest.approx(0.5)
    assert distinct_n(["a b c", "a b c"], 2) == pytest.approx(0.5)
    assert distinct_n(["a"], 2) is None


def test_similar_length_and_summary():
    assert similar_length("x" * 100, "y" * 120, 1.25) and not similar_length("x" * 100, "y" * 130, 1.25)
    s = win_summary([1.0, 0.0, 3.0, 3.0], [0.0, 1.0, 1.0, 3.0])
    assert s["n"] == 4 and s["accuracy"] == pytest.approx(0.625) and s["ties"] == 1
