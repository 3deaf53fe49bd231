"""bench/surface_stack_study.py: a finished run's stacked verdict re-judged from its folder."""

from __future__ import annotations

import json

from click.testing import CliRunner

from rmbench.cli import main
from tests.conftest import write_prepared


def test_the_study_reproduces_a_runs_card_and_a_length_rule_gains_nothing(tmp_path, bench_script):
    tasks = ("writingprompts", "askacademia", "gradschool")
    data = write_prepared(tmp_path / "data", {t: {"train": 60, "validation": 60, "test": 30, "test_hard": 8}
                                               for t in tasks})
    out = tmp_path / "longer"
    small = ["--set", "eval.bootstrap_samples=200", "--set", "eval.min_fit_pairs=20", "--set", "eval.min_fit_posts=5",
             "--set", "eval.min_report_pairs=10", "--set", "eval.min_report_posts=3"]
    result = CliRunner().invoke(main, ["evaluate", "--model", "baseline:longer", "--tasks", "writingprompts",
                                       "--data", str(data), "--out", str(out), "--quiet", *small],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = bench_script("surface_stack_study").study(out, data)
    card = json.loads((out / "results.json").read_text())["results"]["writingprompts"]["splits"]
    assert "heldout_all" in {r["split"] for r in rows}
    for r in rows:
        own = card[r["split"]]["stacked"]
        # the run now writes the surface stack itself; the study, refitting it from the folder, agrees to the digit
        assert {k: r["card"][k] for k in ("accuracy", "diff_ci95", "surface_accuracy", "surface_diff_ci95")} == \
            {k: own[k] for k in ("accuracy", "diff_ci95", "surface_accuracy", "surface_diff_ci95")}
        # a length rule's stacked predictor is the surface stack, pair for pair
        assert r["card"]["surface_diff"] == 0 and r["card"]["adds_information"] is not True
        assert "verdict" in bench_script("surface_stack_study").line(r)
