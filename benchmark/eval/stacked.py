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

Confounds alone is not the only surface predictor of this form. Its length features are
logarithms, fitted on other communities; a raw length difference stacked beside them can
correct how they extrapolate to a held-out task, and then a reward that is *only* length
(``baseline:longer``) would "add information beyond surface features" (on the demo's held-out
WritingPrompts it gained +12 points). So the fit also gives the *surface stack*

    logit = a' * confounds_logit + c * length_margin / length_scale

(length_margin: the pair's difference in characters, exactly ``baseline:longer``'s margin),
fitted on the same pairs the same way. A margin that is a length rule gives the same
predictor as the surface stack, pair for pair, so it gains nothing over it by construction.

Each held-out split gets the stacked accuracy and the post-clustered paired differences
stacked - confounds and stacked - surface stack (the split's own ``ClusterBootstrap``, the
same resampled posts as its scorecard). The verdict "adds information beyond surface
features" is yes iff both differences' 95% lower bounds are above 0 (a fit from before the
surface stack, or a split without lengths, is judged against confounds alone). The margin's
coefficient b comes with a 95% interval from a bootstrap over the fit set's posts (each
resample refitted), not the logistic's standard error: pairs of one post are not independent.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from rmbench.eval.metrics import ClusterBootstrap, _r, interval_rule, pair_outcomes, post_ids_of

VERDICT = "adds information beyond surface features"
RULE = ("lower bound of the 95% paired-difference interval > 0 against baseline:confounds and against the surface "
        "stack (confounds + baseline:longer's margin, fitted the same way)")
SURFACE_FEATURES = ("confounds_logit", "length")
INTERVAL_METHOD = "bootstrap over the fit set's posts, refitted on each resample"
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
                min_posts: int = 0, length_margin: Sequence[float] | None = None) -> dict:
    """The stacked fit (results.json's ``stacked`` block): coefficients, the margin's
    interval, the fit set's size, and (given the pairs' ``length_margin``) the surface stack's
    fit under ``surface``; ``{"available": False, "reason"}`` when it cannot be fitted."""
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
    scale = _scale(m)  # a constant model: margin 0 everywhere, weight 0
    x = design(confounds_logit, m, scale)
    coef = _fit_newton(x, np.ones((1, n)))[0]
    boot = ClusterBootstrap(posts, samples, seed)
    draws = boot.resampled(lambda wts: _fit_newton(x, wts)[:, 1])
    lo, hi = boot.interval(draws)
    out = {"available": True, **base, "coef": {k: _r(float(v)) for k, v in zip(FEATURES, coef)},
           "margin_scale": scale, "margin_coef": _r(float(coef[1])), "margin_coef_ci95": [_r(lo), _r(hi)],
           "interval": f"{INTERVAL_METHOD}; {interval_rule()} percentiles", "regularization_c": 1.0}
    if length_margin is not None:
        lm = np.asarray(length_margin, dtype=float)
        if len(lm) != n:
            raise ValueError(f"{len(lm)} length margins for {n} fit pairs")
        lscale = _scale(lm)
        sc = _fit_newton(design(confounds_logit, lm, lscale), np.ones((1, n)))[0]
        out["surface"] = {"features": list(SURFACE_FEATURES), "coef": {k: _r(float(v)) for k, v in zip(SURFACE_FEATURES, sc)},
                          "length_scale": lscale}
    return out


def _scale(x: np.ndarray) -> float:
    """A margin's root mean square, to the 6 significant digits results.json keeps: both fits
    use the written value, so a length rule's stacked predictor is the surface stack exactly."""
    return float(f"{float(np.sqrt(np.mean(x * x))):.6g}") or 1.0


def stacked_logits(fit: dict, confounds_logit: Sequence[float], margin: Sequence[float]) -> np.ndarray:
    """The stacked predictor's pair logits (chosen minus rejected) from a fit block."""
    coef = np.array([fit["coef"][k] for k in FEATURES], dtype=float)
    return design(confounds_logit, margin, fit["margin_scale"]) @ coef


def surface_logits(fit: dict, confounds_logit: Sequence[float], length_margin: Sequence[float]) -> np.ndarray | None:
    """The surface stack's pair logits from a fit block, or None where the fit has none."""
    surface = fit.get("surface")
    if not isinstance(surface, dict):
        return None
    coef = np.array([surface["coef"][k] for k in SURFACE_FEATURES], dtype=float)
    return design(confounds_logit, length_margin, surface["length_scale"]) @ coef


def stacked_card(fit: dict, posts: Sequence[str], confounds_logit: Sequence[float], margin: Sequence[float], *,
                 samples: int, seed: int, too_small: bool, length_margin: Sequence[float] | None = None) -> dict:
    """One split's stacked entry: accuracy, the paired differences to baseline:confounds and
    to the surface stack (given the split's ``length_margin`` and a fit with one) and the
    verdict; null numbers (with why) where the stacked fit or the split cannot give them."""
    if not fit.get("available"):
        return {"available": False, "reason": fit.get("reason"), "adds_information": None, "rule": RULE}
    if not len(posts):
        return {"available": False, "reason": "no pairs", "adds_information": None, "rule": RULE}
    zeros = np.zeros(len(posts))
    stacked = pair_outcomes(stacked_logits(fit, confounds_logit, margin), zeros)
    conf = pair_outcomes(np.asarray(confounds_logit, dtype=float), zeros)
    surface_logit = None if length_margin is None else surface_logits(fit, confounds_logit, length_margin)
    against = [conf] if surface_logit is None else [conf, pair_outcomes(surface_logit, zeros)]
    boot = ClusterBootstrap(posts, samples, seed)
    draws = boot.resampled_means(stacked, *against)
    acc_lo, acc_hi = boot.interval(draws[:, 0])
    diffs = [boot.interval(draws[:, 0] - draws[:, k]) for k in range(1, draws.shape[1])]
    verdict = adds_information([lo for lo, _ in diffs], too_small)
    out = {"available": True, "accuracy": _r(float(stacked.mean())), "ci95": [_r(acc_lo), _r(acc_hi)],
           "confounds_accuracy": _r(float(conf.mean())), "diff": _r(float(stacked.mean() - conf.mean())),
           "diff_ci95": [_r(v) for v in diffs[0]]}
    if surface_logit is not None:
        surface = against[1]
        out.update({"surface_accuracy": _r(float(surface.mean())), "surface_diff": _r(float(stacked.mean() - surface.mean())),
                    "surface_diff_ci95": [_r(v) for v in diffs[1]]})
    return {**out, "adds_information": verdict, "rule": RULE}


def adds_information(lower_bounds: Sequence[float | None], too_small: bool) -> bool | None:
    """The verdict (``RULE``): every paired difference's 95% lower bound -- against confounds,
    and against the surface stack where there is one -- above 0; None on a too-small split
    or where a bound is missing. The run's cards and the sweep's pooled summaries both ask here."""
    if too_small or any(lo is None or math.isnan(lo) for lo in lower_bounds):
        return None
    return all(lo > 0 for lo in lower_bounds)


def verdict_text(value: bool | None) -> str:
    return f"{VERDICT}: " + {True: "yes", False: "no", None: "-"}[value]
