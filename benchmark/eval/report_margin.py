"""Two breakdowns of the held-out headline splits in report.md: by vote margin, and by
whether the model read both responses whole.

The numbers are ``controls.score_ratio_curve``'s and ``controls.by_response_cut``'s, read from
results.json; ``curve_rows`` is also what ``plots_run.score_ratio_plot`` draws, so the table and the
figure show the same splits.
"""

from __future__ import annotations

from rmbench.eval.report import _ci, _dci, _pct, _pp, _split_cell, counted_heldout


def curve_rows(doc: dict) -> list[tuple[dict, list]]:
    """(row, accuracy by vote margin) of ``counted_heldout``: the report's table and plots/score_ratio.png."""
    return [(r, c) for r in counted_heldout(doc)
            if (c := doc["results"][r["task"]]["splits"][r["split"]].get("score_ratio_curve"))]


def _table(intro: str, columns: list[str], rows: list[list[str]]) -> list[str]:
    """A report.md table under its one-sentence intro: names and intervals left-aligned, figures right."""
    align = "|".join("---" if i < 3 or "CI" in c else "---:" for i, c in enumerate(columns))
    return ["", intro, "", "| " + " | ".join(columns) + " |", f"|{align}|"] + ["| " + " | ".join(row) + " |" for row in rows]


def _part(r: dict, label: str, part: dict) -> list[str]:
    """The columns every breakdown starts with: task, split, the part, its size and accuracy."""
    return [r["task"], _split_cell(r), label, f"{part['n']} ({part['posts']})", _pct(part["accuracy"]),
            _ci(part["ci95"])]


def curve_lines(doc: dict) -> list[str]:
    """Accuracy by vote margin on the held-out headline splits (controls.score_ratio_curve)."""
    rows = [_part(r, b["bucket"], b) + [_pct(b["baselines"].get("longer")), _pct(b["baselines"].get("confounds"))]
            for r, curve in curve_rows(doc) for b in curve]
    if not rows:
        return []
    return _table("Accuracy by vote margin (the chosen response's score over the other's; a wide margin is an "
                  "easier pair, so a model that only tracks length rises with it as longer-wins does):",
                  ["task", "split", "score ratio", "n (posts)", "accuracy %", "95% CI", "longer %", "confounds %"], rows)


def cut_lines(doc: dict) -> list[str]:
    """Accuracy where the model read both responses whole and where it cut one (controls.by_response_cut),
    on the held-out headline splits; nothing where no held-out response was cut."""
    cards = [(r, c) for r in counted_heldout(doc)
             if (c := doc["results"][r["task"]]["splits"][r["split"]].get("by_response_cut")) and c["cut"]["n"]]
    rows = [_part(r, label, p) + [_pct(p["longer"]), _pct(p["confounds"]), _pp(p["diff_confounds"]),
                                  _dci(p["diff_confounds_ci95"])]
            for r, parts in cards for name, label in (("whole", "both whole"), ("cut", "one or both cut"))
            if (p := parts[name])]
    if not rows:
        return []
    return _table("Where the model read both responses whole, and where its token budget cut one or both (confounds "
                  "counts every character, so a model held under it by the budget falls short on the cut pairs):",
                  ["task", "split", "responses", "n (posts)", "accuracy %", "95% CI", "longer %", "confounds %",
                   "Δ confounds", "95% CI"], rows)
