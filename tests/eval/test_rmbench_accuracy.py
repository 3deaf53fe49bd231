"""rmbench's accuracy as an ``evaluate`` metric gives the figure results.json reports: the
metric is loaded by ``evaluate.load`` from the installed package and fed a real run's
predictions (baseline:longer on the real Emory dump, every post)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from rmbench.cli import main


def _metric():
    import evaluate

    from rmbench.eval import rmbench_accuracy

    return evaluate.load(rmbench_accuracy.PATH)


def test_ties_count_half_and_posts_cluster():
    m = _metric()
    out = m.compute(chosen_rewards=[1, 0, 2, 5], rejected_rewards=[0, 1, 2, 1], pair_ids=["p:a:b", "p:c:d", "q:e:f",
                                                                                          "r:g:h"], seed=3)
    assert out["accuracy"] == pytest.approx(2.5 / 4) and out["ties"] == 1
    assert (out["n_pairs"], out["n_posts"]) == (4, 3) and out["ci95_low"] <= out["accuracy"] <= out["ci95_high"]


def test_the_interval_rule_is_a_runs_and_can_be_an_old_runs():
    from rmbench.eval.metrics import ClusterBootstrap, pair_outcomes, using_interval

    rng = np.random.default_rng(0)
    chosen, rejected = rng.normal(size=90).tolist(), rng.normal(size=90).tolist()
    ids = [f"p{i // 3}:c{i}:r{i}" for i in range(90)]  # 30 posts: the rules differ visibly
    m = _metric()
    wide = m.compute(chosen_rewards=chosen, rejected_rewards=rejected, pair_ids=ids)
    plain = m.compute(chosen_rewards=chosen, rejected_rewards=rejected, pair_ids=ids, interval="percentile")
    assert (wide["interval"], plain["interval"]) == ("expanded", "percentile")
    assert wide["ci95_low"] <= plain["ci95_low"] and wide["ci95_high"] >= plain["ci95_high"]  # accuracies are
    assert wide["ci95_high"] - wide["ci95_low"] > plain["ci95_high"] - plain["ci95_low"]  # steps of 1/90
    boot = ClusterBootstrap([i.split(":")[0] for i in ids], 1000, 0)
    with using_interval("percentile"):  # the old rule's figure is the harness's old figure
        assert (plain["ci95_low"], plain["ci95_high"]) == pytest.approx(boot.mean(pair_outcomes(chosen, rejected))[1])


@pytest.mark.slow
def test_evaluate_metric_agrees_with_results_json_on_real_votes(shared_dumps, tmp_path):
    runner = CliRunner()
    res = runner.invoke(main, ["prepare", "--source", str(shared_dumps), "--tasks", "emory", "--out",
                               str(tmp_path / "prep"), "--quiet"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["evaluate", "--model", "baseline:longer", "--data", str(tmp_path / "prep"),
                               "--tasks", "emory", "--out", str(tmp_path / "ev"), "--quiet", "--seed", "7"])
    assert res.exit_code == 0, res.output
    card = json.loads((tmp_path / "ev" / "results.json").read_text())["results"]["emory"]["splits"]["heldout_all"]
    rows = [json.loads(x) for x in (tmp_path / "ev" / "predictions.jsonl").read_text().splitlines()]
    rows = [r for r in rows if r["split"] == "heldout_all"]
    assert len(rows) > 100  # a real split, many posts
    out = _metric().compute(chosen_rewards=[r["reward_chosen"] for r in rows],
                            rejected_rewards=[r["reward_rejected"] for r in rows],
                            pair_ids=[r["pair_id"] for r in rows], seed=7)
    assert out["accuracy"] == pytest.approx(card["accuracy"], abs=1e-6)
    assert [out["ci95_low"], out["ci95_high"]] == pytest.approx(card["ci95"], abs=1e-6)
    assert out["ci95_high"] - out["ci95_low"] > 0.05  # an interval, not a point
