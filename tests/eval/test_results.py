"""The summary: too-small splits never count, the headline splits and the in-domain gap."""

from __future__ import annotations

from rmbench.eval.results import summary


def card(acc: float, best: float, *, too_small: bool = False, clears: bool | None = True) -> dict:
    return {"n": 10 if too_small else 500, "accuracy": acc, "ci95": [acc - 0.05, acc + 0.05], "too_small": too_small,
            "baselines": {"longer": {"accuracy": best}}, "best_baseline": "longer",
            "clears_best_baseline": None if too_small else clears, "at_chance": False}


def test_a_tiny_split_is_left_out_of_every_mean_and_verdict():
    results = {
        "askacademia": {"role": "heldout", "splits": {"test": card(0.70, 0.64), "test_hard": card(0.60, 0.53),
                                                       "heldout_all": card(0.68, 0.66, clears=True)}},
        # Emory's one-pair test_hard at 0%: it used to sink the held-out test_hard mean to 36.5%
        "emory": {"role": "heldout", "splits": {"test": card(0.75, 0.81, too_small=True),
                                                 "test_hard": card(0.0, 1.0, too_small=True),
                                                 "heldout_all": card(0.72, 0.70, clears=False)}},
        "gradschool": {"role": "in_domain", "splits": {"test": card(0.76, 0.72)}},
    }
    s = summary(results)
    assert s["heldout_mean_accuracy"] == 0.70 and s["heldout_mean_accuracy_hard"] == 0.60
    assert s["best_baseline_mean"] == 0.64 and s["clears_best_baseline"]["test_hard"] is True
    assert s["excluded_too_small"] == ["emory/test", "emory/test_hard"]
    head = s["headline"]["heldout_all"]
    assert head["mean_accuracy"] == 0.70 and head["tasks"] == ["askacademia", "emory"]
    assert head["clears_best_baseline"] is False  # emory's heldout_all counts, and does not clear
    assert s["in_domain_mean_accuracy"] == 0.76 and s["in_domain_minus_heldout"] == 0.06
