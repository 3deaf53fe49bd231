"""Would raw length counts make baseline:confounds a stronger surface bar? One prepared dataset,
one held-out task.

baseline:confounds (rmbench.eval.confounds) reads length as logarithms (log characters, its
square, log words). This fits, on the held-in tasks' training pairs exactly as ``fit_confounds``
does (both orders, no intercept, standardized, L2 C = 1), the same features and the same plus
raw counts (characters / 1000, words / 100), and scores the held-out task's every-post split
(``heldout_all``, uncleaned of contamination: a study, not a card):

    python bench/confounds_features_study.py PREPARED HELDOUT [--train-tasks a,b,c]

Default training tasks: every other task of the prepared data with training pairs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from rmbench.eval.confounds import C_REGULARIZATION, text_features
from rmbench.eval.metrics import ClusterBootstrap, pair_outcomes, post_ids_of
from rmbench.prepared.load import load_split
from rmbench.prepared.manifest import read_manifest

VARIANTS = {
    "confounds (log length, layout)": lambda t: text_features(t),
    "+ raw characters and words": lambda t: text_features(t) + [len(t) / 1000, len(t.split()) / 100],
}


def fit_and_score(train: list[dict], test: list[dict], features) -> tuple[float, np.ndarray]:
    """Training accuracy and the test pairs' outcomes of a confounds-style fit on ``features``."""
    from sklearn.linear_model import LogisticRegression

    def diff(rows):
        return np.array([features(r["chosen"]) for r in rows]) - np.array([features(r["rejected"]) for r in rows])

    c = np.array([features(r["chosen"]) for r in train] + [features(r["rejected"]) for r in train])
    scale = c.std(axis=0)
    scale[scale < 1e-3] = 1.0
    d = diff(train) / scale
    clf = LogisticRegression(C=C_REGULARIZATION, fit_intercept=False, max_iter=2000)
    clf.fit(np.concatenate([d, -d]), np.r_[np.ones(len(d)), np.zeros(len(d))])
    w = clf.coef_[0]
    return float(pair_outcomes(d @ w, np.zeros(len(d))).mean()), pair_outcomes((diff(test) / scale) @ w, np.zeros(len(test)))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("prepared", type=Path)
    ap.add_argument("heldout")
    ap.add_argument("--train-tasks", default=None)
    ap.add_argument("--samples", type=int, default=1000)
    a = ap.parse_args(argv)
    tasks = a.train_tasks.split(",") if a.train_tasks else [
        t for t in read_manifest(a.prepared)["tasks"] if t != a.heldout]
    train = [r for t in tasks for r in load_split(a.prepared, t, "train")]
    test = load_split(a.prepared, a.heldout, "heldout_all")
    boot = ClusterBootstrap(post_ids_of([r["pair_id"] for r in test]), a.samples, 0)
    print(f"fit on {len(train):,} training pairs of {', '.join(tasks)}; {a.heldout} heldout_all: {len(test):,} pairs")
    outs = {}
    for name, features in VARIANTS.items():
        train_acc, outs[name] = fit_and_score(train, test, features)
        acc, ci = boot.mean(outs[name])
        print(f"  {name:<32} train {100 * train_acc:.1f}%  held out {100 * acc:.1f}% [{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]")
    (first, a0), (second, a1) = outs.items()
    d, ci = boot.diff(a1, a0)
    print(f"  {second} - {first}: {100 * d:+.1f} points [{100 * ci[0]:+.1f}, {100 * ci[1]:+.1f}]")


if __name__ == "__main__":
    sys.exit(main())
