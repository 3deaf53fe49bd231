"""What the plain accuracy hides: length-controlled accuracy, the cue-conflict cell, the noise
ceiling, accuracy by vote margin.

Each one is computed for one split's pairs and a scorer's outcomes, with intervals from
the one bootstrap (``rmbench.eval.metrics.ClusterBootstrap``, posts resampled whole).

**Length-controlled accuracy** (AlpacaEval's length control, adapted to pairs). Regress
"the scorer ranks the chosen response first" on the sign of the length difference s (+1:
the chosen response is the longer, -1: the shorter) and read the fit at s = 0: with that one
covariate the least-squares line passes through the two groups' accuracies, so the value
at 0 is their mean, (accuracy where chosen is longer + accuracy where it is shorter) / 2 --
how often the scorer is right when being longer tells it nothing. A scorer that only
learned "longer wins" is right on every chosen-longer pair and wrong on every other one:
exactly 50%. A length-blind scorer keeps its accuracy. ``length_dependence`` is the gap
between the two groups (1 for longer-wins, ~0 for a scorer that ignores length). Pairs of
equal length are in neither group. (A logistic fit on the continuous log length ratio,
read at zero, was tried first: for step-like scorers such as longer-wins the data are
separable and the intercept lands anywhere in the gap -- 52% to 59% on the college dumps
depending on the ridge -- so it is not used. The reward margin is not a regressor either:
"ranks chosen first" is the margin's sign.)

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

**Accuracy by vote margin** (SHP's advice: report a curve, not one number, since a pair the
voters split 10:1 is easier than one they split 2:1). The split's pairs in buckets of their
score ratio (chosen / rejected score; ``eval.score_ratio_edges``), each with the model's
accuracy, its interval (the bucket's posts resampled whole) and the rule baselines' and
confounds' accuracy on the same pairs: a model that only tracks length rises with the
margin exactly as longer-wins does.

**By response cut.** A scorer reads at most ``max_length`` tokens, so a response past its
budget loses its end, and with it the length it really has, while confounds counts every
character. The split's pairs in two parts by the scorer's own per-pair cut flags: both
responses read whole, and one or both cut; each part with the model's accuracy and its
paired difference to confounds. A model held under confounds by its token budget falls
short on the cut part; BENCHMARKS.md (l) measured whether it does on real votes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rmbench.eval.metrics import ClusterBootstrap, _r, estimate


def lengths_of(pairs: Sequence[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Each pair's chosen and rejected length in characters: what the length controls read
    (a leaderboard track freezes these, so it can recompute them without the texts)."""
    return (np.array([len(p["chosen"]) for p in pairs], dtype=np.int64),
            np.array([len(p["rejected"]) for p in pairs], dtype=np.int64))


def length_controlled(lc: Sequence[int], lr: Sequence[int], outcomes: Sequence[float], boot: ClusterBootstrap) -> dict:
    """{"accuracy", "ci95", "chosen_longer", "chosen_shorter", "length_dependence"} from the
    pairs' lengths (``lengths_of``)."""
    y = np.asarray(outcomes, dtype=float)
    lc, lr = np.asarray(lc), np.asarray(lr)
    longer, shorter = (lc > lr).astype(float), (lc < lr).astype(float)
    out = {"accuracy": None, "ci95": None, "chosen_longer": None, "chosen_shorter": None, "length_dependence": None,
           "n_longer": int(longer.sum()), "n_shorter": int(shorter.sum())}
    if not longer.any() or not shorter.any():
        return out  # one group is empty: nothing to balance

    def balanced(w: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):  # a resample may miss a group: NaN, dropped
            return 0.5 * ((w @ (y * longer)) / (w @ longer) + (w @ (y * shorter)) / (w @ shorter))

    acc_l, acc_s = float(y[longer > 0].mean()), float(y[shorter > 0].mean())
    lo, hi = boot.interval(boot.resampled(balanced))
    out.update({"accuracy": _r((acc_l + acc_s) / 2), "ci95": [_r(lo), _r(hi)], "chosen_longer": _r(acc_l),
                "chosen_shorter": _r(acc_s), "length_dependence": _r(acc_l - acc_s)})
    return out


def cue_conflict(lc: Sequence[int], lr: Sequence[int], posts: Sequence[str], outcomes: Sequence[float],
                 ratio: float, samples: int, seed: int) -> dict:
    """Accuracy where the chosen response is shorter by at least ``ratio`` (longer-wins: 0%)."""
    lc, lr = np.asarray(lc), np.asarray(lr)
    keep = np.flatnonzero(lr >= ratio * np.maximum(1, lc))
    posts = [posts[i] for i in keep]
    out = {"min_length_ratio": ratio, "n": len(keep), "posts": len(set(posts)), "accuracy": None, "ci95": None}
    if len(keep):
        y = np.asarray(outcomes, dtype=float)[keep]
        boot = ClusterBootstrap(posts, samples, seed)
        acc, ci = boot.mean(y)
        out.update({"accuracy": _r(acc), "ci95": [_r(ci[0]), _r(ci[1])]})
    return out


def too_small(cell: dict, min_pairs: int, min_posts: int) -> bool:
    """A control cell that counts too few pairs for its figure to mean anything (issue 25: a
    cue-conflict cell of one pair showed 100.0): the cue-conflict cell under the split's rule
    (``min_pairs`` pairs or ``min_posts`` posts); the length-controlled accuracy, the mean of
    two groups' accuracies, when either group holds under half of ``min_pairs``. The figure
    stays in results.json; the tables say "too small" instead of it."""
    if "n_longer" in cell:
        return min(cell["n_longer"], cell["n_shorter"]) < min_pairs / 2
    return cell.get("n", 0) < min_pairs or cell.get("posts", 0) < min_posts


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


def noise_ceiling(s_chosen: Sequence[float | None], s_rejected: Sequence[float | None],
                  boot: ClusterBootstrap | None) -> dict:
    """The vote-resampling ceiling from each pair's two scores; None without them."""
    if boot is None or not len(s_chosen) or any(v is None for v in s_chosen) or any(v is None for v in s_rejected):
        return {"value": None, "ci95": None, "method": "vote_resampling"}  # no vote counts to resample
    point, ci = boot.mean(keep_order_probability(s_chosen, s_rejected))
    return {**estimate(point, ci), "method": "vote_resampling"}


def control_cells(posts: Sequence[str], outcomes: Sequence[float], lc: Sequence[int], lr: Sequence[int],
                  scores: tuple[Sequence, Sequence], *, hard_ratio: float, samples: int, seed: int,
                  min_pairs: int, min_posts: int, boot: ClusterBootstrap | None) -> dict:
    """A split card's length-controlled accuracy, noise ceiling and cue-conflict cell, each
    control cell with the split's "too small" rule. The run's scorecard and the leaderboard's
    recompute both call this, from the texts' lengths or a track's frozen ones, so the two
    give the same figures."""
    if boot is not None:
        lcell = length_controlled(lc, lr, outcomes, boot)
    else:
        lcell = {"accuracy": None, "ci95": None, "length_dependence": None, "n_longer": 0, "n_shorter": 0}
    cells = {"length_controlled": lcell, "noise_ceiling": noise_ceiling(*scores, boot),
             "cue_conflict": cue_conflict(lc, lr, posts, outcomes, hard_ratio, samples, seed)}
    for name in ("length_controlled", "cue_conflict"):
        cells[name]["too_small"] = too_small(cells[name], min_pairs, min_posts)
    return cells


# Baselines shown beside the model in each vote-margin bucket: the surface rules a model may
# have learned instead of content (earlier/later are by construction under later-but-higher).
CURVE_BASELINES = ("longer", "confounds")


def score_ratio_curve(posts: Sequence[str], outcomes: Sequence[float], others: dict, ratios: Sequence[float | None],
                      edges: Sequence[float], samples: int, seed: int) -> list[dict]:
    """Per score-ratio bucket (the buckets of ``metrics.by_score_ratio``; pairs without a ratio
    left out): {"bucket", "n", "posts", "accuracy", "ci95", "baselines": {name: accuracy}}."""
    from rmbench.eval.metrics import score_ratio_buckets

    y = np.asarray(outcomes, dtype=float)
    posts = np.asarray([str(p) for p in posts], dtype=object)
    rows = []
    for label, m in score_ratio_buckets(ratios, edges):
        acc, ci = ClusterBootstrap(posts[m], samples, seed).mean(y[m])
        base = {k: _r(float(np.asarray(others[k], dtype=float)[m].mean())) for k in CURVE_BASELINES
                if k in others and not isinstance(others[k], str)}
        rows.append({"bucket": label, "n": int(m.sum()), "posts": len(set(posts[m])), "accuracy": _r(acc),
                     "ci95": [_r(ci[0]), _r(ci[1])], "baselines": base})
    return rows


def by_response_cut(posts: Sequence[str], outcomes: Sequence[float], others: dict, cuts: dict | None,
                    samples: int, seed: int) -> dict | None:
    """{"whole": part, "cut": part}, a part being {"n", "posts", "accuracy", "ci95", "longer",
    "confounds", "diff_confounds", "diff_confounds_ci95"} (figures None on an empty part; confounds'
    None where it was not fitted). ``cuts``: the scorer's per-pair flags (scores/TASK.SPLIT.json's
    "cuts"); None without them (a baseline reads no tokens)."""
    y = np.asarray(outcomes, dtype=float)
    if not cuts or len(cuts.get("chosen") or []) != y.size or len(cuts.get("rejected") or []) != y.size:
        return None
    cut = np.asarray(cuts["chosen"], dtype=bool) | np.asarray(cuts["rejected"], dtype=bool)
    posts = np.asarray([str(p) for p in posts], dtype=object)
    conf = others.get("confounds")
    conf = None if conf is None or isinstance(conf, str) else np.asarray(conf, dtype=float)
    longer = others.get("longer")
    longer = None if longer is None or isinstance(longer, str) else np.asarray(longer, dtype=float)
    out = {}
    for name, m in (("whole", ~cut), ("cut", cut)):
        part = {"n": int(m.sum()), "posts": len(set(posts[m])), "accuracy": None, "ci95": None, "longer": None,
                "confounds": None, "diff_confounds": None, "diff_confounds_ci95": None}
        if m.any():
            boot = ClusterBootstrap(posts[m], samples, seed)
            acc, ci = boot.mean(y[m])
            part.update({"accuracy": _r(acc), "ci95": [_r(ci[0]), _r(ci[1])]})
            if longer is not None:
                part["longer"] = _r(float(longer[m].mean()))
            if conf is not None:
                diff, dci = boot.diff(y[m], conf[m])
                part.update({"confounds": _r(float(conf[m].mean())), "diff_confounds": _r(diff),
                             "diff_confounds_ci95": [_r(dci[0]), _r(dci[1])]})
        out[name] = part
    return out
