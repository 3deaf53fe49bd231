"""Every baseline on hand-built pairs; by-construction baselines never count as the best."""

from __future__ import annotations

import pytest

from rmbench.eval.baselines import BASELINES, baseline_rewards, by_construction, parse_baseline_model
from rmbench.eval.config import EvalConfig
from rmbench.eval.metrics import pair_outcomes
from rmbench.eval.scorecard import best_baseline, split_scorecard


def pair(i, chosen, rejected, t_chosen, t_rejected):
    return {"pair_id": f"p{i}:c:r", "prompt": "q", "chosen": chosen, "rejected": rejected,
            "chosen_created_utc": t_chosen, "rejected_created_utc": t_rejected, "score_ratio": 3.0}


PAIRS = [pair(0, "long answer", "short", 200, 100),   # chosen longer, later
         pair(1, "tiny", "much longer one", 150, 100),  # chosen shorter, later
         pair(2, "same", "same", 100, 300),            # equal length, chosen earlier
         pair(3, "longer still", "s", 50, 100)]        # chosen longer, earlier


def acc(name, pairs=PAIRS, seed=0):
    c, r = baseline_rewards(name, pairs, seed)
    return pair_outcomes(c, r).tolist()


def test_length_baselines():
    assert acc("longer") == [1, 0, 0.5, 1]
    assert acc("shorter") == [0, 1, 0.5, 0]


def test_time_baselines():
    assert acc("later") == [1, 1, 0, 0]
    assert acc("earlier") == [0, 0, 1, 1]


def test_random_is_a_seeded_coin_per_pair_id():
    many = [pair(i, "a", "b", 1, 0) for i in range(2000)]
    a = acc("random", many, seed=3)
    assert set(a) == {0.0, 1.0}
    assert 0.45 < sum(a) / len(a) < 0.55
    assert a == acc("random", many, seed=3) and a != acc("random", many, seed=4)
    # keyed on the pair id: a subset keeps its coins
    assert acc("random", many[:10], seed=3) == a[:10]


def test_by_construction_only_for_time_baselines_under_later_but_higher():
    assert by_construction("later", True) and by_construction("earlier", True)
    assert not by_construction("later", False)
    assert not any(by_construction(b, True) for b in ("random", "longer", "shorter"))


def test_best_baseline_skips_by_construction():
    pairs = [pair(i, "x" * (i % 3 + 1), "y" * 2, 10 + i, i) for i in range(60)]
    card = split_scorecard(pairs, [1.0] * 60, [0.0] * 60, cfg=EvalConfig(bootstrap_samples=200), seed=0,
                           preferred_later=True)
    assert card["baselines"]["later"]["accuracy"] == 1.0 and card["baselines"]["later"]["by_construction"]
    assert card["best_baseline"] not in ("later", "earlier")
    assert card["clears_best_baseline"] is True  # a perfect model clears everything eligible
    free = split_scorecard(pairs, [1.0] * 60, [0.0] * 60, cfg=EvalConfig(bootstrap_samples=200), seed=0,
                           preferred_later=False)
    assert free["best_baseline"] == "later" and free["clears_best_baseline"] is False


def test_the_baseline_being_evaluated_is_never_its_own_best_baseline():
    """evaluate --model baseline:later: later stays in the table, marked, and the verdict is
    against the best of the others, not a difference of exactly 0 to itself."""
    pairs = [pair(i, "x" * (i % 3 + 1), "y" * 2, 10 + i, i) for i in range(60)]
    card = split_scorecard(pairs, [float(i) for i in range(60)], [0.0] * 60, cfg=EvalConfig(bootstrap_samples=200),
                           seed=0, preferred_later=False, itself="later")
    assert card["baselines"]["later"]["itself"] is True
    assert card["best_baseline"] not in (None, "later")
    assert "itself" not in card["baselines"][card["best_baseline"]]


def test_best_baseline_of_nothing_eligible_is_none():
    assert best_baseline({"later": {"accuracy": 1.0, "by_construction": True}}) is None


def test_parse_baseline_model():
    assert parse_baseline_model("baseline:Longer") == "longer"
    assert parse_baseline_model("minilm") is None
    with pytest.raises(ValueError, match="baseline:longer"):
        parse_baseline_model("baseline:longr")
    assert set(BASELINES) == {"random", "longer", "shorter", "earlier", "later"}
