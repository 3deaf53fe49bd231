"""Two cells of a sweep scored on the same pairs, compared pair by pair.

The transfer matrix's in-domain - held-out gaps and the adaptation curve's gains over k = 0
are both a difference of two models' accuracies on one split's pairs. Both models scored the
same pairs, so the interval is paired and post-clustered (``ClusterBootstrap.diff``), much
narrower than two separate intervals; each difference says how many pairs and posts it stands
on and whether that is under ``eval.min_report_pairs`` / ``min_report_posts`` (``too_small``),
as a split's scorecard would.
"""

from __future__ import annotations

from pathlib import Path


def cell_outcomes(cell: Path, task: str, split: str) -> dict[str, float]:
    """pair id -> 1/0/0.5 for one task and split of a cell's predictions.jsonl."""
    from rmbench.eval.metrics import pair_outcomes
    from rmbench.jsonl import read_jsonl

    out = {}
    path = cell / "predictions.jsonl"
    for r in (read_jsonl(path) if path.is_file() else ()):
        if r["task"] == task and r["split"] == split:
            out[r["pair_id"]] = float(pair_outcomes([r["reward_chosen"]], [r["reward_rejected"]])[0])
    return out


def paired_gap(first: dict[str, float], second: dict[str, float], samples: int, seed: int, ev) -> dict | None:
    """``first`` minus ``second`` accuracy on the pairs both scored, with its paired interval;
    None when they share no pair."""
    from rmbench.eval.controls import too_small
    from rmbench.eval.metrics import ClusterBootstrap, estimate, post_ids_of

    ids = sorted(set(first) & set(second))
    if not ids:
        return None
    boot = ClusterBootstrap(post_ids_of(ids), samples, seed)
    d, ci = boot.diff([first[i] for i in ids], [second[i] for i in ids])
    gap = {**estimate(d, ci), "n": len(ids), "posts": len(set(post_ids_of(ids)))}
    gap["too_small"] = too_small(gap, ev.min_report_pairs, ev.min_report_posts)
    return gap
