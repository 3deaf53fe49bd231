"""One split's scorecard: the model's accuracy beside every baseline's, with paired intervals.

``split_scorecard(pairs, r_chosen, r_rejected, ...)`` is the one function that turns a
split's pair rows and a scorer's rewards into the per-split entry of results.json; the
harness and the leaderboard's re-computation both call it. Every interval comes from one
post-clustered bootstrap (``rmbench.eval.metrics.ClusterBootstrap``) over the split's
posts, drawn once, so the model and every baseline are judged on the same resampled posts.

The verdict ``clears_best_baseline`` is true when the lower bound of the 95% interval of
the *paired difference* (model accuracy - best eligible baseline's accuracy, on the same
resamples) is above 0. Eligible baselines exclude those that are right or wrong by
construction of the pairing rule (later/earlier under ``preferred_later``) and those not
applicable to the data (time rules without timestamps); chance (the random baseline's
expectation, 50%) is eligible, the coin's luck never is. A split with fewer than
``eval.min_report_pairs`` pairs or ``eval.min_report_posts`` posts is ``too_small``: its
numbers are shown but its verdict is null, and no mean or rank counts it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from rmbench.eval import controls
from rmbench.eval.baselines import BASELINES, CHANCE, baseline_rewards, by_construction, not_applicable
from rmbench.eval.config import EvalConfig
from rmbench.eval.metrics import (ClusterBootstrap, _r, by_score_ratio, expected_calibration_error, mean_confidence,
                                  pair_outcomes, post_ids_of)
from rmbench.task import HARD_MAX_LENGTH_RATIO

CLEARS_RULE = "lower bound of the 95% paired-difference interval (model - best eligible baseline) > 0"
# Ties for the best baseline go to the stronger claim: a learned baseline, then a rule, then chance.
_PRIORITY = {"confounds": 2, "random": 0}


def _ci(lo: float, hi: float) -> list[float]:
    return [_r(lo), _r(hi)]


def best_baseline(table: dict) -> str | None:
    eligible = {k: v for k, v in table.items()
                if not v.get("by_construction") and not v.get("itself") and v.get("applicable", True)
                and v.get("accuracy") is not None and not math.isnan(v["accuracy"])}
    if not eligible:
        return None
    return max(eligible, key=lambda k: (eligible[k]["accuracy"], _PRIORITY.get(k, 1)))


def baseline_outcomes(pairs: Sequence[dict], seed: int, confounds=None,
                      confounds_logit: Sequence[float] | None = None) -> dict[str, np.ndarray | str]:
    """Per-pair outcomes of every rule baseline (and the confounds model when given); a
    baseline that cannot score these pairs maps to the reason why. ``confounds_logit``:
    the model's pair logits (chosen minus rejected reward) where the caller has them."""
    out: dict[str, np.ndarray | str] = {}
    for name in BASELINES:
        if name == "random":
            continue
        why = not_applicable(name, pairs)
        out[name] = why if why else pair_outcomes(*baseline_rewards(name, pairs, seed))
    if isinstance(confounds, str):  # why it was not fitted: shown, never a verdict's baseline
        out["confounds"] = confounds
    elif confounds_logit is not None:  # logit > 0 exactly where chosen's reward > rejected's
        out["confounds"] = pair_outcomes(confounds_logit, np.zeros(len(pairs)))
    elif confounds is not None:
        out["confounds"] = pair_outcomes(*confounds.rewards(pairs))
    return out


def split_scorecard(pairs: Sequence[dict], r_chosen: Sequence[float], r_rejected: Sequence[float], *,
                    cfg: EvalConfig, seed: int, preferred_later: bool, small: bool | None = None,
                    truncated: dict | None = None, cuts: dict | None = None, confounds=None,
                    hard_ratio: float = HARD_MAX_LENGTH_RATIO, others: dict | None = None,
                    itself: str | None = None) -> dict:
    """The per-split entry of results.json (docs/formats.md).

    ``pairs`` need ``pair_id``, ``chosen``, ``rejected``, the scores, the creation times
    (else the time baselines are not applicable) and ``score_ratio``; ``confounds`` is a
    fitted ``ConfoundsModel`` to stand beside the rules, or the reason it was not fitted
    (shown as not applicable: it enters no verdict); ``hard_ratio`` bounds the
    cue-conflict cell (the task's ``hard_max_length_ratio``); ``others`` is
    ``baseline_outcomes(pairs, seed, confounds)`` where the caller already has it; ``cuts``
    the scorer's per-pair cut flags (``controls.by_response_cut``); ``itself`` the baseline
    being evaluated, when the model is one (``outcome_card``).
    """
    outcomes = pair_outcomes(r_chosen, r_rejected)
    posts = post_ids_of([p["pair_id"] for p in pairs])
    boot = ClusterBootstrap(posts, cfg.bootstrap_samples, seed) if pairs else None
    others = baseline_outcomes(pairs, seed, confounds) if others is None else others
    card = outcome_card(posts, outcomes, others, cfg=cfg, preferred_later=preferred_later, boot=boot,
                        seed=seed, learned="confounds" in others, itself=itself)
    card["ece"] = expected_calibration_error(r_chosen, r_rejected, cfg.ece_bins)
    card["mean_confidence"] = mean_confidence(r_chosen, r_rejected)
    card.update(controls.control_cells(
        posts, outcomes, *controls.lengths_of(pairs),
        ([p.get("chosen_score") for p in pairs], [p.get("rejected_score") for p in pairs]),
        hard_ratio=hard_ratio, samples=cfg.bootstrap_samples, seed=seed,
        min_pairs=cfg.min_report_pairs, min_posts=cfg.min_report_posts, boot=boot))
    ratios = [p.get("score_ratio") for p in pairs]
    card["by_score_ratio"] = by_score_ratio(outcomes, ratios, cfg.score_ratio_edges)
    card["score_ratio_curve"] = controls.score_ratio_curve(posts, outcomes, others, ratios, cfg.score_ratio_edges,
                                                           cfg.bootstrap_samples, seed)
    card["small"] = small if small is not None else card["too_small"]
    card["truncated"] = truncation(truncated, len(pairs))
    card["by_response_cut"] = controls.by_response_cut(posts, outcomes, others, cuts, cfg.bootstrap_samples, seed)
    return card


def truncation(counts: dict | None, n_pairs: int) -> dict:
    """The scorer's cut counts, with the share of the 2n inputs (pair sides) each concerns."""
    t = dict(counts or {"prompt": 0, "response": 0})
    inputs = 2 * n_pairs
    t["inputs"] = inputs
    for key in ("prompt", "response", "any"):
        if key in t:
            t[f"{key}_share"] = _r(t[key] / inputs) if inputs else None
    return t


def sample_block(pairs: int, posts: int, of_posts: int) -> dict:
    """What a ``--limit`` sample of a split holds, and the words every output shows for it."""
    return {"pairs": pairs, "posts": posts, "of_posts": of_posts,
            "label": f"sample of {pairs:,} pairs from {posts:,} of {of_posts:,} posts"}


def largest_post_share(posts: Sequence[str]) -> float | None:
    """The share of a split's pairs that its biggest post holds: near 1/posts when every
    post weighs the same, large when one thread decides the split (issue 21)."""
    if not len(posts):
        return None
    return _r(Counter(posts).most_common(1)[0][1] / len(posts))


def outcome_card(posts: Sequence[str], outcomes: np.ndarray, others: dict, *, cfg: EvalConfig,
                 preferred_later: bool, seed: int, boot: ClusterBootstrap | None = None,
                 learned: bool = False, itself: str | None = None) -> dict:
    """The accuracy part of a split's card from per-pair outcomes alone: the model's
    accuracy and interval, chance, every baseline (``others``: name -> per-pair outcomes, or
    the reason it is not applicable) with the paired difference, the best eligible baseline
    and the verdict. The leaderboard recomputes a submission's numbers with this from its
    predictions and a track's frozen baseline outcomes, so both are the same numbers.

    ``itself``: the baseline that *is* the model (``evaluate --model baseline:longer``). Its
    entry stays in the table, marked ``itself``, and is never the best baseline: a verdict
    against its own outcomes would be a difference of exactly 0 by construction."""
    if boot is None and len(posts):
        boot = ClusterBootstrap(posts, cfg.bootstrap_samples, seed)
    n_posts = len(set(posts))
    too_small = len(posts) < cfg.min_report_pairs or n_posts < cfg.min_report_posts
    card: dict = {"n": len(posts), "posts": n_posts, "largest_post_share": largest_post_share(posts),
                  "too_small": too_small}
    scored = {k: v for k, v in others.items() if not isinstance(v, str)}
    names = list(scored)
    if boot is not None:
        draws = boot.resampled_means(outcomes, *scored.values())
        lo, hi = boot.interval(draws[:, 0])
        acc = float(np.mean(outcomes))
    else:
        draws, acc, lo, hi = np.empty((0, 1 + len(names))), math.nan, math.nan, math.nan
    card.update({"accuracy": _r(acc), "ci95": _ci(lo, hi)})
    chance_ci = boot.interval(draws[:, 0] - CHANCE) if boot is not None else (math.nan, math.nan)
    card["vs_chance"] = {"diff": _r(acc - CHANCE), "ci95": _ci(*chance_ci)}
    card["at_chance"] = None if math.isnan(chance_ci[0]) else bool(chance_ci[0] <= 0 <= chance_ci[1])

    table: dict = {"random": {"accuracy": CHANCE, "ci95": None, "expectation": True, "by_construction": False,
                              "diff": card["vs_chance"]["diff"], "diff_ci95": card["vs_chance"]["ci95"]}}
    for name in [b for b in BASELINES if b != "random"] + (["confounds"] if learned else []):
        entry = {"by_construction": by_construction(name, preferred_later)}
        if isinstance(others.get(name, "not scored"), str):
            entry.update({"accuracy": None, "ci95": None, "applicable": False, "reason": others.get(name, "not scored")})
            if name == "confounds":
                entry["learned"] = True
        else:
            j = 1 + names.index(name)
            b_acc = float(np.mean(scored[name])) if len(posts) else math.nan
            entry.update({"accuracy": _r(b_acc), "ci95": _ci(*(boot.interval(draws[:, j]) if boot else (math.nan,) * 2)),
                          "diff": _r(acc - b_acc),
                          "diff_ci95": _ci(*(boot.interval(draws[:, 0] - draws[:, j]) if boot else (math.nan,) * 2))})
            if name == "confounds":
                entry["learned"] = True
        if name == itself:
            entry["itself"] = True
        table[name] = entry
    best = best_baseline(table)
    card["baselines"] = table
    card["best_baseline"] = best
    low = (table[best].get("diff_ci95") or [None])[0] if best else None
    card["clears_best_baseline"] = (None if too_small or low is None or math.isnan(low) else bool(low > 0))
    card["clears_rule"] = CLEARS_RULE
    return card
