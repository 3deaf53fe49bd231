"""Incremental validity: does a reward model know anything the surface features do not?

A model that trails ``baseline:confounds`` may still carry information the surface lacks;
accuracy alone cannot say. The *stacked* predictor answers it: one logistic model over the
pair's confounds logit (``baseline:confounds``' standardized feature difference weighted by
its own coefficients, fitted on the reference training pairs) and the model's reward margin
r_chosen - r_rejected (divided by its root mean square on the fit set, so its coefficient
is per typical margin):

    logit = a * confounds_logit + b * margin / margin_scale

fitted like ``fit_confounds`` -- both orders, no intercept, L2 (C = 1 on the both-orders
likelihood) -- on pairs the model was not trained on: the held-in validation pairs of a
run, the reference tasks' validation pairs for ``evaluate``. a = 1, b = 0 *is*
baseline:confounds, so the stacked predictor can only beat it where the margin adds
something. The confound features enter through that one logit, not re-weighted one by one:
re-fitting ~15 weights on a few hundred validation pairs would give away points of
accuracy to the fit size alone (docs/harness.md's fit-size table), and the leaderboard can
recompute a per-pair logit from what a track freezes.

Each held-out split gets the stacked accuracy and the post-clustered paired difference
stacked - confounds (the split's own ``ClusterBootstrap``, the same resampled posts as its
scorecard). The verdict "adds information beyond surface features" is yes iff that
difference's 95% lower bound is above 0. The margin's coefficient b comes with a 95%
interval from a bootstrap over the fit set's posts (each resample refitted), not the
logistic's standard error: pairs of one post are not independent.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from rmbench.eval.metrics import ClusterBootstrap, _r, pair_outcomes, post_ids_of

VERDICT = "adds information beyond surface features"
RULE = "lower bound of the 95% paired-difference interval (stacked - baseline:confounds) > 0"
INTERVAL_METHOD = "percentile bootstrap over the fit set's posts, refitted on each resample"
FEATURES = ("confounds_logit", "margin")
# The L2 penalty of C = 1 on the both-orders likelihood (twice the one-order one, since the
# swapped copy of a pair has the same likelihood): 0.25 * |w|^2 against the one-order one.
_RIDGE = 0.25
_ITERATIONS = 30


def _fit_newton(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Penalised logistic fit of P(chosen) = sigmoid(x @ w) for every row of ``weights``
    ((k, n) pair weights: one fit per row, all at once) -> (k, 2) coefficients."""
    k = weights.shape[0]
    w = np.zeros((k, x.shape[1]))
    eye = np.eye(x.shape[1])
    for _ in range(_ITERATIONS):
        p = 1.0 / (1.0 + np.exp(-(w @ x.T)))  # (k, n)
        grad = ((1.0 - p) * weights) @ x - 2 * _RIDGE * w
        hess = np.einsum("kn,ni,nj->kij", weights * p * (1.0 - p), x, x) + 2 * _RIDGE * eye
        step = np.linalg.solve(hess, grad[..., None])[..., 0]
        w = w + step
        if np.max(np.abs(step)) < 1e-9:
            break
    return w


def design(confounds_logit: Sequence[float], margin: Sequence[float], margin_scale: float) -> np.ndarray:
    return np.column_stack([np.asarray(confounds_logit, dtype=float),
                            np.asarray(margin, dtype=float) / margin_scale])


def fit_stacked(pair_ids: Sequence[str], confounds_logit: Sequence[float], margin: Sequence[float], *,
                samples: int, seed: int, fit_tasks: Sequence[str] = (), min_pairs: int = 0,
                min_posts: int = 0) -> dict:
    """The stacked fit (results.json's ``stacked`` block): coefficients, the margin's
    interval, the fit set's size; ``{"available": False, "reason"}`` when it cannot be fitted."""
    posts = post_ids_of(pair_ids)
    n, n_posts = len(posts), len(set(posts))
    base = {"features": list(FEATURES), "fit_tasks": sorted(fit_tasks), "fit_split": "validation",
            "fit_pairs": n, "fit_posts": n_posts}
    m = np.asarray(margin, dtype=float)
    if n < max(1, min_pairs) or n_posts < min_posts:
        return {"available": False, **base,
                "reason": f"not fitted ({n} pairs from {n_posts} posts; it needs {min_pairs} from {min_posts})"}
    if not np.all(np.isfinite(m)):
        return {"available": False, **base, "reason": "the model's margins on the fit pairs are not all finite"}
    scale = float(np.sqrt(np.mean(m * m))) or 1.0  # a constant model: margin 0 everywhere, weight 0
    x = design(confounds_logit, m, scale)
    coef = _fit_newton(x, np.ones((1, n)))[0]
    boot = ClusterBootstrap(posts, samples, seed)
    draws = boot.resampled(lambda wts: _fit_newton(x, wts)[:, 1])
    lo, hi = boot.interval(draws)
    return {"available": True, **base, "coef": {k: _r(float(v)) for k, v in zip(FEATURES, coef)},
            "margin_scale": _r(scale), "margin_coef": _r(float(coef[1])), "margin_coef_ci95": [_r(lo), _r(hi)],
            "interval": INTERVAL_METHOD, "regularization_c": 1.0}


def stacked_logits(fit: dict, confounds_logit: Sequence[float], margin: Sequence[float]) -> np.ndarray:
    """The stacked predictor's pair logits (chosen minus rejected) from a fit block."""
    coef = np.array([fit["coef"][k] for k in FEATURES], dtype=float)
    return design(confounds_logit, margin, fit["margin_scale"]) @ coef


def stacked_card(fit: dict, posts: Sequence[str], confounds_logit: Sequence[float], margin: Sequence[float], *,
                 samples: int, seed: int, too_small: bool) -> dict:
    """One split's stacked entry: accuracy, the paired difference to baseline:confounds and
    the verdict; null numbers (with why) where the stacked fit or the split cannot give them."""
    if not fit.get("available"):
        return {"available": False, "reason": fit.get("reason"), "adds_information": None, "rule": RULE}
    stacked = pair_outcomes(stacked_logits(fit, confounds_logit, margin), np.zeros(len(posts)))
    conf = pair_outcomes(np.asarray(confounds_logit, dtype=float), np.zeros(len(posts)))
    if not len(posts):
        return {"available": False, "reason": "no pairs", "adds_information": None, "rule": RULE}
    boot = ClusterBootstrap(posts, samples, seed)
    draws = boot.resampled_means(stacked, conf)
    acc_lo, acc_hi = boot.interval(draws[:, 0])
    lo, hi = boot.interval(draws[:, 0] - draws[:, 1])
    verdict = None if too_small or math.isnan(lo) else bool(lo > 0)
    return {"available": True, "accuracy": _r(float(stacked.mean())), "ci95": [_r(acc_lo), _r(acc_hi)],
            "confounds_accuracy": _r(float(conf.mean())), "diff": _r(float(stacked.mean() - conf.mean())),
            "diff_ci95": [_r(lo), _r(hi)], "adds_information": verdict, "rule": RULE}


def verdict_text(value: bool | None) -> str:
    return f"{VERDICT}: " + {True: "yes", False: "no", None: "-"}[value]
