"""Pairwise metrics and THE bootstrap: post-clustered, seeded, paired across scorers.

A pair is "correct" when the chosen response gets the higher reward; an exact tie counts
one half (a coin flip's expectation), so a constant model scores 0.5, not 0 or 1.

The bootstrap resamples *clusters* -- posts, whose pairs share a prompt and responses and
so are correlated -- with all their pairs (docs/harness.md). A pair's cluster is its post
id, the ``pair_id`` prefix before the first ``:``. One ``ClusterBootstrap`` draws its
resamples once (regenerated from its seed, chunk by chunk, so memory stays bounded) and
every statistic asked of it sees the same resampled posts: the model's accuracy, each
baseline's, and the paired difference between them all come from one set of draws.

    boot = ClusterBootstrap(post_ids_of(pair_ids), samples=1000, seed=0)
    acc, (lo, hi) = boot.mean(outcomes)
    diff, (lo, hi) = boot.diff(model_outcomes, baseline_outcomes)

Without clusters (``clusters=None``) every value is its own cluster: the plain bootstrap.

The interval rule (``eval.interval``, recorded in every results.json's config): "expanded",
the default, reads the draws at Hesterberg's expanded percentiles for k clusters (tails at
Phi(-sqrt(k/(k-1)) t_{k-1,0.975}) instead of 2.5%): the plain percentile interval is too
narrow with few posts. Measured on two real-vote held-out tasks and the demo
(bench/ci_coverage_study.py, BENCHMARKS (o)): at 20 posts the plain interval covered
91.7-93.8%, the expanded one 93.6-95.9%; it is ~2% wider at 100 posts, under 1% from 300.
"percentile" is the plain rule: every result from before eval.interval existed used it, and
the leaderboard and compare recompute such a result by it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache

import numpy as np

LEVEL = 0.95
# Resample-by-cluster entries drawn at a time: 1000 resamples of 100k posts never need a
# 100M-entry matrix, and small splits still draw everything in one chunk.
_CHUNK_ENTRIES = 2_000_000

INTERVAL_RULES = ("expanded", "percentile")
_rule = ["expanded"]  # the rule in force: set for a run by ``using_interval`` (its eval.interval)


def interval_rule() -> str:
    return _rule[0]


@contextmanager
def using_interval(rule: str):
    """Every interval and bootstrap p-value inside uses ``rule`` (one of INTERVAL_RULES)."""
    if rule not in INTERVAL_RULES:
        raise ValueError(f"unknown interval rule {rule!r}: one of {', '.join(INTERVAL_RULES)}")
    before, _rule[0] = _rule[0], rule
    try:
        yield
    finally:
        _rule[0] = before


def recorded_rule(doc: dict) -> str:
    """The interval rule a results.json (or sweep.json) records; "percentile" for one from before
    ``eval.interval`` existed, which used it. An unknown value is returned as is: the caller says so."""
    rule = ((doc.get("config") or {}).get("eval") or {}).get("interval", "percentile")
    return rule if isinstance(rule, str) else repr(rule)


def under_config_rule(fn: Callable) -> Callable:
    """Run ``fn(cfg, ...)`` (a RunConfig first) with ``cfg.eval.interval`` in force, so every
    figure of a run, an evaluation or a sweep follows the rule its results.json records."""
    import functools

    @functools.wraps(fn)
    def wrapped(cfg, *args, **kwargs):
        with using_interval(cfg.eval.interval):
            return fn(cfg, *args, **kwargs)
    return wrapped


@lru_cache(maxsize=4096)
def expanded_level(k: int, level: float = LEVEL) -> float:
    """The percentile level of Hesterberg's expanded interval for k clusters: the normal level
    whose quantile is sqrt(k/(k-1)) times Student's t quantile with k-1 degrees of freedom
    (k = 20: 0.968; 100: 0.954; 1,000: 0.9504). Under 2 clusters: ``level`` itself."""
    if k < 2:
        return level
    from scipy.special import stdtrit  # lazily: 0.2 s of import for every command otherwise

    z = math.sqrt(k / (k - 1)) * float(stdtrit(k - 1, 1 - (1 - level) / 2))
    return math.erf(z / math.sqrt(2))


def level_for(k: int | None, level: float = LEVEL) -> float:
    """The percentile level an interval over k clusters is read at under the rule in force."""
    return level if k is None or _rule[0] == "percentile" else expanded_level(int(k), level)


def pair_outcomes(r_chosen: Sequence[float], r_rejected: Sequence[float]) -> np.ndarray:
    """1 where chosen scored higher, 0 where lower, 0.5 on an exact tie."""
    c, r = np.asarray(r_chosen, dtype=float), np.asarray(r_rejected, dtype=float)
    return np.where(c > r, 1.0, np.where(c < r, 0.0, 0.5))


def post_id(pair_id: str) -> str:
    """The cluster of a pair: its post id, the pair id's prefix before the first ':'."""
    return str(pair_id).split(":", 1)[0]


def post_ids_of(pair_ids: Sequence[str]) -> list[str]:
    return [post_id(p) for p in pair_ids]


class ClusterBootstrap:
    """Percentile bootstrap over clusters; every statistic uses the same resamples."""

    def __init__(self, clusters: Sequence | None, samples: int = 1000, seed: int = 0, level: float = LEVEL,
                 n: int | None = None):
        if clusters is None:
            if n is None:
                raise ValueError("ClusterBootstrap needs clusters or n")
            codes = np.arange(n)
        else:
            _, codes = np.unique(np.asarray([str(c) for c in clusters], dtype=object), return_inverse=True)
        self.codes = np.asarray(codes, dtype=np.int64).reshape(-1)
        self.n = self.codes.size
        self.k = int(self.codes.max()) + 1 if self.n else 0
        self.samples, self.seed, self.level = int(samples), int(seed), float(level)
        self.sizes = np.bincount(self.codes, minlength=self.k).astype(float)

    # -- the resamples -------------------------------------------------------------------
    def counts(self) -> Iterator[np.ndarray]:
        """(chunk, k) matrices: how often each cluster is drawn in each resample; the same
        sequence on every call (a fresh generator from the seed)."""
        rng = np.random.default_rng(self.seed)
        chunk = max(1, _CHUNK_ENTRIES // max(1, self.k))
        for start in range(0, self.samples, chunk):
            rows = min(chunk, self.samples - start)
            idx = rng.integers(0, self.k, size=(rows, self.k))
            flat = (idx + (np.arange(rows) * self.k)[:, None]).ravel()
            yield np.bincount(flat, minlength=rows * self.k).reshape(rows, self.k).astype(float)

    def resampled_means(self, *values: Sequence[float]) -> np.ndarray:
        """(samples, len(values)): each value array's mean in each resample (pair-weighted)."""
        sums = self.resampled_sums(*values)
        return sums[:, 1:] / sums[:, :1]

    def resampled_sums(self, *values: Sequence[float]) -> np.ndarray:
        """(samples, 1 + len(values)): the resample's pair count, then each value array's sum."""
        sums = [np.bincount(self.codes, weights=np.asarray(v, dtype=float), minlength=self.k) for v in values]
        out = [np.stack([c @ self.sizes] + [c @ s for s in sums], axis=1) for c in self.counts()]
        return np.concatenate(out) if out else np.empty((0, 1 + len(values)))

    def resampled(self, stat: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """Any statistic: ``stat(weights)`` gets (chunk, n) per-pair weights (how often each
        pair's cluster was drawn) and returns (chunk,) values."""
        return np.concatenate([stat(c[:, self.codes]) for c in self.counts()])

    def interval(self, draws: np.ndarray) -> tuple[float, float]:
        return percentile_interval(draws, self.level, clusters=self.k)

    def p(self, draws: np.ndarray) -> float:
        """Two-sided bootstrap p-value of "the difference is 0", on the rule's scale (``bootstrap_p``)."""
        return bootstrap_p(draws, clusters=self.k)

    # -- the statistics everyone reports --------------------------------------------------
    def mean(self, values: Sequence[float]) -> tuple[float, tuple[float, float]]:
        x = np.asarray(values, dtype=float)
        if x.size == 0:
            return math.nan, (math.nan, math.nan)
        return float(x.mean()), self.interval(self.resampled_means(x)[:, 0])

    def diff(self, a: Sequence[float], b: Sequence[float] | float) -> tuple[float, tuple[float, float]]:
        """mean(a) - mean(b) and its interval, on the same resampled clusters (``b`` may be a constant)."""
        point, draws = self.diff_draws(a, b)
        return point, (math.nan, math.nan) if draws is None else self.interval(draws)

    def diff_draws(self, a: Sequence[float], b: Sequence[float] | float) -> tuple[float, np.ndarray | None]:
        """mean(a) - mean(b) and its resampled values (None with no pairs): ``diff`` before the interval."""
        x = np.asarray(a, dtype=float)
        if x.size == 0:
            return math.nan, None
        if np.isscalar(b):
            return float(x.mean() - float(b)), self.resampled_means(x)[:, 0] - float(b)
        y = np.asarray(b, dtype=float)
        m = self.resampled_means(x, y)
        return float(x.mean() - y.mean()), m[:, 0] - m[:, 1]


def bootstrap_p(draws: Sequence[float], clusters: int | None = None) -> float:
    """Two-sided p-value of "the difference is 0" from resampled differences: twice the smaller
    share of draws on either side of 0, counted as (k + 1) / (B + 1) so that it is never 0 (with
    B = 1,000 the smallest is 0.002). NaN draws are left out; none left: NaN.

    With ``clusters`` under the expanded rule the share is read on the expanded scale, so that
    p <= 0.05 exactly where the 95% interval over that many clusters excludes 0: the share's
    normal quantile z becomes Student's t quantile z / sqrt(k/(k-1)) with k-1 degrees of freedom."""
    x = np.asarray(draws, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return math.nan
    k = min(int((x <= 0).sum()), int((x >= 0).sum()))
    p = min(1.0, 2 * (k + 1) / (x.size + 1))
    if clusters is None or _rule[0] == "percentile" or clusters < 2 or p >= 1.0:
        return p
    from scipy.special import ndtri, stdtr

    t = float(ndtri(1 - p / 2)) / math.sqrt(clusters / (clusters - 1))
    return min(1.0, 2 * float(stdtr(clusters - 1, -t)))


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment: each p-value made valid for the whole family (any dependence
    between the tests); a hypothesis is rejected at level a when its adjusted p is at most a."""
    order = sorted(range(len(pvalues)), key=lambda i: pvalues[i])
    out, running = [math.nan] * len(pvalues), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(pvalues) - rank) * pvalues[i]))
        out[i] = running
    return out


def percentile_interval(draws: Sequence[float], level: float = LEVEL,
                        clusters: int | None = None) -> tuple[float, float]:
    """The percentile interval of resampled statistics (NaN draws left out; none: (nan, nan)).
    ``clusters``: how many clusters were resampled (all strata's together for a pooled figure),
    which the expanded rule widens the interval by (``level_for``)."""
    x = np.asarray(draws, dtype=float)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return (math.nan, math.nan)
    tail = (1 - level_for(clusters, level)) / 2 * 100
    lo, hi = np.percentile(x, [tail, 100 - tail])
    return (float(lo), float(hi))


def stratified_means(strata: Sequence[tuple[Sequence, Sequence[Sequence[float]]]], samples: int = 1000,
                     seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Pooled and per-stratum resampled means over independent strata (e.g. held-out tasks).

    ``strata``: per stratum, its clusters (post ids) and the value arrays to average (e.g.
    the model's and a baseline's outcomes on its pairs). Each stratum's posts are drawn by
    its own ``ClusterBootstrap`` (seed ``seed + i`` for the i-th, so the strata are drawn
    independently and the first is drawn exactly as a one-task run draws it). Returns
    ``pooled`` (samples, values): the pair-weighted mean over every stratum's pairs in each
    resample, and ``per`` (strata, samples, values): each stratum's own mean, whose average
    over strata is the unweighted (macro) mean.
    """
    per = np.stack([ClusterBootstrap(clusters, samples, seed + i).resampled_sums(*values)
                    for i, (clusters, values) in enumerate(strata)])  # (strata, samples, 1 + values)
    total = per.sum(axis=0)
    return total[:, 1:] / total[:, :1], per[:, :, 1:] / per[:, :, :1]


def bootstrap_ci(values: Sequence[float], samples: int = 1000, seed: int = 0, level: float = LEVEL,
                 clusters: Sequence | None = None) -> tuple[float, float]:
    """Percentile interval of the mean; ``clusters`` (e.g. post ids) resamples them whole.
    Empty input gives (nan, nan)."""
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return (math.nan, math.nan)
    return ClusterBootstrap(clusters, samples, seed, level, n=x.size).mean(x)[1]


def accuracy_with_ci(outcomes: Sequence[float], samples: int = 1000, seed: int = 0,
                     clusters: Sequence | None = None) -> dict:
    """{"accuracy", "ci95"}; pass ``clusters`` (post ids, prompts) whenever values share one."""
    x = np.asarray(outcomes, dtype=float)
    acc = float(x.mean()) if x.size else math.nan
    lo, hi = bootstrap_ci(x, samples, seed, clusters=clusters)
    return {"accuracy": _r(acc), "ci95": [_r(lo), _r(hi)]}


def estimate(point: float, ci: tuple[float, float]) -> dict:
    """A point estimate and its interval as results.json writes them."""
    return {"value": _r(point), "ci95": [_r(ci[0]), _r(ci[1])]}


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


def mean_confidence(r_chosen: Sequence[float], r_rejected: Sequence[float]) -> float:
    """Mean |sigma(r_A - r_B) - 0.5|: near 0, the model hardly prefers anything, and a small
    ECE says nothing (a model at chance that always says 50/50 is perfectly calibrated)."""
    d = np.asarray(r_chosen, dtype=float) - np.asarray(r_rejected, dtype=float)
    if d.size == 0:
        return math.nan
    return _r(float(np.abs(1.0 / (1.0 + np.exp(-np.clip(d, -50, 50))) - 0.5).mean()))


def bucket_label(lo: float, hi: float | None) -> str:
    return f"{lo:g}+" if hi is None else f"{lo:g}-{hi:g}"


def score_ratio_buckets(ratios: Sequence[float | None], edges: Sequence[float]) -> list[tuple[str, np.ndarray]]:
    """(label, mask) per score-ratio bucket [e_i, e_{i+1}), plus '<e_0' when present. Empty
    buckets (and pairs without a ratio: a score <= 0) are left out."""
    q = np.asarray([math.nan if v is None else v for v in ratios], dtype=float)
    edges = sorted(float(e) for e in edges)
    bounds = [(-math.inf, edges[0], f"<{edges[0]:g}")]
    bounds += [(lo, hi, bucket_label(lo, hi)) for lo, hi in zip(edges, edges[1:])]
    bounds += [(edges[-1], math.inf, bucket_label(edges[-1], None))]
    masks = [(label, (q >= lo) & (q < hi)) for lo, hi, label in bounds]
    return [(label, m) for label, m in masks if m.any()]


def by_score_ratio(outcomes: Sequence[float], ratios: Sequence[float], edges: Sequence[float]) -> list[dict]:
    """Accuracy per score-ratio bucket (``score_ratio_buckets``)."""
    x = np.asarray(outcomes, dtype=float)
    return [{"bucket": label, "n": int(m.sum()), "accuracy": _r(float(x[m].mean()))}
            for label, m in score_ratio_buckets(ratios, edges)]


def _r(v: float) -> float:
    """Rounded for results.json; NaN stays NaN (written as null)."""
    return v if math.isnan(v) else round(v, 6)
