"""`rmbench sweep --leave-one-out`: a cell per task, and the pooled answer over all of them."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from rmbench.cli import main
from rmbench.eval.metrics import ClusterBootstrap, pair_outcomes, stratified_means
from rmbench.eval.stacked import stacked_logits, surface_logits
from rmbench.run.loo import summarize


def test_stratified_means_one_stratum_is_the_plain_cluster_bootstrap():
    rng = np.random.default_rng(3)
    posts = [f"p{i // 3}" for i in range(60)]
    a, b = rng.integers(0, 2, 60).astype(float), rng.integers(0, 2, 60).astype(float)
    pooled, per = stratified_means([(posts, [a, b])], samples=200, seed=7)
    boot = ClusterBootstrap(posts, 200, 7)
    assert np.allclose(pooled, boot.resampled_means(a, b)) and np.allclose(per[0], pooled)
    assert boot.interval(pooled[:, 0] - pooled[:, 1]) == boot.diff(a, b)[1]


def test_stratified_means_pool_by_pairs_and_average_by_task():
    small = ([f"s{i}" for i in range(10)], [np.ones(10)])
    big = ([f"b{i // 2}" for i in range(90)], [np.zeros(90)])
    pooled, per = stratified_means([small, big], samples=50, seed=0)
    # every resample keeps each task's pair count here (equal-sized posts), so the pooled
    # mean is 10/100 in every draw and the mean of tasks 1/2
    assert np.allclose(pooled[:, 0], 0.1) and np.allclose(per.mean(axis=0)[:, 0], 0.5)


@pytest.mark.slow
def test_leave_one_out_cells_pool_and_resume(tmp_path, monkeypatch, tiny_bert_dir, write_prepared):
    # no writingprompts: --holdout's default names only the curves' task, which this sweep does not run
    tasks = ("collegemajors", "askacademia", "gradschool")
    sizes = {t: {"train": 24, "validation": 30, "test": 14, "test_hard": 6} for t in tasks}
    sizes["emory"] = {"train": 10}  # no test pairs: never held out, but trained on, as `rmbench run` would
    data = write_prepared(tmp_path / "data", sizes)
    tiny = tiny_bert_dir(tmp_path / "tiny")
    out = tmp_path / "loo"
    args = ["sweep", "--leave-one-out", "--models", str(tiny), "--data", str(data), "--out", str(out), "--epochs", "1",
            "--max-length", "32", "--quiet", "--set", "eval.bootstrap_samples=100", "--set", "data.max_train_pairs=16",
            "--set", "eval.min_fit_pairs=20", "--set", "eval.min_fit_posts=5",
            "--set", "eval.min_report_pairs=20", "--set", "eval.min_report_posts=5"]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "sweep.json").read_text())
    assert "learning_curves" not in doc and "transfer" not in doc  # --leave-one-out alone runs only that part
    loo = doc["leave_one_out"]
    assert sorted(loo["tasks"]) == sorted(tasks)
    for t in tasks:  # each cell held out one task and trained on the others
        cell = json.loads((out / "cells" / f"loo-{t}" / "results.json").read_text())
        assert cell["holdout"] == [t] and sorted(cell["train_tasks"]) == sorted(set(tasks) - {t} | {"emory"})
        assert cell["model"]["training"]["train_pairs"] == 16
    rows = [r for r in loo["rows"] if r["split"] == "heldout_all"]
    assert [r["task"] for r in rows] == loo["tasks"]

    # the pooled figures, recomputed here from the cells' own per-pair outcomes
    summ = loo["summary"]["heldout_all"]
    model, conf, stacked, surface = [], [], [], []
    for t in loo["tasks"]:
        saved = json.loads((out / "cells" / f"loo-{t}" / "scores" / f"{t}.heldout_all.json").read_text())
        m = pair_outcomes(saved["chosen"], saved["rejected"])
        c = np.asarray(saved["baselines"]["confounds"], dtype=float)
        row = next(r for r in rows if r["task"] == t)
        assert row["n"] == len(m) and row["accuracy"] == pytest.approx(m.mean(), abs=1e-6)
        assert row["confounds"] == pytest.approx(c.mean(), abs=1e-6)  # the card's confounds, pair for pair
        card = json.loads((out / "cells" / f"loo-{t}" / "results.json").read_text())
        st = card["results"][t]["splits"]["heldout_all"]["stacked"]
        s = pair_outcomes(stacked_logits(card["stacked"], saved["confounds_logit"], np.subtract(saved["chosen"],
                                                                                               saved["rejected"])), 0)
        assert st["available"] and st["accuracy"] == pytest.approx(s.mean(), abs=1e-6)
        # the surface stack: confounds plus the length difference, from the cell's fit and saved lengths
        f = pair_outcomes(surface_logits(card["stacked"], saved["confounds_logit"], saved["length_margin"]), 0)
        assert st["surface_accuracy"] == pytest.approx(f.mean(), abs=1e-6)
        model.append(m)
        conf.append(c)
        stacked.append(s)
        surface.append(f)
    allm, allc, alls = np.concatenate(model), np.concatenate(conf), np.concatenate(stacked)
    assert summ["n"] == allm.size
    assert summ["pooled"]["accuracy"]["value"] == pytest.approx(allm.mean(), abs=1e-6)
    assert summ["pooled"]["diff"]["value"] == pytest.approx(allm.mean() - allc.mean(), abs=1e-6)
    macro = np.mean([m.mean() for m in model]) - np.mean([c.mean() for c in conf])
    assert summ["mean_of_tasks"]["diff"]["value"] == pytest.approx(macro, abs=1e-6)
    lo, hi = summ["pooled"]["diff"]["ci95"]
    assert lo <= summ["pooled"]["diff"]["value"] <= hi and lo < hi
    assert summ["pooled"]["clears"] == (lo > 0)
    pst = summ["pooled"]["stacked"]  # does the model add information beyond surface features, over all tasks?
    assert pst["diff"]["value"] == pytest.approx(alls.mean() - allc.mean(), abs=1e-6)
    assert pst["surface_diff"]["value"] == pytest.approx(alls.mean() - np.concatenate(surface).mean(), abs=1e-6)
    assert pst["adds_information"] == (pst["diff"]["ci95"][0] > 0 and pst["surface_diff"]["ci95"][0] > 0)

    # a one-task summary is that task's own card: the same interval, to the digit
    first = loo["tasks"][0]
    one = summarize(out, [first], "heldout_all", 100, 0)
    card = json.loads((out / "cells" / f"loo-{first}" / "results.json").read_text())
    conf_card = card["results"][first]["splits"]["heldout_all"]["baselines"]["confounds"]
    assert one["pooled"]["diff"]["ci95"] == conf_card["diff_ci95"]
    stacked_card = card["results"][first]["splits"]["heldout_all"]["stacked"]
    assert one["pooled"]["stacked"]["diff"]["ci95"] == stacked_card["diff_ci95"]
    assert one["pooled"]["stacked"]["surface_diff"]["ci95"] == stacked_card["surface_diff_ci95"]
    assert one["pooled"]["stacked"]["adds_information"] == stacked_card["adds_information"]

    # tables, report and plot
    assert "Leave one out" in result.output and "mean of tasks" in result.output
    md, page = (out / "sweep.md").read_text(), (out / "sweep.html").read_text()
    assert "each of" in md and f"{100 * summ['pooled']['accuracy']['value']:.1f}" in md
    lo, hi = summ["pooled"]["diff"]["ci95"]
    verb = "**beats" if lo > 0 else "**is worse than" if hi < 0 else "**does not beat"
    said = md.split("## What it says")[1].split("**Leave one out")[0]
    assert f"heldout_all: {summ['n']:,} pairs" in said and verb in said
    assert all(f"(cells/loo-{t}/report.html)" in said and (out / "cells" / f"loo-{t}" / "report.html").is_file()
               for t in tasks)
    assert (out / "leave_one_out.png").stat().st_size > 1000 and page.count("data:image/png;base64,") == 1

    def no_training(*a, **kw):
        raise AssertionError("a finished cell was recomputed")

    monkeypatch.setattr("rmbench.model.train.fit", no_training)
    monkeypatch.setenv("RMBENCH_SWEEP_IN_PROCESS", "1")  # a recomputed cell would run here, where fit is patched
    again = CliRunner().invoke(main, args + ["--resume", "--format", "json"], catch_exceptions=False)
    assert again.exit_code == 0, again.output
    points = [r for r in json.loads(again.stdout) if r["part"] == "leave_one_out"]
    assert {r["eval_task"] for r in points} == set(tasks) | {"pooled", "mean_of_tasks"}

    # a second seed added to the finished sweep: seed 0's cells are read back, seed 1's trained
    monkeypatch.undo()
    seeded = CliRunner().invoke(main, args + ["--seeds", "0,1"], catch_exceptions=False)
    assert seeded.exit_code == 0, seeded.output
    doc = json.loads((out / "sweep.json").read_text())["leave_one_out"]
    assert doc["seeds"] == [0, 1] and len(doc["rows"]) == 2 * len(loo["rows"])
    summ2 = doc["summary"]["heldout_all"]
    both = []
    for t in doc["tasks"]:
        cell = out / "cells" / f"loo-{t}-seed1"
        assert json.loads((cell / "results.json").read_text())["config"]["seed"] == 1
        one = json.loads((cell / "scores" / f"{t}.heldout_all.json").read_text())
        zero = json.loads((out / "cells" / f"loo-{t}" / "scores" / f"{t}.heldout_all.json").read_text())
        assert one["pair_ids"] == zero["pair_ids"]
        both.append((pair_outcomes(zero["chosen"], zero["rejected"]) + pair_outcomes(one["chosen"], one["rejected"])) / 2)
    assert summ2["pooled"]["accuracy"]["value"] == pytest.approx(np.concatenate(both).mean(), abs=1e-6)
    assert summ2["by_seed"]["0"]["pooled"] == summ["pooled"]  # seed 0's own answer is the one-seed sweep's
    over = summ2["pooled"]["over_seeds"]
    diffs = [summ2["by_seed"][k]["pooled"]["diff"]["value"] for k in ("0", "1")]
    assert over["seeds"] == 2 and over["diff_range"] == [min(diffs), max(diffs)]
    assert "mean of 2" in seeded.output and "clears in seeds" in seeded.output
    assert "training seeds 0, 1" in (out / "sweep.md").read_text().splitlines()[0]


def test_summary_says_why_when_cells_predate_baseline_outcomes(tmp_path):
    cell = tmp_path / "cells" / "loo-a" / "scores"
    cell.mkdir(parents=True)
    (cell / "a.heldout_all.json").write_text(json.dumps(
        {"chosen": [1, 0, 1], "rejected": [0, 1, 0], "pair_ids": ["p1:x:y", "p2:x:y", "p3:x:y"]}))
    s = summarize(tmp_path, ["a", "b"], "heldout_all", 50, 0)
    assert s["missing"] == ["b"] and s["pooled"]["accuracy"]["value"] == pytest.approx(2 / 3, abs=1e-6)
    assert s["pooled"]["diff"] is None and "predate" in s["pooled"]["reason"]
    (cell / "a.heldout_all.json").write_text(json.dumps(
        {"chosen": [1, 0, 1], "rejected": [0, 1, 0], "pair_ids": ["p1:x:y", "p2:x:y", "p3:x:y"],
         "baselines": {"confounds": [1.0, 1.0, 0.0]}}))
    s = summarize(tmp_path, ["a"], "heldout_all", 50, 0)
    assert s["pooled"]["diff"]["value"] == 0.0 and s["pooled"]["stacked"]["available"] is False


def test_named_tasks_train_on_each_other_and_unnamed_as_run_does(tmp_path, monkeypatch):
    from rmbench.run import loo
    from rmbench.run.sweep import CellLog

    seen = []
    monkeypatch.setattr("rmbench.run.sweep._cell", lambda base, cell, c, p, **kw: seen.append(kw) or {})
    loo.run_cells(None, tmp_path, ["a", "b", "c"], None, False, CellLog(3, progress=False), listed=True)
    assert [s["train_tasks"] for s in seen] == [["b", "c"], ["a", "c"], ["a", "b"]]
    assert [s["holdouts"] for s in seen] == [["a"], ["b"], ["c"]]
    seen.clear()
    loo.run_cells(None, tmp_path, ["a", "b"], None, False, CellLog(2, progress=False), listed=False)
    assert [s["train_tasks"] for s in seen] == [None, None]  # the run's default: every other task with pairs
    with pytest.raises(Exception, match="at least two tasks"):
        loo.run_cells(None, tmp_path, ["a"], None, False, CellLog(1, progress=False))


def test_a_too_small_task_counts_in_the_pooled_pairs_but_in_no_mean(tmp_path):
    # stacked: all weight on the confounds logit, which is +1 on every pair, so it always wins
    fit = {"available": True, "coef": {"confounds_logit": 1.0, "margin": 0.0}, "margin_scale": 1.0}
    for task, outcome, n in (("big", 1.0, 60), ("tiny", 0.0, 4)):
        cell = tmp_path / "cells" / f"loo-{task}" / "scores"
        cell.mkdir(parents=True)
        (cell.parent / "results.json").write_text(json.dumps({"stacked": fit}))
        (cell / f"{task}.heldout_all.json").write_text(json.dumps(
            {"chosen": [outcome] * n, "rejected": [0.5] * n, "pair_ids": [f"{task}{i}:x:y" for i in range(n)],
             "baselines": {"confounds": [0.0] * n}, "confounds_logit": [1.0] * n}))
    s = summarize(tmp_path, ["big", "tiny"], "heldout_all", 50, 0, small={"tiny"})
    assert s["excluded_too_small"] == ["tiny"] and s["mean_of_tasks"]["tasks"] == ["big"]
    assert s["mean_of_tasks"]["accuracy"]["value"] == 1.0 and s["mean_of_tasks"]["n"] == 60
    assert s["pooled"]["accuracy"]["value"] == pytest.approx(60 / 64, abs=1e-6) and s["n"] == 64
    assert s["pooled"]["stacked"]["diff"]["value"] == 1.0 and s["pooled"]["stacked"]["adds_information"]


def test_cells_that_wrote_stacked_outcomes_themselves_still_give_the_stacked_summary(tmp_path):
    # before 95a5d2f a cell kept the stacked predictor's per-pair outcomes, not confounds' logit
    cell = tmp_path / "cells" / "loo-a" / "scores"
    cell.mkdir(parents=True)
    (cell.parent / "results.json").write_text(json.dumps({"stacked": {"available": True}}))
    doc = {"chosen": [1, 0, 1, 1], "rejected": [0, 1, 0, 0], "pair_ids": [f"p{i}:x:y" for i in range(4)],
           "baselines": {"confounds": [0.0, 0.0, 1.0, 1.0]}, "stacked": [1.0, 1.0, 1.0, 0.0]}
    (cell / "a.heldout_all.json").write_text(json.dumps(doc))
    s = summarize(tmp_path, ["a"], "heldout_all", 50, 0)
    assert s["pooled"]["stacked"]["accuracy"]["value"] == 0.75 and s["pooled"]["stacked"]["diff"]["value"] == 0.25
    (cell / "a.heldout_all.json").write_text(json.dumps({**doc, "stacked": [1.0]}))  # not one per pair: not used
    assert summarize(tmp_path, ["a"], "heldout_all", 50, 0)["pooled"]["stacked"]["available"] is False


def _fake_cell(root, name, task, chosen, pair_ids, conf):
    cell = root / "cells" / name / "scores"
    cell.mkdir(parents=True)
    (cell / f"{task}.heldout_all.json").write_text(json.dumps(
        {"chosen": chosen, "rejected": [0.5] * len(chosen), "pair_ids": pair_ids, "baselines": {"confounds": conf}}))


def test_seeds_average_each_pair_and_keep_each_seeds_own_answer(tmp_path):
    ids = [f"p{i // 2}:x{i}:y" for i in range(40)]
    rng = np.random.default_rng(0)
    outs = {s: rng.integers(0, 2, 40).astype(float) for s in (0, 1, 2)}
    conf = rng.integers(0, 2, 40).astype(float).tolist()
    for s, o in outs.items():
        _fake_cell(tmp_path, "loo-a" if s == 0 else f"loo-a-seed{s}", "a", o.tolist(), ids, conf)
    s = summarize(tmp_path, ["a"], "heldout_all", 200, 0, seeds=[0, 1, 2])
    mean = np.mean([outs[k] for k in (0, 1, 2)], axis=0)
    assert s["seeds"] == [0, 1, 2] and s["pooled"]["accuracy"]["value"] == pytest.approx(mean.mean(), abs=1e-6)
    assert s["pooled"]["diff"]["value"] == pytest.approx(mean.mean() - np.mean(conf), abs=1e-6)
    assert s["by_seed"]["0"] == summarize(tmp_path, ["a"], "heldout_all", 200, 0)  # the plain cell, as before
    one = summarize(tmp_path, ["a"], "heldout_all", 200, 2, seeds=[2], base_seed=0)
    assert s["by_seed"]["2"] == one and one["pooled"]["accuracy"]["value"] == pytest.approx(outs[2].mean(), abs=1e-6)
    diffs = [outs[k].mean() - np.mean(conf) for k in (0, 1, 2)]
    over = s["pooled"]["over_seeds"]
    assert over["seeds"] == 3 and over["diff_range"] == pytest.approx([min(diffs), max(diffs)], abs=1e-6)
    assert over["clears"] == sum(bool(s["by_seed"][k]["pooled"]["clears"]) for k in ("0", "1", "2"))
    assert over["stacked_diff_range"] is None  # these cells have no stacked fit

    # the seeds' own summaries reuse the outcomes read for the average: each cell once
    from rmbench.run import loo
    reads = []
    real = loo._outcomes
    loo._outcomes = lambda cell, task, split: reads.append(cell.name) or real(cell, task, split)
    try:
        assert summarize(tmp_path, ["a"], "heldout_all", 200, 0, seeds=[0, 1, 2]) == s
    finally:
        loo._outcomes = real
    assert sorted(reads) == ["loo-a", "loo-a-seed1", "loo-a-seed2"]

    # a seed's cell missing: the task is left out and named with the seed
    s = summarize(tmp_path, ["a"], "heldout_all", 50, 0, seeds=[0, 3])
    assert s["available"] is False and s["missing"] == ["a (seed 3)"]
    # cells that scored other pairs cannot be averaged pair by pair
    _fake_cell(tmp_path, "loo-a-seed4", "a", outs[1].tolist(), ids[::-1], conf)
    s = summarize(tmp_path, ["a"], "heldout_all", 50, 0, seeds=[0, 4])
    assert s["available"] is False and "scored different pairs" in s["reason"]


def test_seed_cells_and_the_seeds_flag(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from rmbench.errors import ConfigError
    from rmbench.run import loo
    from rmbench.run.sweep import CellLog, parse_seeds

    seen = []
    monkeypatch.setattr("rmbench.run.sweep._cell", lambda base, cell, c, p, **kw: seen.append((cell.name, kw["seed"])) or {})
    loo.run_cells(SimpleNamespace(seed=1), tmp_path, ["a", "b"], None, False, CellLog(4, progress=False), seeds=[0, 1])
    # the config's own seed keeps the plain cell, so seeds can be added to a finished sweep
    assert seen == [("loo-a-seed0", 0), ("loo-a", 1), ("loo-b-seed0", 0), ("loo-b", 1)]
    assert parse_seeds("0, 1,1,2", True) == [0, 1, 2] and parse_seeds(None, True) is None
    for text, flag, match in (("0,1", False, "add one of them"), ("0,x", True, "whole numbers"),
                              ("-1", True, "whole numbers"), (",", True, "no seed")):
        with pytest.raises(ConfigError, match=match):
            parse_seeds(text, flag)
