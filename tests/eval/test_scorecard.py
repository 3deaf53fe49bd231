"""One split's scorecard: chance as an expectation, too-small splits, the paired verdict,
not-applicable time rules, and the controls' fields."""

from __future__ import annotations

import random

import pytest

from rmbench.eval.config import EvalConfig
from rmbench.eval.scorecard import split_scorecard

CFG = EvalConfig(bootstrap_samples=300)


def pairs(n: int, per_post: int = 1, seed: int = 0, times: bool = True) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        lc, lr = rng.randint(20, 400), rng.randint(20, 400)
        out.append({"pair_id": f"p{i // per_post}:c{i}:r{i}", "prompt": "q", "chosen": "c" * lc, "rejected": "r" * lr,
                    "chosen_score": 12, "rejected_score": 4, "score_ratio": 3.0,
                    "chosen_created_utc": 200 + i if times else None, "rejected_created_utc": 100 + i if times else None})
    return out


def card(rows, rc, rr, **kw):
    return split_scorecard(rows, rc, rr, cfg=CFG, seed=0, preferred_later=True, **kw)


def test_random_is_its_expectation_never_luck():
    rows = pairs(32)  # the case: 32 pairs, where a seeded coin once scored 65.6%
    c = card(rows, [0.0] * 32, [1.0] * 32)  # a model that is always wrong
    assert c["baselines"]["random"]["accuracy"] == 0.5 and c["baselines"]["random"]["expectation"]
    assert c["baselines"]["random"]["ci95"] is None


def test_chance_is_the_bar_when_every_rule_is_worse():
    rows = [dict(r, chosen="x" * 10, rejected="y" * 99) for r in pairs(80)]  # chosen always shorter: longer 0%
    c = card(rows, [1.0] * 80, [0.0] * 80)
    assert c["baselines"]["longer"]["accuracy"] == 0.0
    assert c["best_baseline"] == "shorter"  # 100%: the strongest eligible rule, not chance
    rows = [dict(r, chosen="x" * 50, rejected="y" * 50) for r in pairs(80)]  # every length rule ties at 50%
    c = card(rows, [1.0] * 80, [0.0] * 80)
    assert c["best_baseline"] in ("longer", "shorter") and c["clears_best_baseline"] is True


def test_tiny_split_is_shown_marked_and_never_judged():
    c = card(pairs(1), [0.0], [1.0])  # Emory's one-pair test_hard, scored 0.0
    assert c["n"] == 1 and c["too_small"] is True and c["accuracy"] == 0.0
    assert c["clears_best_baseline"] is None
    few_posts = card(pairs(120, per_post=10), [1.0] * 120, [0.0] * 120)  # 120 pairs but 12 posts
    assert few_posts["posts"] == 12 and few_posts["too_small"] is True
    assert card(pairs(60), [1.0] * 60, [0.0] * 60)["too_small"] is False


def test_paired_verdict():
    rows = pairs(200, per_post=4)
    longer = [float(len(r["chosen"])) for r in rows], [float(len(r["rejected"])) for r in rows]
    same = card(rows, *longer)  # a model that is longer-wins
    assert same["baselines"]["longer"]["diff"] == 0 and same["clears_best_baseline"] is False
    lo, hi = same["baselines"]["longer"]["diff_ci95"]
    assert lo <= 0 <= hi
    perfect = card(rows, [1.0] * 200, [0.0] * 200)
    assert perfect["clears_best_baseline"] is True and perfect["baselines"]["longer"]["diff_ci95"][0] > 0
    assert perfect["at_chance"] is False
    coin = card(rows, [0.0] * 200, [0.0] * 200)  # every pair a tie: 50%
    assert coin["at_chance"] is True and coin["vs_chance"]["diff"] == 0


def test_time_rules_without_timestamps_are_not_applicable():
    rows = pairs(60, times=False)  # SHP rows, human feedback: no response times
    c = card(rows, [1.0] * 60, [0.0] * 60)
    for name in ("earlier", "later"):
        b = c["baselines"][name]
        assert b["applicable"] is False and b["accuracy"] is None and "timestamps" in b["reason"]
    assert c["best_baseline"] not in ("earlier", "later")


def test_cue_conflict_cell_of_a_length_only_scorer_is_below_chance():
    rows = pairs(300, per_post=3, seed=4)
    rc, rr = [float(len(r["chosen"])) for r in rows], [float(len(r["rejected"])) for r in rows]
    c = card(rows, rc, rr)
    cue = c["cue_conflict"]
    assert cue["n"] == sum(len(r["rejected"]) >= 1.25 * len(r["chosen"]) for r in rows) > 50
    assert cue["accuracy"] <= 0.5 and cue["ci95"][1] < 0.5
    # the length-controlled accuracy of the same scorer is 50%: length explains all of it
    assert c["length_controlled"]["accuracy"] == 0.5 and c["length_controlled"]["length_dependence"] == 1.0
    assert c["accuracy"] == pytest.approx(c["baselines"]["longer"]["accuracy"])


def test_truncation_shares():
    c = card(pairs(60), [1.0] * 60, [0.0] * 60, truncated={"prompt": 30, "response": 12, "any": 36})
    t = c["truncated"]
    assert t["inputs"] == 120 and t["prompt_share"] == 0.25 and t["any_share"] == 0.3
