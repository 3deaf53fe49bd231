"""Every control cell of the main job's table says how many pairs it counts, and a cell of too
few pairs says "too small" instead of a figure (issue 25: a cue-conflict cell of one pair
showed 100.0 with no n beside it)."""

from __future__ import annotations

import io

from rich.console import Console

from rmbench.eval.config import EvalConfig
from rmbench.eval.report import _lines_table, summary_sheet
from rmbench.eval.scorecard import split_scorecard
from rmbench.tables import render, rich_table

CFG = EvalConfig(bootstrap_samples=50)


def _pairs(n: int, shorter_chosen: int) -> list[dict]:
    """n pairs on n posts; the first ``shorter_chosen`` have a chosen response half as long."""
    return [{"pair_id": f"p{i}:c{i}:r{i}", "prompt": "q",
             "chosen": "c" * (50 if i < shorter_chosen else 200), "rejected": "r" * 100,
             "chosen_score": 12, "rejected_score": 4, "score_ratio": 3.0,
             "chosen_created_utc": 200 + i, "rejected_created_utc": 100 + i} for i in range(n)]


def _doc(rows: list[dict]) -> dict:
    card = split_scorecard(rows, [1.0] * len(rows), [0.0] * len(rows), cfg=CFG, seed=0, preferred_later=True)
    return {"model": {"id": "m"}, "holdout": ["wp"], "results": {"wp": {"role": "heldout", "splits": {"test": card}}}}


def _cells(doc: dict) -> dict:
    sheet = summary_sheet(doc)
    return {c.title: c.cell(v) for c, v in zip(sheet.columns, sheet.rows[0])}


def test_a_one_pair_cue_conflict_cell_says_too_small_with_its_n():
    doc = _doc(_pairs(200, shorter_chosen=1))  # a big split whose cue-conflict cell holds one pair
    card = doc["results"]["wp"]["splits"]["test"]
    assert card["too_small"] is False and card["cue_conflict"]["n"] == 1 and card["cue_conflict"]["accuracy"] == 1.0
    assert card["cue_conflict"]["too_small"] is True and card["length_controlled"]["too_small"] is True
    cells = _cells(doc)
    assert cells["cue-conflict %"] == "too small" and cells["cue n"] == "1"
    assert cells["len-ctrl %"] == "too small" and cells["len-ctrl n"] == "200"
    # machine formats: no figure where the table says too small, the n beside it
    rec = summary_sheet(doc).records()[0]
    assert rec["cue_conflict_pct"] is None and rec["cue_conflict_n"] == 1 and rec["length_controlled_n"] == 200
    assert "cue_conflict_pct" in render(summary_sheet(doc), "csv").splitlines()[0]
    # report.md: never 100.0 for one pair
    row = next(line for line in _lines_table(doc) if line.startswith("| wp | heldout | test |"))
    assert "too small (1)" in row and "100.0 (1)" not in row


def test_big_enough_control_cells_show_their_figure_and_n():
    doc = _doc(_pairs(200, shorter_chosen=80))
    cells = _cells(doc)
    assert cells["cue-conflict %"] == "100.0" and cells["cue n"] == "80"
    assert cells["len-ctrl %"] == "100.0" and cells["len-ctrl n"] == "200"
    row = next(line for line in _lines_table(doc) if line.startswith("| wp | heldout | test |"))
    assert "100.0 [100.0, 100.0] (200)" in row and "| 100.0 (80) |" in row


def test_the_terminal_table_prints_every_control_n():
    buf = io.StringIO()
    Console(file=buf, width=1000).print(rich_table(summary_sheet(_doc(_pairs(200, shorter_chosen=1))), terminal=False))
    out = buf.getvalue()
    assert "cue n" in out and "len-ctrl n" in out and "too small" in out


def test_report_breaks_a_heldout_split_down_by_response_cut_only_where_one_was_cut():
    from rmbench.eval.report_margin import cut_lines

    rows = _pairs(200, shorter_chosen=80)
    cut = [i < 60 for i in range(200)]
    card = split_scorecard(rows, [1.0 if i >= 60 else 0.0 for i in range(200)], [0.5] * 200, cfg=CFG, seed=0,
                           preferred_later=True, cuts={"prompt": [False] * 200, "chosen": cut, "rejected": [False] * 200})
    assert card["by_response_cut"]["cut"]["n"] == 60 and card["by_response_cut"]["cut"]["accuracy"] == 0.0
    doc = {"model": {"id": "m"}, "holdout": ["wp"], "results": {"wp": {"role": "heldout", "splits": {"heldout_all": card}}}}
    lines = cut_lines(doc)
    assert any(line.startswith("| wp | heldout_all | one or both cut | 60 (60) | 0.0 |") for line in lines)
    assert any(line.startswith("| wp | heldout_all | both whole | 140 (140) | 100.0 |") for line in lines)
    # nothing cut (or no flags at all): no table
    assert cut_lines(_doc(rows)) == [] and _doc(rows)["results"]["wp"]["splits"]["test"]["by_response_cut"] is None
