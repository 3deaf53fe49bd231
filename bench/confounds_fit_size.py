"""How many pairs does baseline:confounds need? The defaults of eval.min_fit_pairs/posts.

Fits ``baseline:confounds`` on posts drawn (seeded, whole posts with all their pairs) from
one task's training split, N pairs at a time, and scores each fit on another task's
``heldout_all`` (every pair of every post). Prints, per N: the mean and spread of the
held-out accuracy over repeats, its gap to the fit on every training pair, and the cosine
of the fitted coefficients with the full fit's. docs/harness.md quotes the figures.

    python bench/confounds_fit_size.py PREPARED_DIR --fit askacademia --score gradschool
"""

from __future__ import annotations

import argparse
import random
from collections import defaultdict

import numpy as np

from rmbench.eval.confounds import fit_confounds
from rmbench.eval.metrics import pair_outcomes, post_id
from rmbench.prepared.load import load_split

SIZES = (5, 10, 20, 35, 50, 75, 100, 150, 200, 300, 500, 1000, 2000)


def by_post_sample(rows: list[dict], n: int, rng: random.Random) -> list[dict]:
    """Whole posts in random order until ``n`` pairs are reached (a run's fit set is whole posts)."""
    posts = defaultdict(list)
    for r in rows:
        posts[post_id(r["pair_id"])].append(r)
    order = list(posts)
    rng.shuffle(order)
    out: list[dict] = []
    for p in order:
        if len(out) >= n:
            break
        out += posts[p]
    return out[:n]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--fit", default="askacademia")
    ap.add_argument("--score", default="gradschool")
    ap.add_argument("--repeats", type=int, default=20)
    a = ap.parse_args()
    fit_rows = load_split(a.data, a.fit, "train")
    test = load_split(a.data, a.score, "heldout_all")
    full = fit_confounds(fit_rows, use_delay=False)
    full_acc = float(np.mean(pair_outcomes(*full.rewards(test))))
    print(f"fit {a.fit} train ({len(fit_rows)} pairs), score {a.score} heldout_all ({len(test)} pairs); "
          f"full fit accuracy {100 * full_acc:.2f}%")
    print("pairs  posts(mean)  acc% mean  sd   gap to full (points)  worst  coef cosine (mean, min)")
    for n in SIZES:
        accs, cos, posts = [], [], []
        for k in range(a.repeats):
            rows = by_post_sample(fit_rows, n, random.Random(k))
            m = fit_confounds(rows, use_delay=False)
            accs.append(float(np.mean(pair_outcomes(*m.rewards(test)))))
            u, v = np.asarray(m.coef), np.asarray(full.coef)
            cos.append(float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v) + 1e-12)))
            posts.append(len({post_id(r["pair_id"]) for r in rows}))
        accs = np.asarray(accs)
        print(f"{n:5d}  {np.mean(posts):9.1f}  {100 * accs.mean():8.2f}  {100 * accs.std():4.1f}  "
              f"{100 * (accs.mean() - full_acc):+8.2f}  {100 * (accs.min() - full_acc):+8.2f}  "
              f"{np.mean(cos):.3f} {np.min(cos):.3f}")


if __name__ == "__main__":
    main()
