"""What the plain accuracy hides: length-controlled accuracy, the cue-conflict cell, the noise ceiling.

Each one is computed for one split's pairs and a scorer's outcomes, with intervals from
the one bootstrap (``rmbench.eval.metrics.ClusterBootstrap``, posts resampled whole).

**Length-controlled accuracy** (AlpacaEval's length-controlled win rate, adapted to
pairs). A logistic model of "the scorer ranks the chosen response first" is fitted on
the pair's length difference, z = log((1 + chars_chosen) / (1 + chars_rejected)) scaled
to unit variance: P(correct) = sigma(a + b z). The length-controlled accuracy is the
accuracy it predicts at z = 0, sigma(a): how often the scorer is right when the two
responses are equally long. A scorer that only learned "longer wins" is right exactly when
z > 0, so its fit puts the step at z = 0 and sigma(a) is ~50%. (The reward margin is not a
regressor: "ranks chosen first" is the sign of the margin, so it would separate the data
perfectly and say nothing.) ``b`` is reported too: how much of the accuracy length explains.

**Cue-conflict cell** (RM-Bench's hard cell, for Reddit): the pairs whose chosen response
is the *shorter* one by at least the task's hard ratio (``hard_max_length_ratio``, 1.25 by
default). Longer-wins scores 0% there by construction; a scorer that learned only length
scores below 50%.

**Noise ceiling.** Each pair's two scores are read as vote counts: N = s_chosen +
s_rejected votes, a share p = s_chosen / N for the chosen response. Re-drawing N votes
from that share keeps the order with probability P(X > N/2) + P(X = N/2) / 2, X ~
Binomial(N, p). The mean over pairs estimates how often the vote order itself would
survive a re-vote: an accuracy near it is as good as these labels can confirm. Limits:
scores are net votes (up minus down; the totals are hidden), the plug-in share treats
the observed order as the truth, votes are not independent (early, visible comments get
more), and the pairing rules keep only clear wins (score ratio >= 2), so the ceiling is
high by construction. Read it as "the labels are this reliable", not as a bound any
model must stay under.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from rmbench.eval.metrics import ClusterBootstrap, _r, estimate, post_ids_of

# Ridge on the length slope (times the pair count): the length-only scorer separates the
# data at z = 0, where the unpenalized fit runs off to infinity. 1e-4 keeps it finite while
# leaving sigma(a) within ~1 point of 50% for that scorer (1e-2 biased it to 48%, measured).
_RIDGE = 1e-4
_NEWTON_STEPS = 40


def length_z(pairs: Sequence[dict]) -> np.ndarray:
    """log((1 + chars chosen) / (1 + chars rejected)), not yet scaled."""
    return np.log1p([len(p["chosen"]) for p in pairs]) - np.log1p([len(p["rejected"]) for p in pairs])


def fit_logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted logistic fits of y on [1, x], one per row of ``w`` (B, n); returns (B, 2).

    Soft labels (ties are 0.5) are fine. Newton's method with a ridge on the slope, all
    resamples at once.
    """
    w = np.atleast_2d(w)
    theta = np.zeros((w.shape[0], 2))
    ridge = np.array([0.0, _RIDGE]) * w.sum(axis=1, keepdims=True)
    for _ in range(_NEWTON_STEPS):
        eta = theta[:, :1] + theta[:, 1:] * x[None, :]
        p = 1.0 / (1.0 + np.exp(-np.clip(eta, -30, 30)))
        r = w * (y[None, :] - p)
        g = np.stack([r.sum(axis=1), (r * x).sum(axis=1)], axis=1) - ridge * theta
        h = w * p * (1 - p)
        h00, h01, h11 = h.sum(axis=1), (h * x).sum(axis=1), (h * x * x).sum(axis=1)
        h00, h11 = h00 + 1e-9, h11 + ridge[:, 1] + 1e-9
        det = h00 * h11 - h01 * h01
        step = np.stack([(h11 * g[:, 0] - h01 * g[:, 1]) / det, (h00 * g[:, 1] - h01 * g[:, 0]) / det], axis=1)
        theta = theta + np.clip(step, -5, 5)  # damped: the first steps on separable data are large
        if np.abs(step).max() < 1e-8:
            break
    return theta


def length_controlled(pairs: Sequence[dict], outcomes: Sequence[float], boot: ClusterBootstrap) -> dict:
    """{"accuracy", "ci95", "length_coef"}: the accuracy predicted at equal lengths."""
    y = np.asarray(outcomes, dtype=float)
    if y.size == 0:
        return {"accuracy": None, "ci95": None, "length_coef": None}
    z = length_z(pairs)
    sd = z.std() or 1.0
    x = z / sd
    a, b = fit_logistic(x, y, np.ones((1, y.size)))[0]
    draws = boot.resampled(lambda w: 1.0 / (1.0 + np.exp(-fit_logistic(x, y, w)[:, 0])))
    lo, hi = boot.interval(draws)
    return {"accuracy": _r(float(1.0 / (1.0 + math.exp(-a)))), "ci95": [_r(lo), _r(hi)],
            "length_coef": _r(float(b))}


def cue_conflict(pairs: Sequence[dict], outcomes: Sequence[float], ratio: float, samples: int, seed: int) -> dict:
    """Accuracy where the chosen response is shorter by at least ``ratio`` (longer-wins: 0%)."""
    keep = [i for i, p in enumerate(pairs) if len(p["rejected"]) >= ratio * max(1, len(p["chosen"]))]
    out = {"min_length_ratio": ratio, "n": len(keep), "accuracy": None, "ci95": None}
    if keep:
        y = np.asarray(outcomes, dtype=float)[keep]
        boot = ClusterBootstrap(post_ids_of([pairs[i]["pair_id"] for i in keep]), samples, seed)
        acc, ci = boot.mean(y)
        out.update({"accuracy": _r(acc), "ci95": [_r(ci[0]), _r(ci[1])]})
    return out


def keep_order_probability(s_chosen: Sequence[float], s_rejected: Sequence[float]) -> np.ndarray:
    """Per pair: P(a re-draw of its votes keeps the chosen response ahead), ties half."""
    from scipy.stats import binom

    c = np.clip(np.asarray(s_chosen, dtype=float), 0, None).round()
    r = np.clip(np.asarray(s_rejected, dtype=float), 0, None).round()
    n = c + r
    p = np.divide(c, n, out=np.full_like(c, 0.5), where=n > 0)
    half = np.floor(n / 2)
    above = binom.sf(half, n, p)  # P(X > floor(N/2)): strictly more than half
    tie = np.where(n % 2 == 0, binom.pmf(half, n, p), 0.0)
    return np.where(n > 0, above + tie / 2, 0.5)


def noise_ceiling(pairs: Sequence[dict], boot: ClusterBootstrap) -> dict:
    if not pairs or any(p.get("chosen_score") is None or p.get("rejected_score") is None for p in pairs):
        return {"value": None, "ci95": None, "method": "vote_resampling"}  # no vote counts to resample
    q = keep_order_probability([p["chosen_score"] for p in pairs], [p["rejected_score"] for p in pairs])
    point, ci = boot.mean(q)
    return {**estimate(point, ci), "method": "vote_resampling"}
