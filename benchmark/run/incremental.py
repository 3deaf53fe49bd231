"""The stacked predictor of a run (``rmbench.eval.stacked``): score its fit pairs, fit it, and
add each held-out split's "adds information beyond surface features" entry.

The fit pairs are the reference tasks' *validation* pairs (a run: the held-in tasks', which
the model never trained on; ``evaluate``: the reference tasks'), at most
``eval.stacked_fit_pairs`` of them drawn evenly per task (under ``data.limit``: at most
max(limit, ``eval.min_report_pairs``), recorded as ``limited``), scored by the same scorer as every
split and kept in ``scores/stacked-fit.validation.json`` so ``--resume`` reuses them. They
are not written to predictions.jsonl: they are no evaluated split.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rmbench.atomic import write_json
from rmbench.eval.metrics import post_ids_of
from rmbench.jsonlimits import read_json_file
from rmbench.prepared.load import sample_across

FIT_SCORES = "stacked-fit.validation.json"


def confounds_logits(confounds, rows: list[dict]) -> np.ndarray:
    """baseline:confounds' pair logit (chosen minus rejected reward) of each row."""
    c, r = confounds.rewards(rows)
    return np.asarray(c, dtype=float) - np.asarray(r, dtype=float)


def length_margins(rows: list[dict]) -> np.ndarray:
    """Each pair's difference in characters, chosen minus rejected: baseline:longer's margin,
    the surface stack's second feature."""
    from rmbench.eval.controls import lengths_of

    lc, lr = lengths_of(rows)
    return (lc - lr).astype(float)


def fit_block(cfg, p, run_dir: Path, target, console=None, progress: bool = True) -> dict:
    """results.json's ``stacked`` block: the fit on the reference tasks' validation pairs."""
    from rmbench.eval.stacked import fit_stacked
    from rmbench.run.harness import score_rows

    tasks = [t for t in p.reference_tasks if t not in p.holdout and p.data.pairs(t, "validation")]
    itself = p.confounds is not None and target is p.confounds  # stacked on itself it could only tie
    if p.confounds is None or itself:
        why = "is the evaluated model itself" if itself else p.confounds_missing or "not fitted"
        return {"available": False, "reason": f"baseline:confounds {why}",
                "fit_tasks": tasks, "fit_split": "validation", "fit_pairs": 0, "fit_posts": 0}
    cap, capped = fit_pairs_cap(cfg, sum(p.data.pairs(t, "validation") for t in tasks))
    rows = sample_across(p.data_dir, tasks, "validation", cap, cfg.seed) if tasks else []
    ids = [r["pair_id"] for r in rows]
    from rmbench.eval.external import ExternalRewards

    if isinstance(target, ExternalRewards) and rows and not target.covers(ids, "the stacked fit (the reference "
                                                                         "tasks' validation pairs)"):
        return {"available": False, "reason": f"the rewards file has none of the {len(ids):,} validation pairs of "
                f"{', '.join(tasks)} it is fitted on: score them too for this verdict",
                "fit_tasks": tasks, "fit_split": "validation", "fit_pairs": 0, "fit_posts": 0}
    path = run_dir / "scores" / FIT_SCORES
    saved = read_json_file(path) if path.is_file() and not isinstance(target, ExternalRewards) else None
    if rows and (saved is None or saved.get("pair_ids") != ids):
        saved = score_rows(target, rows, with_delay=cfg.data.with_delay, seed=cfg.seed, label="stacked fit",
                           console=console, progress=progress)
        write_json(path, {"chosen": saved["chosen"], "rejected": saved["rejected"], "pair_ids": ids})
    margin = np.asarray(saved["chosen"], dtype=float) - np.asarray(saved["rejected"], dtype=float) if rows else []
    fit = fit_stacked(ids, confounds_logits(p.confounds, rows) if rows else [], margin,
                      samples=cfg.eval.bootstrap_samples, seed=cfg.seed, fit_tasks=sorted({r["task"] for r in rows}),
                      min_pairs=cfg.eval.min_report_pairs, min_posts=cfg.eval.min_report_posts,
                      length_margin=length_margins(rows))
    if capped:
        fit["limited"] = {"pairs": cap, "data_limit": cfg.data.limit, "stacked_fit_pairs": cfg.eval.stacked_fit_pairs,
                          "label": f"at most {cap} fit pairs under --limit {cfg.data.limit} "
                                   f"(eval.stacked_fit_pairs {cfg.eval.stacked_fit_pairs or 'all'})"}
    return fit


def fit_pairs_cap(cfg, available: int) -> tuple[int, bool]:
    """How many validation pairs the stacked fit scores, and whether ``--limit`` lowered that.
    A quick run (``data.limit``) scores max(limit, eval.min_report_pairs) of them, the fewest
    that can still be fitted, instead of up to ``eval.stacked_fit_pairs`` (1,000: minutes
    with a slow model)."""
    cap = cfg.eval.stacked_fit_pairs
    if cfg.data.limit:
        quick = max(cfg.data.limit, cfg.eval.min_report_pairs)
        if min(cap or available, available) > quick:
            return quick, True
    return cap, False


def add_stacked(cfg, p, run_dir: Path, target, results: dict, pairs_by: dict, rewards_by: dict, console=None,
                progress: bool = True, logits_by: dict | None = None) -> dict:
    """Fit the stacked predictor and give every held-out split's card its ``stacked`` entry
    (``logits_by``: each split's confounds logits where the caller computed them already)."""
    from rmbench.eval.stacked import stacked_card

    fit = fit_block(cfg, p, run_dir, target, console, progress)
    for (task, split), pairs in pairs_by.items():
        entry = results[task]
        if entry["role"] == "in_domain":
            continue
        card = entry["splits"][split]
        rc, rr = rewards_by[(task, split)]
        margin = np.asarray(rc, dtype=float) - np.asarray(rr, dtype=float)
        logits = (logits_by or {}).get((task, split))
        if logits is None:
            logits = confounds_logits(p.confounds, pairs) if p.confounds is not None else np.zeros(len(pairs))
        card["stacked"] = stacked_card(fit, post_ids_of([x["pair_id"] for x in pairs]), logits, margin,
                                       samples=cfg.eval.bootstrap_samples, seed=cfg.seed,
                                       too_small=bool(card.get("too_small")), length_margin=length_margins(pairs))
    return fit
