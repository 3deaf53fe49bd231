"""Do rmbench's intervals cover? The post-clustered bootstrap against the pair bootstrap, on real votes.

Every figure rmbench reports carries a 95% percentile interval from ``ClusterBootstrap``,
which resamples posts with all their pairs (docs/harness.md, "Intervals"). This script
measures how often such an interval holds the value it estimates, where the truth is known:

- The *population* is one finished run's split (default: held-out ``heldout_all``), read
  from its ``scores/<task>.<split>.json``: per pair the model's two rewards, longer-wins'
  outcome and the confounds logit, and the pair's post.
- A *study sample* is ``m`` posts drawn with replacement from the population's posts, each
  with all its pairs: a fresh community of the same kind, drawn from the population's own
  distribution of posts (its thread sizes, its within-post correlation). The truth of each
  statistic is its value on the whole population.
- On each study sample the statistic's 95% interval is computed twice, with the harness's
  own code: posts resampled whole (``ClusterBootstrap(post_ids)``, what every report uses)
  and pairs resampled one by one (``clusters=None``, the bootstrap the harness does not use).
  Coverage is the share of ``--reps`` study samples whose interval holds the truth.
- A third interval, for comparison: the same post resamples read at Hesterberg's *expanded*
  percentiles (tails at Phi(-sqrt(k/(k-1)) t_{k-1, 0.975}) for k posts instead of 2.5%):
  the textbook correction of the percentile interval's narrowness with few clusters.

Statistics: the model's accuracy, longer-wins' accuracy, and the paired differences model -
confounds and model - longer-wins (the figures behind "clears the best baseline").

A post-clustered interval that covers ~95% at the sizes the harness reports on (it calls a
split with under ``eval.min_report_posts`` = 20 posts "too small") is what the reports claim.

    python bench/ci_coverage_study.py [RUN_DIR ...] [--split heldout_all] [--posts 20,50,100,300]
        [--reps 1000] [--samples 1000] [--json out.json]

With no RUN_DIR it uses the finished real-vote runs it finds under /work/runs (see DEFAULT_RUNS).
Monte Carlo error of a coverage figure near 95% over 1,000 study samples: +-1.4 points (95%).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

from scipy import stats as sps

from rmbench.eval.metrics import ClusterBootstrap, pair_outcomes, percentile_interval, post_ids_of

DEFAULT_RUNS = ["/work/runs/len/gs-256", "/work/main/.rmbench-cache/seed/runs/reddit-college-minilm-2k"]


def load_population(run: Path, split: str) -> dict:
    """The split's per-pair values and each pair's post code, from the run's scores file."""
    files = sorted((run / "scores").glob(f"*.{split}.json"))
    if not files:
        raise SystemExit(f"{run}: no scores/*.{split}.json (a finished run with scores?)")
    s = json.loads(files[0].read_text())
    n = len(s["pair_ids"])
    model = pair_outcomes(s["chosen"], s["rejected"])
    values = {"model": model, "longer": np.asarray(s["baselines"]["longer"], dtype=float)}
    if s.get("confounds_logit") is not None:
        values["confounds"] = pair_outcomes(s["confounds_logit"], np.zeros(n))
    _, codes = np.unique(np.asarray(post_ids_of(s["pair_ids"]), dtype=object), return_inverse=True)
    return {"name": f"{run.name}: {files[0].stem}", "codes": codes.astype(np.int64), "values": values}


def statistics(values: dict) -> dict[str, tuple[str, str | None]]:
    """name -> (value array, subtracted array or None)."""
    out = {"model accuracy": ("model", None), "longer accuracy": ("longer", None)}
    if "confounds" in values:
        out["model - confounds"] = ("model", "confounds")
    out["model - longer"] = ("model", "longer")
    return out


def draw_sample(pop: dict, m: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Pair indices of ``m`` posts drawn with replacement, and each pair's cluster label in the
    sample (a post drawn twice is two clusters, as two distinct posts of a new community)."""
    codes = pop["codes"]
    order = np.argsort(codes, kind="stable")
    starts = np.searchsorted(codes[order], np.arange(codes.max() + 2))
    posts = rng.integers(0, codes.max() + 1, size=m)
    idx, lab = [], []
    for j, p in enumerate(posts):
        members = order[starts[p]:starts[p + 1]]
        idx.append(members)
        lab.append(np.full(members.size, j))
    return np.concatenate(idx), np.concatenate(lab)


def expanded_level(k: int, level: float = 0.95) -> float:
    """Hesterberg's expanded percentile interval: the percentile level whose normal quantile is
    sqrt(k/(k-1)) times Student's t quantile with k-1 degrees of freedom (k clusters)."""
    z = math.sqrt(k / (k - 1)) * sps.t.ppf(1 - (1 - level) / 2, k - 1)
    return 1 - 2 * sps.norm.sf(z)


def one_cell(pop: dict, m: int, reps: int, samples: int, seed: int) -> dict:
    stats = statistics(pop["values"])
    truth = {k: float(pop["values"][a].mean() - (pop["values"][b].mean() if b else 0.0)) for k, (a, b) in stats.items()}
    hows = ("posts", "pairs", "expanded")
    hits = {k: dict.fromkeys(hows, 0) for k in stats}
    width = {k: {h: [] for h in hows} for k in stats}
    wide = expanded_level(m)
    rng = np.random.default_rng(seed)
    n_pairs = []
    for r in range(reps):
        idx, lab = draw_sample(pop, m, rng)
        n_pairs.append(idx.size)
        for how, boot in (("posts", ClusterBootstrap(lab, samples, seed=r)),
                          ("pairs", ClusterBootstrap(None, samples, seed=r, n=idx.size))):
            for k, (a, b) in stats.items():
                x = pop["values"][a][idx]
                draws = boot.diff_draws(x, pop["values"][b][idx])[1] if b else boot.resampled_means(x)[:, 0]
                for h, lvl in ((how, 0.95), ("expanded", wide)) if how == "posts" else ((how, 0.95),):
                    lo, hi = percentile_interval(draws, lvl)
                    hits[k][h] += int(lo <= truth[k] <= hi)
                    width[k][h].append(hi - lo)
    return {"posts": m, "mean_pairs": float(np.mean(n_pairs)), "reps": reps,
            "rows": [{"statistic": k, "truth": truth[k],
                      **{f"coverage_{h}": hits[k][h] / reps for h in hows},
                      **{f"width_{h}": float(np.mean(width[k][h])) for h in hows}} for k in stats],
            "expanded_level": wide}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="*", default=DEFAULT_RUNS)
    ap.add_argument("--split", default="heldout_all")
    ap.add_argument("--posts", default="20,50,100,300")
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--samples", type=int, default=1000, help="bootstrap resamples per interval (the harness's default)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    report = []
    for run in args.runs:
        pop = load_population(Path(run), args.split)
        sizes = np.bincount(pop["codes"])
        print(f"\n## {pop['name']}: {pop['codes'].size} pairs, {sizes.size} posts "
              f"(pairs a post: mean {sizes.mean():.2f}, max {sizes.max()})", flush=True)
        print("| posts | mean pairs | statistic | truth | coverage, posts resampled | coverage, pairs resampled "
              "| coverage, expanded | mean width, posts | mean width, pairs | mean width, expanded |")
        print("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|")
        for m in (int(x) for x in args.posts.split(",")):
            t0 = time.time()
            cell = one_cell(pop, m, args.reps, args.samples, args.seed)
            for row in cell["rows"]:
                print(f"| {m} | {cell['mean_pairs']:.0f} | {row['statistic']} | {100 * row['truth']:+.1f} "
                      f"| **{100 * row['coverage_posts']:.1f}%** | {100 * row['coverage_pairs']:.1f}% "
                      f"| {100 * row['coverage_expanded']:.1f}% | {100 * row['width_posts']:.1f} "
                      f"| {100 * row['width_pairs']:.1f} | {100 * row['width_expanded']:.1f} |", flush=True)
            print(f"<!-- {m} posts: {time.time() - t0:.0f} s -->", file=sys.stderr, flush=True)
            report.append({"population": pop["name"], **cell})
    if args.json:
        args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "cells": report}, indent=1))
    mc = 1.96 * math.sqrt(0.95 * 0.05 / args.reps)
    print(f"\nMonte Carlo error of a coverage near 95% over {args.reps} study samples: +-{100 * mc:.1f} points")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
