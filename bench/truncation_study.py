"""Does the model lose to the surface features where it cannot see a whole response?

    python bench/truncation_study.py RUN_128 RUN_256 [RUN ...] --task gradschool

Each RUN is an `rmbench run` folder holding out ``--task``, all scored on the same pairs of
``--split`` (default ``heldout_all``), the first with the shortest ``--max-length``. Its
per-pair cut flags (``scores/TASK.SPLIT.json``: which side lost tokens) split the pairs in
two: those where the first run read both responses whole, and those where it cut one or
both. On each part every run's accuracy and its paired difference to ``baseline:confounds``
(whose length feature sees every character) are given, with 95% intervals that resample
whole posts (``rmbench.eval.metrics.ClusterBootstrap``, as every rmbench figure).

The question: if truncation is what keeps the model under confounds on all pairs, the first
run's shortfall sits on the cut pairs, and a run that reads more closes it there.
Prints a markdown table; ``--json PATH`` also writes the figures.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from rmbench.eval.metrics import ClusterBootstrap, pair_outcomes, post_ids_of


def load(run: Path, task: str, split: str) -> dict:
    doc = json.loads((run / "scores" / f"{task}.{split}.json").read_text())
    max_length = json.loads((run / "config.json").read_text())["model"]["max_length"]
    cuts = doc["cuts"]
    return {"run": run.name, "max_length": max_length, "pair_ids": doc["pair_ids"],
            "model": pair_outcomes(doc["chosen"], doc["rejected"]),
            "confounds": np.asarray(doc["baselines"]["confounds"], dtype=float),
            "longer": np.asarray(doc["baselines"]["longer"], dtype=float),
            "response_cut": np.asarray(cuts["chosen"], dtype=bool) | np.asarray(cuts["rejected"], dtype=bool)}


def part(runs: list[dict], mask: np.ndarray, samples: int, seed: int) -> dict:
    posts = [p for p, keep in zip(post_ids_of(runs[0]["pair_ids"]), mask) if keep]
    boot = ClusterBootstrap(posts, samples=samples, seed=seed)
    conf = runs[0]["confounds"][mask]
    out = {"n": int(mask.sum()), "posts": len(set(posts)), "confounds": round(float(conf.mean()), 4),
           "longer": round(float(runs[0]["longer"][mask].mean()), 4), "runs": []}
    for r in runs:
        acc, acc_ci = boot.mean(r["model"][mask])
        diff, diff_ci = boot.diff(r["model"][mask], conf)
        out["runs"].append({"run": r["run"], "max_length": r["max_length"], "accuracy": round(acc, 4),
                            "ci95": [round(v, 4) for v in acc_ci], "diff_confounds": round(diff, 4),
                            "diff_confounds_ci95": [round(v, 4) for v in diff_ci]})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--task", required=True)
    ap.add_argument("--split", default="heldout_all")
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    runs = [load(r, args.task, args.split) for r in args.runs]
    for r in runs[1:]:
        if r["pair_ids"] != runs[0]["pair_ids"]:
            sys.exit(f"{r['run']} scored other pairs than {runs[0]['run']} (another prepared dataset or --limit?)")
    cut = runs[0]["response_cut"]
    parts = {"all pairs": np.ones_like(cut), f"both responses whole at {runs[0]['max_length']}": ~cut,
             f"a response cut at {runs[0]['max_length']}": cut}
    doc = {"task": args.task, "split": args.split, "parts": {k: part(runs, m, args.samples, args.seed)
                                                              for k, m in parts.items() if m.any()}}

    def pct(v: float) -> str:
        return f"{100 * v:.1f}"

    def pts(v: float, ci: list) -> str:
        return f"{100 * v:+.1f} [{100 * ci[0]:+.1f}, {100 * ci[1]:+.1f}]"

    head = " | ".join(f"{r['run']} ({r['max_length']} tok) % | Δ confounds" for r in runs)
    print(f"| {args.task} {args.split} | pairs | posts | confounds % | longer-wins % | {head} |")
    print("|---|---:|---:|---:|---:|" + "---:|---|" * len(runs))
    for name, p in doc["parts"].items():
        cells = " | ".join(f"{pct(r['accuracy'])} | {pts(r['diff_confounds'], r['diff_confounds_ci95'])}"
                           for r in p["runs"])
        print(f"| {name} | {p['n']:,} | {p['posts']:,} | {pct(p['confounds'])} | {pct(p['longer'])} | {cells} |")
    if args.json:
        args.json.write_text(json.dumps(doc, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
