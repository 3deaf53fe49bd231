"""`rmbench sweep`: learning-curve and transfer cells, plots, and per-cell resume."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from rmbench.cli import main
from rmbench.jsonl import read_jsonl
from rmbench.run.sweep import parse_sizes


def test_parse_sizes():
    assert parse_sizes("250, 1k,4000,all") == [250, 1000, 4000, 0]
    with pytest.raises(Exception, match="expected a number"):
        parse_sizes("lots")


def test_an_unknown_task_fails_before_any_folder_or_progress(tmp_path, write_prepared):
    sizes = {t: {"train": 24, "validation": 8, "test": 12, "test_hard": 6} for t in ("writingprompts", "askacademia")}
    data = write_prepared(tmp_path / "data", sizes)
    for extra, bad in ((["--holdout", "writingprompt"], "'writingprompt'. Did you mean writingprompts?"),
                       (["--holdout", "writingprompts", "--tasks", "askacademia,foo"], "'foo'")):
        out = tmp_path / "sweep"
        res = CliRunner().invoke(main, ["sweep", *extra, "--data", str(data), "--out", str(out), "--sizes", "12"])
        assert res.exit_code == 1 and f"unknown task {bad}" in res.output, res.output
        assert "cell 1 of" not in res.output and not out.exists()


@pytest.mark.slow
def test_sweep_cells_plots_and_resume(tmp_path, monkeypatch, tiny_bert_dir, write_prepared):
    sizes = {t: {"train": 24, "validation": 8, "test": 12, "test_hard": 6} for t in ("writingprompts", "askacademia")}
    data = write_prepared(tmp_path / "data", sizes)
    tiny = tiny_bert_dir(tmp_path / "tiny")
    out = tmp_path / "sweep"
    args = ["sweep", "--holdout", "writingprompts", "--models", str(tiny), "--sizes", "12", "--data", str(data),
            "--out", str(out), "--epochs", "1", "--max-length", "32", "--quiet", "--set", "eval.bootstrap_samples=100",
            "--set", "eval.min_fit_pairs=20", "--set", "eval.min_fit_posts=5"]  # confounds fitted on 24 pairs
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "sweep.json").read_text())
    curve = doc["learning_curves"][str(tiny)]
    assert [p["train_pairs"] for p in curve] == [12]
    assert all(0 <= p["accuracy"] <= 1 for p in curve)
    t = doc["transfer"]
    assert t["train_tasks"] == ["askacademia", "writingprompts"]
    assert all(v is not None for row in t["accuracy"] for v in row)
    assert curve[0]["split"] == "heldout_all" and curve[0]["accuracy_test"] is not None
    # each point against confounds, as its cell's own card has it, on the headline split and the hard one
    [cell] = (out / "cells").glob("curve-*")
    card = json.loads((cell / "results.json").read_text())
    for split, suffix in (("heldout_all", ""), ("heldout_all_hard", "_hard")):
        held = card["results"]["writingprompts"]["splits"].get(split)
        if held is None:  # no hard pair among these few held-out posts
            assert split != "heldout_all" and curve[0][f"diff_confounds{suffix}"] is None
            continue
        conf = held["baselines"]["confounds"]
        assert conf["diff"] is not None and curve[0][f"diff_confounds{suffix}"] == conf["diff"]
        assert curve[0][f"diff_confounds{suffix}_ci95"] == conf["diff_ci95"]
        assert curve[0][f"confounds{suffix}"] == conf["accuracy"]
        assert curve[0][f"stacked_diff{suffix}"] == (held.get("stacked") or {}).get("diff")
    # in-domain - held-out gap per evaluated task, paired on its test pairs
    gap = t["gaps"]["writingprompts"]["askacademia"]
    assert gap["n"] == 12 and gap["ci95"][0] <= gap["value"] <= gap["ci95"][1]
    # 12 test pairs are under eval.min_report_pairs (50): the gap is too small, as its task's test split is
    assert gap["too_small"] and t["too_small_test"]["writingprompts"]["n"] == 12
    assert card["results"]["writingprompts"]["splits"]["test"]["too_small"]
    diag, off = t["accuracy"][1][1], t["accuracy"][0][1]
    assert gap["value"] == pytest.approx(diag - off, abs=1e-6)
    assert t["accuracy_heldout_all"][0][1] is not None and t["accuracy_heldout_all"][1][1] is None
    assert (out / "learning_curves.png").stat().st_size > 1000 and (out / "transfer.png").stat().st_size > 1000
    # it ends with its numbers, not only a path: sweep.json's values, as tables
    assert "Learning curves: held-out writingprompts" in result.output and "Transfer matrix" in result.output
    assert f"{100 * curve[0]['accuracy']:.1f}" in result.output and str(out / "transfer.png") in result.output
    # and a report: the same tables with both plots, the page self-contained
    md, page = (out / "sweep.md").read_text(), (out / "sweep.html").read_text()
    assert f"| {tiny} | 12 | {curve[0]['n']} | {100 * curve[0]['accuracy']:.1f} |" in md.replace("\\_", "_")
    assert page.count("data:image/png;base64,") == 2 and "Not inlined" not in page
    said = md.split("## What it says")[1].split("**Learning curves")[0]
    assert f"Learning curve, {tiny}, held-out writingprompts heldout_all: {100 * curve[0]['accuracy']:.1f}%" in said
    assert "all in-domain - held-out gaps are too small to count (the test pairs of askacademia, writingprompts)" in said
    assert "too small to count: askacademia (12 pairs" in md
    assert str(out / "sweep.html") in result.output

    def no_training(*a, **kw):
        raise AssertionError("a finished cell was recomputed")

    monkeypatch.setattr("rmbench.model.train.fit", no_training)
    monkeypatch.setenv("RMBENCH_SWEEP_IN_PROCESS", "1")  # a recomputed cell would run here, where fit is patched
    again = CliRunner().invoke(main, args + ["--resume", "--format", "json"], catch_exceptions=False)
    assert again.exit_code == 0, again.output
    assert json.loads((out / "sweep.json").read_text())["transfer"]["accuracy"] == t["accuracy"]
    assert "sweep: cell" not in again.stderr  # --quiet
    loud = CliRunner().invoke(main, [a for a in args if a != "--quiet"] + ["--resume"], catch_exceptions=False)
    lines = [ln for ln in loud.stderr.splitlines() if ln.startswith("sweep: cell")]
    assert [ln.split(":")[1] for ln in lines] == [" cell 1 of 3", " cell 2 of 3", " cell 3 of 3"]
    assert "learning curve" in lines[0] and "trained on askacademia" in lines[1]
    assert all(ln.endswith("(finished before: read back)") for ln in lines)
    rows = json.loads(again.stdout)  # stdout is data alone; the paths went to stderr
    assert [(r["part"], r["split"]) for r in rows] == [("curve", "heldout_all")] + [("transfer", "test")] * 4 + [
        ("transfer", "heldout_all")] * 2  # off the diagonal


@pytest.mark.slow
def test_adapt_curve_fine_tunes_on_k_heldout_pairs(tmp_path, tiny_bert_dir, write_prepared):
    from rmbench.eval.metrics import post_id
    from rmbench.run.adapt import adaptation_draw

    sizes = {t: {"train": 30, "validation": 8, "test": 18, "test_hard": 6} for t in ("writingprompts", "askacademia")}
    data = write_prepared(tmp_path / "data", sizes)
    tiny = tiny_bert_dir(tmp_path / "tiny")
    out = tmp_path / "adapt"
    args = ["sweep", "--holdout", "writingprompts", "--models", str(tiny), "--adapt", "10,20",
            "--data", str(data), "--out", str(out), "--epochs", "1", "--adapt-epochs", "1",
            "--quiet", "--set", "eval.bootstrap_samples=100"]  # --max-length auto: as the --help example
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "sweep.json").read_text())
    assert "learning_curves" not in doc and "transfer" not in doc  # --adapt alone: only the adaptation curve
    pts = doc["adapt"]["points"]
    # k = 0 (pure transfer) always runs
    assert [p["k"] for p in pts] == [0, 10, 20] and [p["train_pairs"] for p in pts] == [0, 10, 20]
    cells = {k: json.loads((out / "cells" / f"adapt-{k}" / "results.json").read_text()) for k in (0, 10, 20)}
    cell = cells[20]
    assert cell["results"]["writingprompts"]["role"] == "adapted"
    assert set(cell["results"]["writingprompts"]["splits"]) == {"heldout_unseen", "test", "test_hard"}  # never heldout_all
    assert cell["model"]["training"]["adapt"]["from"].endswith("adapt-0/model")
    # every cell, the transfer cell too, scored the same unseen pairs: none of a post the largest k drew
    drawn = {post_id(r["pair_id"]) for r in adaptation_draw(data, "writingprompts", 20, 0)}
    ids = {k: [r["pair_id"] for r in read_jsonl(out / "cells" / f"adapt-{k}" / "predictions.jsonl")
               if r["split"] == "heldout_unseen"] for k in cells}
    assert ids[0] == ids[10] == ids[20] and not {post_id(i) for i in ids[0]} & drawn
    assert len(ids[0]) == 30 + 8 + 18 - 21 == pts[0]["n"]  # 20 pairs from 7 posts of 3 left out
    assert doc["adapt"]["split"] == "heldout_unseen" and doc["adapt"]["left_out_posts"] == 7
    # each k > 0 paired with k = 0 on those pairs
    assert pts[0]["gain"] is None and all(p["gain"]["n"] == len(ids[0]) for p in pts[1:])
    unseen = cell["results"]["writingprompts"]["splits"]["heldout_unseen"]
    assert pts[2]["accuracy"] - pts[0]["accuracy"] == pytest.approx(pts[2]["gain"]["value"], abs=1e-3)
    assert unseen["left_out"] == {"adapt_k": 20, "posts": 7}
    assert pts[2]["accuracy_test"] == cell["results"]["writingprompts"]["splits"]["test"]["accuracy"]
    # the adapted model reads its inputs as its base did (auto settled the same way, not 0)
    base_cfg = json.loads((out / "cells" / "adapt-0" / "config.json").read_text())["model"]
    adapted_cfg = json.loads((out / "cells" / "adapt-20" / "config.json").read_text())["model"]
    assert adapted_cfg["max_length"] == base_cfg["max_length"] == 128
    assert adapted_cfg["input_format"] == base_cfg["input_format"]
    assert (out / "adapt.png").stat().st_size > 1000
    assert (pts[2]["n"], pts[2]["posts"], pts[2]["too_small"]) == (unseen["n"], unseen["posts"], unseen["too_small"])
    said = (out / "sweep.md").read_text().split("## What it says")[1]
    assert "Few-shot adaptation on held-out writingprompts heldout_unseen (every post no cell drew, 7 drawn" in said
    assert ("too small to count" in said) == unseen["too_small"]
    loud = CliRunner().invoke(main, [a for a in args if a != "--quiet"] + ["--resume"], catch_exceptions=False)
    assert [ln.split(" -> ")[0] for ln in loud.stderr.splitlines() if ln.startswith("sweep: cell")] == [
        "sweep: cell 1 of 3: adaptation, k = 0 (pure transfer)", "sweep: cell 2 of 3: adaptation, k = 10 held-out pairs",
        "sweep: cell 3 of 3: adaptation, k = 20 held-out pairs"]
    # the adapted model is one the sweep trained: it gets its card, with its adapted results
    assert "| writingprompts | adapted | heldout_unseen" in (out / "cells" / "adapt-20" / "model" / "README.md").read_text()


@pytest.mark.slow
def test_adapt_curve_with_draw_seeds_averages_each_pair_over_them(tmp_path, tiny_bert_dir, write_prepared):
    from rmbench.eval.metrics import pair_outcomes, post_id
    from rmbench.run.adapt import drawn_posts

    sizes = {t: {"train": 30, "validation": 8, "test": 18} for t in ("writingprompts", "askacademia")}
    data = write_prepared(tmp_path / "data", sizes)
    out, tiny = tmp_path / "adapt", tiny_bert_dir(tmp_path / "tiny")
    result = CliRunner().invoke(main, ["sweep", "--holdout", "writingprompts", "--models", str(tiny),
                                       "--adapt", "10", "--seeds", "1,0", "--adapt-lr", "0.0002", "--adapt-scratch",
                                       "--data", str(data), "--out", str(out),
                                       "--epochs", "1", "--adapt-epochs", "1", "--quiet",
                                       "--set", "eval.bootstrap_samples=100", "--set", "eval.min_fit_pairs=20",
                                       "--set", "eval.min_fit_posts=5", "--set", "eval.min_report_pairs=20",
                                       "--set", "eval.min_report_posts=5"], catch_exceptions=False)  # confounds fitted, splits counted
    assert result.exit_code == 0, result.output
    a = json.loads((out / "sweep.json").read_text())["adapt"]
    assert a["seeds"] == [1, 0] and sorted(p.name for p in (out / "cells").iterdir()) == [
        "adapt-0", "adapt-10", "adapt-10-scratch", "adapt-10-scratch-seed1", "adapt-10-seed1"]  # config seed 0: the plain cells
    drawn = drawn_posts(data, "writingprompts", 10, [0, 1])
    rows = {c: [r for r in read_jsonl(out / "cells" / c / "predictions.jsonl") if r["split"] == "heldout_unseen"]
            for c in ("adapt-0", "adapt-10", "adapt-10-seed1")}
    ids = [[r["pair_id"] for r in v] for v in rows.values()]
    assert ids[0] == ids[1] == ids[2] and not {post_id(i) for i in ids[0]} & drawn  # outside both seeds' draws
    wins = {c: pair_outcomes([r["reward_chosen"] for r in v], [r["reward_rejected"] for r in v]) for c, v in rows.items()}
    k10 = a["points"][1]
    assert k10["seeds"] == [1, 0] and k10["n"] == len(ids[0]) and k10["clears_best_baseline"] is None
    assert k10["accuracy"] == pytest.approx((wins["adapt-10"].mean() + wins["adapt-10-seed1"].mean()) / 2, abs=1e-5)
    by = k10["gain_by_seed"]
    assert set(by) == {"0", "1"} and by["1"]["value"] == pytest.approx(
        wins["adapt-10-seed1"].mean() - wins["adapt-0"].mean(), abs=1e-5)
    assert k10["gain"]["value"] == pytest.approx((by["0"]["value"] + by["1"]["value"]) / 2, abs=2e-6)
    assert k10["diff_confounds"]["n"] == len(ids[0])
    cells = [json.loads((out / "cells" / c / "train_info.json").read_text())["adapt"] for c in ("adapt-10", "adapt-10-seed1")]
    assert [c["seed"] for c in cells] == [0, 1] and [c["learning_rate"] for c in cells] == [2e-4, 2e-4]
    assert a["learning_rate"] == 2e-4  # the k = 0 cell keeps the config's rate
    assert json.loads((out / "cells" / "adapt-0" / "config.json").read_text())["train"]["learning_rate"] != 2e-4
    said = (out / "sweep.md").read_text().split("## What it says")[1]
    assert "; k > 0 averaged over draw seeds 1, 0)" in said and "(by seed: " in said and "Δ by draw seed" in said
    # --adapt-scratch: the same draws trained from the base model alone, at the base cell's rate, paired
    for c, seed in (("adapt-10-scratch", 0), ("adapt-10-scratch-seed1", 1)):
        ad = json.loads((out / "cells" / c / "train_info.json").read_text())["adapt"]
        assert (ad["start"], ad["seed"], ad["pairs"], ad["from"]) == ("scratch", seed, 10, str(tiny))
        assert ad["learning_rate"] == json.loads((out / "cells" / "adapt-0" / "config.json").read_text())["train"]["learning_rate"]
        assert [r["pair_id"] for r in read_jsonl(out / "cells" / c / "predictions.jsonl")
                if r["split"] == "heldout_unseen"] == ids[0]
    alone = {c: pair_outcomes(*zip(*[(r["reward_chosen"], r["reward_rejected"]) for r in read_jsonl(out / "cells" / c /
                                                                                                   "predictions.jsonl")
                                     if r["split"] == "heldout_unseen"])) for c in ("adapt-10-scratch", "adapt-10-scratch-seed1")}
    scratch_acc = sum(v.mean() for v in alone.values()) / 2
    assert k10["scratch"]["value"] == pytest.approx(scratch_acc, abs=1e-5) and k10["scratch"]["n"] == len(ids[0])
    assert k10["over_scratch"]["value"] == pytest.approx(k10["accuracy"] - scratch_acc, abs=2e-6)
    assert a["points"][0].get("scratch") is None and a["scratch"] is True
    assert "The same k pairs trained from the base model alone (no other community's votes; at the k = 0 cell" in said
    assert "from scratch %" in said and "Δ scratch" in said


@pytest.mark.slow
def test_adapt_select_own_chooses_on_the_drawn_posts_and_keeps_the_start_unless_beaten(tmp_path, tiny_bert_dir, write_prepared):
    from rmbench.model.load import weights_sha256
    from rmbench.run.adapt import adaptation_draw, own_slice

    sizes = {t: {"train": 30, "validation": 8, "test": 18} for t in ("writingprompts", "askacademia")}
    data = write_prepared(tmp_path / "data", sizes)
    out = tmp_path / "adapt"
    args = ["sweep", "--holdout", "writingprompts", "--models", str(tiny_bert_dir(tmp_path / "tiny")), "--adapt", "20",
            "--seeds", "0,1", "--adapt-select", "own", "--data", str(data), "--out", str(out), "--epochs", "1",
            "--adapt-epochs", "2", "--quiet", "--set", "eval.bootstrap_samples=100"]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    a = json.loads((out / "sweep.json").read_text())["adapt"]
    assert a["select"] == "own" and a["points"][0].get("kept") is None
    kept = a["points"][1]["kept"]
    assert set(kept) == {"0", "1"}
    base_sha = weights_sha256(out / "cells" / "adapt-0" / "model")
    for seed, cell in ((0, "adapt-20"), (1, "adapt-20-seed1")):
        info = json.loads((out / "cells" / cell / "train_info.json").read_text())
        tune, held = own_slice(adaptation_draw(data, "writingprompts", 20, seed), "writingprompts", seed)
        ad = info["adapt"]
        assert (ad["select"], ad["pairs"], ad["fine_tune_pairs"], ad["selection_pairs"]) == ("own", 20, len(tune), len(held))
        assert info["train_pairs"] == len(tune) and info["validation_pairs"] == len(held)  # not the held-in pairs
        assert ad["kept"] == kept[str(seed)]
        beaten = info["best_validation_accuracy"] > info["start_validation_accuracy"]
        assert ad["kept"] == (info["best_checkpoint"] if beaten else "start")
        # the start kept: the cell's model is the transfer model's weights, and so is what it scored with
        assert (weights_sha256(out / "cells" / cell / "model") == base_sha) == (ad["kept"] == "start")
        # and it says by content what it started from (compare reads this, not the base cell's folder)
        assert json.loads((out / "cells" / cell / "results.json").read_text())["model"]["start_weights_sha256"] == base_sha
    said = (out / "sweep.md").read_text().split("## What it says")[1]
    assert "the checkpoint best on a fifth of its own k pairs" in said and "The starting model was kept at k = 20: " in said
    assert "; checkpoints chosen on each draw's own held-aside posts, model kept 'start'" in said  # the table's title
    # the same --out under the other selection: the cells fine-tuned above are not passed off as its answer
    again = CliRunner().invoke(main, [a if a != "own" else "held-in" for a in args])
    assert again.exit_code != 0 and "was fine-tuned with select 'own' (asked: 'held-in')" in again.output

def test_curve_points_carry_the_cells_difference_to_confounds_on_both_splits(tmp_path, monkeypatch):
    from rmbench.run.sweep import CellLog, learning_curves

    def card(acc: float, conf: float, diff: float, ci: list, stacked: float, sci: list) -> dict:
        return {"n": 40, "posts": 12, "accuracy": acc, "ci95": [0.5, 0.9], "best_baseline": "confounds",
                "clears_best_baseline": False,
                "baselines": {"confounds": {"accuracy": conf, "diff": diff, "diff_ci95": ci}},
                "stacked": {"diff": stacked, "diff_ci95": sci, "adds_information": sci[0] > 0}}

    doc = {"holdout": ["g"], "model": {"training": {"train_pairs": 100}},
           "results": {"g": {"splits": {"heldout_all": card(0.7, 0.72, -0.02, [-0.07, 0.03], 0.0, [-0.01, 0.01]),
                                        "heldout_all_hard": card(0.6, 0.51, 0.09, [0.04, 0.14], 0.05, [0.04, 0.06]),
                                        "test": card(0.75, 0.74, 0.01, [-0.1, 0.1], 0.0, [-0.1, 0.1])}}}}
    monkeypatch.setattr("rmbench.run.sweep._cell", lambda *a, **kw: doc)
    [p] = learning_curves(None, tmp_path, ["m"], [100], None, False, CellLog(1, progress=False))["m"]
    assert (p["confounds"], p["diff_confounds"], p["diff_confounds_ci95"]) == (0.72, -0.02, [-0.07, 0.03])
    assert (p["stacked_diff"], p["stacked_diff_ci95"], p["adds_information"]) == (0.0, [-0.01, 0.01], False)
    assert (p["confounds_hard"], p["diff_confounds_hard"], p["diff_confounds_hard_ci95"]) == (0.51, 0.09, [0.04, 0.14])
    assert (p["stacked_diff_hard"], p["stacked_diff_hard_ci95"], p["adds_information_hard"]) == (0.05, [0.04, 0.06], True)


def test_a_sweep_without_out_names_its_folder_after_what_runs(tmp_path, monkeypatch):
    # runs/<stamp>-sweep-writingprompts for a leave-one-out sweep of real dumps named a task it never held out
    from rmbench.errors import RmbenchError

    seen = []

    def record(base, out, **kw):
        seen.append(out.name.split("-sweep-")[1])
        raise RmbenchError("stop here")

    monkeypatch.setattr("rmbench.run.sweep.run_sweep", record)
    monkeypatch.chdir(tmp_path)
    for extra in (["--leave-one-out"], ["--no-curves"], ["--holdout", "askacademia", "--adapt", "0,10"], []):
        CliRunner().invoke(main, ["sweep", *extra])
    assert seen == ["leave-one-out", "transfer", "askacademia", "writingprompts"]
