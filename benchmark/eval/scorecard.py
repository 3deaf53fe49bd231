"""One split's scorecard: the model's accuracy and interval beside every baseline's.

``clears_best_baseline`` is true when the model's 95% interval lies wholly above the best
eligible baseline's *accuracy* (its point estimate): the lower bound of the model's
bootstrap interval exceeds it. Eligible baselines exclude those that are right or wrong
by construction of the pairing rule (later/earlier under ``preferred_later``). The
baseline's own interval is reported beside it, so a reader wanting the stricter
non-overlapping-intervals test can apply it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from rmbench.eval.baselines import BASELINES, baseline_rewards, by_construction
from rmbench.eval.config import EvalConfig
from rmbench.eval.metrics import accuracy_with_ci, by_score_ratio, expected_calibration_error, pair_outcomes

CLEARS_RULE = "model ci95 lower bound > best eligible baseline accuracy"


def scored(pairs: Sequence[dict], r_chosen: Sequence[float], r_rejected: Sequence[float],
           cfg: EvalConfig, seed: int) -> dict:
    """Accuracy, interval, calibration and buckets for one set of rewards."""
    outcomes = pair_outcomes(r_chosen, r_rejected)
    out = accuracy_with_ci(outcomes, cfg.bootstrap_samples, seed)
    out["ece"] = expected_calibration_error(r_chosen, r_rejected, cfg.ece_bins)
    out["by_score_ratio"] = by_score_ratio(outcomes, [p["score_ratio"] for p in pairs], cfg.score_ratio_edges)
    return out


def baseline_table(pairs: Sequence[dict], cfg: EvalConfig, seed: int, preferred_later: bool) -> dict:
    table = {}
    for name in BASELINES:
        c, r = baseline_rewards(name, pairs, seed)
        res = accuracy_with_ci(pair_outcomes(c, r), cfg.bootstrap_samples, seed)
        res["by_construction"] = by_construction(name, preferred_later)
        table[name] = res
    return table


def best_baseline(table: dict) -> str | None:
    eligible = {k: v for k, v in table.items()
                if not v.get("by_construction") and v["accuracy"] is not None and not math.isnan(v["accuracy"])}
    # max() keeps the first of equals, so ties go to the earlier name in BASELINES.
    return max(eligible, key=lambda k: eligible[k]["accuracy"]) if eligible else None


def split_scorecard(pairs: Sequence[dict], r_chosen: Sequence[float], r_rejected: Sequence[float], *,
                    cfg: EvalConfig, seed: int, preferred_later: bool, small: bool | None = None,
                    truncated: dict | None = None) -> dict:
    """The per-split entry of results.json (docs/formats.md)."""
    card = {"n": len(pairs)}
    card.update(scored(pairs, r_chosen, r_rejected, cfg, seed))
    table = baseline_table(pairs, cfg, seed, preferred_later)
    best = best_baseline(table)
    card["baselines"] = table
    card["best_baseline"] = best
    lo = card["ci95"][0]
    card["clears_best_baseline"] = (None if best is None or lo is None or math.isnan(lo)
                                    else bool(lo > table[best]["accuracy"]))
    card["clears_rule"] = CLEARS_RULE
    card["small"] = small if small is not None else len(pairs) < 100
    card["truncated"] = truncated or {"prompt": 0, "response": 0}
    # Reorder to the documented key order for readers of the raw file.
    order = ["n", "accuracy", "ci95", "baselines", "best_baseline", "clears_best_baseline", "clears_rule",
             "ece", "by_score_ratio", "small", "truncated"]
    return {k: card[k] for k in order}
