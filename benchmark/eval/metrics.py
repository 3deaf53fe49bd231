"""Pairwise metrics: accuracy with a seeded bootstrap interval, calibration, score-ratio buckets.

A pair is "correct" when the chosen response gets the higher reward; an exact tie counts
one half (a coin flip's expectation), so a constant model scores 0.5, not 0 or 1.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def pair_outcomes(r_chosen: Sequence[float], r_rejected: Sequence[float]) -> np.ndarray:
    """1 where chosen scored higher, 0 where lower, 0.5 on an exact tie."""
    c, r = np.asarray(r_chosen, dtype=float), np.asarray(r_rejected, dtype=float)
    return np.where(c > r, 1.0, np.where(c < r, 0.0, 0.5))


def bootstrap_ci(values: Sequence[float], samples: int = 1000, seed: int = 0,
                 level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean. Empty input gives (nan, nan)."""
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    means = np.empty(samples)
    # In chunks, so 1000 resamples of 100k pairs do not need a 100M-entry index matrix.
    chunk = max(1, 2_000_000 // x.size)
    for start in range(0, samples, chunk):
        stop = min(samples, start + chunk)
        idx = rng.integers(0, x.size, size=(stop - start, x.size))
        means[start:stop] = x[idx].mean(axis=1)
    tail = (1 - level) / 2 * 100
    lo, hi = np.percentile(means, [tail, 100 - tail])
    return (float(lo), float(hi))


def accuracy_with_ci(outcomes: Sequence[float], samples: int = 1000, seed: int = 0) -> dict:
    x = np.asarray(outcomes, dtype=float)
    acc = float(x.mean()) if x.size else math.nan
    lo, hi = bootstrap_ci(x, samples, seed)
    return {"accuracy": _r(acc), "ci95": [_r(lo), _r(hi)]}


def expected_calibration_error(r_chosen: Sequence[float], r_rejected: Sequence[float], bins: int = 10) -> float:
    """ECE of p = sigma(r_A - r_B) as the probability that A is preferred.

    Each pair enters in both orders -- (p, chosen wins) and (1 - p, it does not) -- so the
    measure does not depend on which response a reader calls A.
    """
    d = np.asarray(r_chosen, dtype=float) - np.asarray(r_rejected, dtype=float)
    if d.size == 0:
        return math.nan
    p_chosen = 1.0 / (1.0 + np.exp(-np.clip(d, -50, 50)))
    p = np.concatenate([p_chosen, 1.0 - p_chosen])
    y = np.concatenate([np.ones_like(p_chosen), np.zeros_like(p_chosen)])
    which = np.minimum((p * bins).astype(int), bins - 1)
    ece = 0.0
    for b in range(bins):
        m = which == b
        if m.any():
            ece += m.mean() * abs(y[m].mean() - p[m].mean())
    return _r(float(ece))


def bucket_label(lo: float, hi: float | None) -> str:
    return f"{lo:g}+" if hi is None else f"{lo:g}-{hi:g}"


def by_score_ratio(outcomes: Sequence[float], ratios: Sequence[float], edges: Sequence[float]) -> list[dict]:
    """Accuracy per score-ratio bucket [e_i, e_{i+1}), plus '<e_0' when present. Empty buckets are left out."""
    x, q = np.asarray(outcomes, dtype=float), np.asarray(ratios, dtype=float)
    edges = sorted(float(e) for e in edges)
    bounds = [(-math.inf, edges[0], f"<{edges[0]:g}")]
    bounds += [(lo, hi, bucket_label(lo, hi)) for lo, hi in zip(edges, edges[1:])]
    bounds += [(edges[-1], math.inf, bucket_label(edges[-1], None))]
    rows = []
    for lo, hi, label in bounds:
        m = (q >= lo) & (q < hi)
        if m.any():
            rows.append({"bucket": label, "n": int(m.sum()), "accuracy": _r(float(x[m].mean()))})
    return rows


def _r(v: float) -> float:
    """Rounded for results.json; NaN stays NaN (written as null)."""
    return v if math.isnan(v) else round(v, 6)
