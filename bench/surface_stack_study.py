"""Re-judge finished runs' "adds information" verdict against the surface stack.

The stacked verdict (rmbench.eval.stacked) now also asks the model's stacked predictor to beat
the *surface stack*: baseline:confounds' logit plus the pair's length difference in characters,
fitted on the same validation pairs. Runs written before that carry no surface fit. This script
refits both from what a run folder keeps (results.json's confounds and stacked blocks, the
scored fit pairs in scores/stacked-fit.validation.json, each held-out split's scores) and the
prepared data it was run on, and prints per held-out split:

- confounds, the surface stack and the stacked predictor's accuracy;
- the old verdict (stacked - confounds > 0) and the new one (and stacked - surface stack > 0),
  with both paired differences and their 95% post-clustered intervals;
- for comparison, a *nested* test (confounds + length + margin in one fit, against the surface
  stack), the design the verdict did not take: one more weight fitted on a few hundred pairs.

    python bench/surface_stack_study.py RUN_DIR [RUN_DIR ...] [--data PREPARED] [--json OUT]

``--data`` is needed where the run's recorded data source is a relative path that does not
resolve from here. Nothing in a run folder is written.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from rmbench.eval.confounds import ConfoundsModel
from rmbench.eval.metrics import ClusterBootstrap, pair_outcomes, post_ids_of
from rmbench.eval.stacked import _fit_newton, fit_stacked, stacked_card
from rmbench.prepared.load import load_split, sample_across
from rmbench.run.incremental import FIT_SCORES, confounds_logits, length_margins

SPLITS = ("heldout_all", "heldout_all_hard")


def _margin(saved: dict) -> np.ndarray:
    return np.asarray(saved["chosen"], dtype=float) - np.asarray(saved["rejected"], dtype=float)


def nested(fit_x: np.ndarray, x: np.ndarray, posts: list[str], samples: int, seed: int) -> dict:
    """confounds + length + margin against confounds + length, both fitted on fit_x's rows
    (columns: confounds logit, length / scale, margin / scale); the difference on x's pairs."""
    ones = np.ones((1, len(fit_x)))
    w3, w2 = _fit_newton(fit_x, ones)[0], _fit_newton(fit_x[:, :2], ones)[0]
    zeros = np.zeros(len(x))
    full, surface = pair_outcomes(x @ w3, zeros), pair_outcomes(x[:, :2] @ w2, zeros)
    boot = ClusterBootstrap(posts, samples, seed)
    d = boot.resampled_means(full, surface)
    lo, hi = boot.interval(d[:, 0] - d[:, 1])
    return {"diff": float(full.mean() - surface.mean()), "diff_ci95": [lo, hi], "adds_information": bool(lo > 0)}


def study(run: Path, data: Path | None) -> list[dict]:
    res = json.loads((run / "results.json").read_text())
    cfg, fit0 = res["config"], res.get("stacked") or {}
    if not fit0.get("available"):
        return [{"run": str(run), "reason": f"no stacked fit: {fit0.get('reason')}"}]
    data = data or Path(cfg["data"]["source"])
    conf = ConfoundsModel.from_dict(res["confounds"])
    samples, seed = cfg["eval"]["bootstrap_samples"], cfg["seed"]
    rows = sample_across(data, fit0["fit_tasks"], "validation", cfg["eval"]["stacked_fit_pairs"], seed)
    saved = json.loads((run / "scores" / FIT_SCORES).read_text())
    if saved["pair_ids"] != [r["pair_id"] for r in rows]:
        return [{"run": str(run), "reason": "the fit pairs drawn from --data are not the run's (another prepared dataset?)"}]
    ids, cl, lm, m = saved["pair_ids"], confounds_logits(conf, rows), length_margins(rows), _margin(saved)
    fit = fit_stacked(ids, cl, m, samples=samples, seed=seed, length_margin=lm)
    fit_x = np.column_stack([cl, lm / fit["surface"]["length_scale"], m / fit["margin_scale"]])
    out = []
    for task in res["holdout"]:
        for split in SPLITS:
            path = run / "scores" / f"{task}.{split}.json"
            if not path.is_file():
                continue
            s = json.loads(path.read_text())
            by_id = {p["pair_id"]: p for p in load_split(data, task, split)}
            pairs = [by_id[i] for i in s["pair_ids"]]
            posts = post_ids_of(s["pair_ids"])
            cl2, lm2, m2 = confounds_logits(conf, pairs), length_margins(pairs), _margin(s)
            card = stacked_card(fit, posts, cl2, m2, samples=samples, seed=seed, too_small=False, length_margin=lm2)
            x = np.column_stack([cl2, lm2 / fit["surface"]["length_scale"], m2 / fit["margin_scale"]])
            out.append({"run": str(run), "model": res["model"]["id"], "task": task, "split": split, "n": len(pairs),
                        "fit_pairs": len(rows), "card": card, "old_verdict": bool(card["diff_ci95"][0] > 0),
                        "nested": nested(fit_x, x, posts, samples, seed)})
    return out


def _pp(v: float) -> str:
    return f"{100 * v:+.1f}"


def line(r: dict) -> str:
    if "reason" in r:
        return f"{r['run']}: {r['reason']}"
    c, n = r["card"], r["nested"]
    yn = {True: "yes", False: "no"}
    return (f"{Path(r['run']).name:<28} {r['model'][:16]:<16} {r['split']:<16} n={r['n']:<5} "
            f"confounds {100 * c['confounds_accuracy']:.1f} surface {100 * c['surface_accuracy']:.1f} "
            f"stacked {100 * c['accuracy']:.1f} | vs confounds {_pp(c['diff'])} [{_pp(c['diff_ci95'][0])}, "
            f"{_pp(c['diff_ci95'][1])}] | vs surface {_pp(c['surface_diff'])} [{_pp(c['surface_diff_ci95'][0])}, "
            f"{_pp(c['surface_diff_ci95'][1])}] | verdict {yn[r['old_verdict']]} -> {yn[bool(c['adds_information'])]} "
            f"| nested {_pp(n['diff'])} [{_pp(n['diff_ci95'][0])}, {_pp(n['diff_ci95'][1])}] {yn[n['adds_information']]}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="+", type=Path)
    ap.add_argument("--data", type=Path, default=None, help="the prepared data the runs used (default: each run's own)")
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args(argv)
    rows = [r for run in a.runs for r in study(run, a.data)]
    for r in rows:
        print(line(r))
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    sys.exit(main())
