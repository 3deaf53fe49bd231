"""Win rates and their intervals, distinct-n and length pairing.

The bootstrap itself is rmbench.eval.metrics' (tests/eval/test_metrics.py); the agent
only wraps it, with None for an interval over nothing."""

from __future__ import annotations

import pytest

from rmbench.agent.metrics import distinct_n, similar_length, win_summary, win_values


def test_win_values_count_ties_as_half():
    assert win_values([2.0, 0.0, 1.0], [1.0, 1.0, 1.0]) == [1.0, 0.0, 0.5]


def test_win_summary_interval_brackets_the_win_rate_and_is_none_without_pairs():
    s = win_summary([1.0, 0.0] * 10, [0.5] * 20, seed=1)
    lo, hi = s["ci95"]
    assert s["n"] == 20 and s["accuracy"] == pytest.approx(0.5) and lo <= 0.5 <= hi and lo < hi
    assert win_summary([1.0] * 5, [0.0] * 5)["ci95"] == [1.0, 1.0]
    assert win_summary([], []) == {"n": 0, "accuracy": None, "ci95": None, "ties": 0}


def test_distinct_n():
    assert distinct_n(["a b a b"], 1) == pytest.approx(0.5)
    assert distinct_n(["a b c", "a b c"], 2) == pytest.approx(0.5)
    assert distinct_n(["a"], 2) is None


def test_similar_length_and_summary():
    assert similar_length("x" * 100, "y" * 120, 1.25) and not similar_length("x" * 100, "y" * 130, 1.25)
    s = win_summary([1.0, 0.0, 3.0, 3.0], [0.0, 1.0, 1.0, 3.0])
    assert s["n"] == 4 and s["accuracy"] == pytest.approx(0.625) and s["ties"] == 1


def test_win_summary_resamples_prompts_whole():
    # 20 prompts x 5 stories; the agent wins all stories of half the prompts and none of the
    # rest: the stories are not 100 independent comparisons, and the interval must say so.
    prompts = [f"p{i // 5}" for i in range(100)]
    agent = [1.0 if (i // 5) % 2 else 0.0 for i in range(100)]
    by_prompt = win_summary(agent, [0.5] * 100, seed=0, prompts=prompts)
    by_story = win_summary(agent, [0.5] * 100, seed=0)
    assert by_prompt["prompts"] == 20 and by_prompt["accuracy"] == by_story["accuracy"] == 0.5
    width = lambda s: s["ci95"][1] - s["ci95"][0]  # noqa: E731
    assert width(by_prompt) > 1.8 * width(by_story)
