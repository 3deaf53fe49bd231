"""Does the model lose to the surface features where it cannot see a whole response?

    python bench/truncation_study.py RUN_128 RUN_256 [RUN ...] --task gradschool

Each RUN is an `rmbench run` folder holding out ``--task``, all scored on the same pairs of
``--split`` (default ``heldout_all``), the first with the shortest ``--max-length``. Its
per-pair cut flags (``scores/TASK.SPLIT.json``: which side lost tokens) split the pairs in
two: those where the first run read both responses whole, and those where it cut one or
both. On each part every run's accuracy and its paired difference to ``baseline:confounds``
(whose length feature sees every character) are given, with 95% intervals that resample
whole posts: ``rmbench.eval.controls.by_response_cut``, which gives every card the same
breakdown by its own run's flags.

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

from rmbench.eval.controls import by_response_cut
from rmbench.eval.metrics import pair_outcomes, post_ids_of


def load(run: Path, task: str, split: str) -> dict:
    doc = json.loads((run / "scores" / f"{task}.{split}.json").read_text())
    max_length = json.loads((run / "config.json").read_text())["model"]["max_length"]
    return {"run": run.name, "max_length": max_length, "pair_ids": doc["pair_ids"],
            "model": pair_outcomes(doc["chosen"], doc["rejected"]), "cuts": doc["cuts"],
            "others": {k: np.asarray(doc["baselines"][k], dtype=float) for k in ("confounds", "longer")}}


def parts(runs: list[dict], samples: int, seed: int) -> dict:
    """All pairs, then the two parts of the first run's cut flags: per part its size, confounds' and
    longer-wins' accuracy, and every run's accuracy and Δ confounds (``controls.by_response_cut``,
    the breakdown every card carries, here with the first run's flags for every run)."""
    first, length = runs[0], runs[0]["max_length"]
    posts = post_ids_of(first["pair_ids"])
    uncut = {"chosen": [False] * len(posts), "rejected": [False] * len(posts)}
    names = {"all pairs": (uncut, "whole"), f"both responses whole at {length}": (first["cuts"], "whole"),
             f"a response cut at {length}": (first["cuts"], "cut")}
    out = {}
    for name, (flags, which) in names.items():
        cells = [by_response_cut(posts, r["model"], first["others"], flags, samples, seed)[which] for r in runs]
        if not cells[0]["n"]:
            continue
        out[name] = {k: cells[0][k] for k in ("n", "posts", "confounds", "longer")}
        out[name]["runs"] = [{"run": r["run"], "max_length": r["max_length"],
                              **{k: c[k] for k in ("accuracy", "ci95", "diff_confounds", "diff_confounds_ci95")}}
                             for r, c in zip(runs, cells)]
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
    doc = {"task": args.task, "split": args.split, "parts": parts(runs, args.samples, args.seed)}

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
