"""`rmbench sweep`'s closing tables: sweep.json's own numbers, in every format."""

from __future__ import annotations

import csv
import io
import json

from rmbench.run.sweep_report import (adapt_sheet, curve_sheet, gap_sheet, points_sheet, show_sweep, sweep_markdown,
                                      transfer_sheet, write_sweep_report)


def _result() -> dict:
    point = {"requested": 250, "train_pairs": 250, "split": "heldout_all", "n": 1375, "accuracy": 0.8217, "ci95": [0.798, 0.844],
             "accuracy_hard": 0.826, "ci95_hard": [0.795, 0.854], "accuracy_test": 0.912, "ci95_test": [0.88, 0.94],
             "best_baseline": "confounds", "clears_best_baseline": True, "best_baseline_accuracy": 0.695,
             "confounds": 0.695, "diff_confounds": 0.1267, "diff_confounds_ci95": [0.1, 0.15],
             "diff_confounds_hard": -0.012, "diff_confounds_hard_ci95": [-0.05, 0.03], "stacked_diff": 0.02,
             "stacked_diff_ci95": [0.01, 0.03], "adds_information": True}
    return {"holdout": "writingprompts",
            "learning_curves": {"minilm": [point, {**point, "train_pairs": 1000, "accuracy": 0.827}]},
            "transfer": {"train_tasks": ["a", "b"], "eval_tasks": ["a", "b"], "split": "test",
                         "accuracy": [[0.9, 0.6], [None, 0.8]], "ci95": [[[0.85, 0.95], [0.5, 0.7]], [None, [0.7, 0.9]]],
                         "accuracy_heldout_all": [[None, 0.55], [0.5, None]],
                         "gaps": {"b": {"a": {"value": 0.2, "ci95": [0.1, 0.3], "n": 40, "posts": 12, "too_small": True}}}},
            "adapt": {"holdout": "writingprompts", "split": "test", "points": [
                {"k": 0, "train_pairs": 0, "accuracy": 0.7, "ci95": [0.6, 0.8], "accuracy_hard": None, "ci95_hard": None,
                 "best_baseline": "longer", "clears_best_baseline": False, "longer": 0.65, "confounds": 0.6},
                {"k": 100, "train_pairs": 100, "accuracy": 0.75, "ci95": [0.65, 0.85], "accuracy_hard": 0.7,
                 "ci95_hard": [0.6, 0.8], "best_baseline": "longer", "clears_best_baseline": True, "longer": 0.65,
                 "confounds": 0.6}]}}


def test_part_sheets_hold_sweep_json_values():
    r = _result()
    curve = curve_sheet(r).records()
    assert [(c["train_pairs"], c["accuracy_pct"], c["ci95_low_pct"]) for c in curve] == [(250, 82.2, 79.8), (1000, 82.7, 79.8)]
    assert [(c["diff_confounds_pp"], c["diff_confounds_ci95_low_pp"], c["diff_confounds_hard_pp"],
             c["diff_confounds_hard_ci95_high_pp"], c["stacked_diff_pp"], c["adds_information"]) for c in curve] == [
        (12.7, 10.0, -1.2, 3.0, 2.0, True)] * 2
    matrix = transfer_sheet(r).records()
    assert matrix == [{"train_task": "a", "on_a_pct": 90.0, "on_b_pct": 60.0},
                      {"train_task": "b", "on_a_pct": None, "on_b_pct": 80.0}]
    assert transfer_sheet(r, "heldout_all").records() == [{"train_task": "a", "on_a_pct": None, "on_b_pct": 55.0},
                                                          {"train_task": "b", "on_a_pct": 50.0, "on_b_pct": None}]
    gap = gap_sheet(r).records()
    assert gap == [{"eval_task": "b", "train_task": "a", "gap_pp": 20.0, "ci95_low_pp": 10.0, "ci95_high_pp": 30.0,
                    "n": 40, "posts": 12, "too_small": True}]
    assert [(p["k"], p["accuracy_pct"], p["longer_pct"]) for p in adapt_sheet(r).records()] == [(0, 70.0, 65.0), (100, 75.0, 65.0)]
    # a part that did not run has no table
    assert curve_sheet({"holdout": "x"}) is None and transfer_sheet({}) is None and adapt_sheet({}) is None


def test_the_adaptation_sheet_on_unseen_posts_shows_each_ks_paired_gain_and_test_beside():
    r = _result()
    a = r["adapt"]
    a["split"] = "heldout_unseen"
    a["points"][0].update(split="heldout_unseen", accuracy_test=0.68, gain=None)
    a["points"][1].update(split="heldout_unseen", accuracy_test=0.71,
                          gain={"value": 0.05, "ci95": [0.02, 0.08], "n": 900, "posts": 200, "too_small": False})
    sheet = adapt_sheet(r)
    assert [c.title for c in sheet.columns][2:6] == ["heldout_unseen %", "95% CI", "Δ k = 0", "Δ 95% CI"]
    assert [(p["k"], p["accuracy_pct"], p["gain_pp"], p["gain_ci95_low_pp"], p["accuracy_test_pct"])
            for p in sheet.records()] == [(0, 70.0, None, None, 68.0), (100, 75.0, 5.0, 2.0, 71.0)]
    rows = [x for x in points_sheet(r).records() if x["part"] == "adapt"]
    assert [(x["split"], x["gap_pp"], x["gap_ci95_high_pp"]) for x in rows] == [("heldout_unseen", None, None),
                                                                                ("heldout_unseen", 5.0, 8.0)]


def test_the_adaptation_sheet_says_which_model_each_own_selected_cell_kept():
    """A k > 0 cell that kept its starting model scores exactly as k = 0 (Δ +0.0 [+0.0, +0.0]);
    the table says so beside the gain instead of leaving it to the report's prose."""
    r = _result()
    assert "kept" not in [c.key for c in adapt_sheet(r).columns]  # checkpoints chosen on held-in votes
    r["adapt"]["select"] = "own"
    r["adapt"]["points"][1]["kept"] = {"0": "start"}
    assert [p["kept"] for p in adapt_sheet(r).records()] == [None, "start"]
    r["adapt"]["points"][1]["kept"] = {"0": "checkpoint-8"}
    assert adapt_sheet(r).records()[1]["kept"] == "fine-tuned"
    r["adapt"]["points"][1]["kept"] = {"0": "start", "1": "checkpoint-8", "2": "start"}
    assert adapt_sheet(r).records()[1]["kept"] == "start in 2 of 3"


def test_points_sheet_is_one_row_per_point():
    rows = points_sheet(_result()).records()
    assert [(r["part"], r["split"]) for r in rows] == [("curve", "heldout_all")] * 2 + [("transfer", "test")] * 3 + [
        ("transfer", "heldout_all")] * 2 + [("adapt", "test")] * 2
    assert [(r["train_task"], r["eval_task"], r["accuracy_pct"]) for r in rows if r["split"] == "heldout_all"
            and r["part"] == "transfer"] == [("a", "b", 55.0), ("b", "a", 50.0)]
    off = next(r for r in rows if r["part"] == "transfer" and r["train_task"] == "a" and r["eval_task"] == "b")
    assert (off["accuracy_pct"], off["gap_pp"], off["gap_ci95_low_pp"]) == (60.0, 20.0, 10.0)
    diag = next(r for r in rows if r["part"] == "transfer" and r["train_task"] == "a" and r["eval_task"] == "a")
    assert diag["gap_pp"] is None
    assert [r["best_baseline_accuracy_pct"] for r in rows if r["part"] == "adapt"] == [65.0, 65.0]


def test_show_sweep_machine_formats_keep_stdout_parseable(capsys):
    show_sweep(_result(), ["sweep: out/sweep.json"], "csv")
    out, err = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 9 and rows[0]["accuracy_pct"] == "82.2"
    assert "sweep: out/sweep.json" in err and "sweep:" not in out
    show_sweep(_result(), ["sweep: out/sweep.json"], "json")
    assert len(json.loads(capsys.readouterr().out)) == 9


def test_show_sweep_table_prints_every_part(capsys):
    show_sweep(_result(), ["sweep: out/sweep.json"], "table")
    out = capsys.readouterr().out
    for title in ("Learning curves: held-out writingprompts", "Transfer matrix: test", "Transfer matrix: heldout_all",
                  "In-domain - held-out gap",
                  "Few-shot adaptation"):
        assert title in out
    assert "82.2" in out and "[79.8, 84.4]" in out and "+20.0" in out
    assert out.rstrip().endswith("sweep: out/sweep.json")


def test_sweep_report_has_every_table_and_names_its_plots(tmp_path):
    result = {**_result(), "synthetic_data": True, "transfer_png": "transfer.png", "adapt_png": "adapt.png"}
    md = sweep_markdown(result)
    assert md.startswith("# rmbench sweep: held out writingprompts") and "Synthetic data" in md
    for title in ("Learning curves", "Transfer matrix: test", "Transfer matrix: heldout\\_all", "In-domain - held-out gap",
                  "Few-shot adaptation"):
        assert title in md
    assert "| minilm | 250 | 1,375 | 82.2 | \\[79.8, 84.4\\] |" in md  # the terminal table's cells, escaped for Markdown
    assert md.rstrip().endswith("![transfer.png](transfer.png)\n![adapt.png](adapt.png)")
    md_path, html_path = write_sweep_report(result, tmp_path)  # the plots are not there: the page says so
    assert md_path.read_text() == md
    assert "Not inlined" in html_path.read_text() and "<td>minilm</td>" in html_path.read_text()


def test_a_sweep_under_limit_never_says_every_post():
    """--limit scores a seeded sample of each split: the tables say so, as a run's report does."""
    every = sweep_markdown(_result())
    assert "heldout\\_all: every held-out post" in every and "every post of the evaluated task" in every
    sampled = {**_result(), "config": {"data": {"limit": 100}}}
    md = sweep_markdown(sampled)
    assert "every" not in md.replace("every figure", "")
    assert "heldout\\_all: a sample of at most 100 pairs, --limit" in md
    assert "a sample of at most 100 pairs of each evaluated task (--limit)" in md


def test_the_learning_curve_table_names_the_split_of_its_baseline_and_verdict_columns():
    # "best baseline | its % | clears it" stood right after "test %" and read as test's verdict
    titles = [c.title for c in curve_sheet(_result()).columns]
    for title in ("best baseline, heldout_all", "clears it, heldout_all", "Δ confounds, heldout_all",
                  "Δ stacked, heldout_all", "adds info, heldout_all"):
        assert title in titles
    assert "clears it" not in titles and curve_sheet(_result()).records()[0]["clears_best_baseline"] is True


def test_the_heading_names_what_ran_and_a_transfer_sweep_holds_out_no_curve_task():
    from rmbench.run.sweep_report import heading

    r = _result()
    assert heading(r) == "held out writingprompts; transfer between a, b"
    transfer_only = {"holdout": "writingprompts", "transfer": r["transfer"]}
    assert heading(transfer_only) == "transfer between a, b"
    assert sweep_markdown(transfer_only).startswith("# rmbench sweep: transfer between a, b\n")
