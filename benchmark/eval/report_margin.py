"""Accuracy by vote margin in the report: which splits show it, and its report.md table.

The numbers are ``controls.score_ratio_curve``'s, read from results.json; ``curve_rows`` is
also what ``plots.score_ratio_plot`` draws, so the table and the figure show the same splits.
"""

from __future__ import annotations

from rmbench.eval.report import _ci, _pct, _split_cell, counted_heldout


def curve_rows(doc: dict) -> list[tuple[dict, list]]:
    """(row, accuracy by vote margin) of ``counted_heldout``: the report's table and plots/score_ratio.png."""
    return [(r, c) for r in counted_heldout(doc)
            if (c := doc["results"][r["task"]]["splits"][r["split"]].get("score_ratio_curve"))]


def curve_lines(doc: dict) -> list[str]:
    """Accuracy by vote margin on the held-out headline splits (controls.score_ratio_curve)."""
    cards = curve_rows(doc)
    if not cards:
        return []
    lines = ["", "Accuracy by vote margin (the chosen response's score over the other's; a wide margin is an "
             "easier pair, so a model that only tracks length rises with it as longer-wins does):", "",
             "| task | split | score ratio | n (posts) | accuracy % | 95% CI | longer % | confounds % |",
             "|---|---|---|---:|---:|---|---:|---:|"]
    for r, curve in cards:
        for b in curve:
            base = b["baselines"]
            lines.append(f"| {r['task']} | {_split_cell(r)} | {b['bucket']} | {b['n']} ({b['posts']}) | "
                         f"{_pct(b['accuracy'])} | {_ci(b['ci95'])} | {_pct(base.get('longer'))} | "
                         f"{_pct(base.get('confounds'))} |")
    return lines
