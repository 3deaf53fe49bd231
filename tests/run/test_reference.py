"""The reference set (`evaluate --reference-tasks`): what baseline:confounds is fitted on, the
size a fit needs before it may enter a verdict, and the same fit from `run` and `evaluate`."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from rmbench.cli import main

# askacademia alone is a reference too small for the default eval.min_fit_pairs (500);
# askacademia + gradschool (270 each, 3 pairs a post) clear it; emory is a third task that
# the default reference of `evaluate` takes in and a run trained on the other two does not.
SIZES = {"writingprompts": {"train": 30, "validation": 9, "test": 60, "test_hard": 12, "all_hard": 24},
         "askacademia": {"train": 270, "validation": 30, "test": 30},
         "gradschool": {"train": 270, "validation": 30, "test": 30},
         "emory": {"train": 60, "validation": 9, "test": 30}}
QUICK = ("--quiet", "--limit", "30", "--set", "eval.bootstrap_samples=100")


def cli(*args):
    return CliRunner().invoke(main, [*args, *QUICK])


def results(out):
    return json.loads((out / "results.json").read_text())


@pytest.fixture(scope="module")
def data(tmp_path_factory, write_prepared):
    return write_prepared(tmp_path_factory.mktemp("ref") / "data", SIZES)


def test_a_fit_on_too_few_pairs_is_reported_not_fitted_and_decides_no_verdict(data, tmp_path):
    out = tmp_path / "small"
    res = cli("evaluate", "--model", "baseline:longer", "--data", str(data), "--tasks", "writingprompts",
              "--reference-tasks", "askacademia", "--out", str(out))
    assert res.exit_code == 0, res.output
    doc = results(out)
    conf = doc["confounds"]
    assert conf["available"] is False and (conf["fit_pairs"], conf["fit_posts"]) == (270, 90)
    assert conf["reason"].startswith("not fitted (270 pairs from 90 posts")
    for card in doc["results"]["writingprompts"]["splits"].values():
        entry = card["baselines"]["confounds"]
        assert entry["applicable"] is False and entry["accuracy"] is None and entry["learned"] is True
        assert card["best_baseline"] != "confounds"
    assert "baseline:confounds not fitted (270 pairs from 90 posts" in res.output
    assert "baseline:confounds not fitted (270 pairs from 90 posts" in (out / "report.md").read_text()
    # evaluating it as a model says why it cannot be
    res = cli("evaluate", "--model", "baseline:confounds", "--data", str(data), "--tasks", "writingprompts",
              "--reference-tasks", "askacademia", "--out", str(tmp_path / "no"))
    assert res.exit_code != 0 and "not fitted (270 pairs from 90 posts" in res.output
    # lowering the bar (a config key like any other) fits it
    res = cli("evaluate", "--model", "baseline:longer", "--data", str(data), "--tasks", "writingprompts",
              "--reference-tasks", "askacademia", "--set", "eval.min_fit_pairs=100", "--set", "eval.min_fit_posts=50",
              "--out", str(tmp_path / "low"))
    assert res.exit_code == 0, res.output
    assert results(tmp_path / "low")["confounds"]["fit_tasks"] == ["askacademia"]


def test_reference_task_names_are_checked_like_every_task_name(data, tmp_path):
    def refused(*names):
        res = cli("evaluate", "--model", "baseline:longer", "--data", str(data), "--tasks", "writingprompts",
                  "--reference-tasks", ",".join(names), "--out", str(tmp_path / "x"))
        assert res.exit_code != 0
        return res.output

    assert "Did you mean askacademia" in refused("askacademai")
    assert "no data for them" in refused("askscience")  # a task, but not in this data
    assert "both evaluated as held out and in --reference-tasks" in refused("writingprompts", "askacademia")
    assert not (tmp_path / "x").exists()


def test_run_and_evaluate_with_the_same_reference_fit_the_same_confounds(data, tmp_path, tiny_bert_dir):
    model = tiny_bert_dir(tmp_path / "tiny")
    run = tmp_path / "run"
    res = cli("run", "--holdout", "writingprompts", "--train-tasks", "askacademia,gradschool", "--data", str(data),
              "--model", str(model), "--max-length", "32", "--max-train-pairs", "16", "--epochs", "1",
              "--out", str(run))
    assert res.exit_code == 0, res.output
    same = tmp_path / "same"
    res = cli("evaluate", "--model", "baseline:longer", "--data", str(data), "--tasks", "writingprompts",
              "--reference-tasks", "gradschool,AskAcademia", "--out", str(same))
    assert res.exit_code == 0, res.output
    default = tmp_path / "default"
    assert cli("evaluate", "--model", "baseline:longer", "--data", str(data), "--tasks", "writingprompts",
               "--out", str(default)).exit_code == 0

    def fit(out):
        c = results(out)["confounds"]
        return c["fit_tasks"], c["coef"], c["mean"], c["scale"]

    assert fit(run) == fit(same) and fit(run)[0] == ["askacademia", "gradschool"]
    # incremental validity: the stacked predictor is fitted on the held-in validation pairs and
    # judged against confounds on every held-out split; in-domain splits get none
    doc = results(run)
    stacked = doc["stacked"]
    assert stacked["available"] and stacked["fit_tasks"] == ["askacademia", "gradschool"]
    # --limit 30 caps the fit at eval.min_report_pairs (50) of the 60, not eval.stacked_fit_pairs (1,000)
    assert (stacked["fit_split"], stacked["fit_pairs"], stacked["fit_posts"]) == ("validation", 50, 20)
    assert stacked["limited"]["pairs"] == 50 and "at most 50 fit pairs under --limit 30" in (run / "report.md").read_text()
    assert len(json.loads((run / "scores" / "stacked-fit.validation.json").read_text())["pair_ids"]) == 50
    assert (run / "scores" / "stacked-fit.validation.json").is_file()
    lo, hi = stacked["margin_coef_ci95"]
    assert lo <= stacked["margin_coef"] <= hi
    for split, card in doc["results"]["writingprompts"]["splits"].items():
        s = card["stacked"]
        assert s["available"] and s["adds_information"] in (True, False, None)
        assert s["diff"] == pytest.approx(s["accuracy"] - s["confounds_accuracy"], abs=2e-6)
        assert s["confounds_accuracy"] == card["baselines"]["confounds"]["accuracy"]
        assert (s["adds_information"] is None) == card["too_small"]
    assert all("stacked" not in c for t in ("askacademia", "gradschool") for c in doc["results"][t]["splits"].values())
    assert "adds information beyond surface features" in (run / "report.md").read_text()
    assert "adds info?" in res.output  # the summary table of the evaluate above
    assert fit(default)[0] == ["askacademia", "emory", "gradschool"]  # default: every task not evaluated
    assert results(same)["contamination"]["writingprompts"]["checked_against"] == ["gradschool", "askacademia"]
    # a run's reference is what it trains on: the key is refused there, never silently ignored
    res = cli("run", "--holdout", "writingprompts", "--data", str(data), "--model", str(model),
              "--set", "data.reference_tasks=askacademia", "--out", str(tmp_path / "refused"))
    assert res.exit_code != 0 and "data.reference_tasks is for `rmbench evaluate`" in res.output


def test_with_every_task_held_out_confounds_says_there_is_no_reference(data, tmp_path):
    """`evaluate --model baseline:confounds` without --tasks evaluates every task: nothing is
    left to fit it on, and the message says so and what to name, not "reference tasks (none)"."""
    res = cli("evaluate", "--model", "baseline:confounds", "--data", str(data), "--out", str(tmp_path / "all"))
    assert res.exit_code != 0 and "there is no reference task" in res.output and "--tasks" in res.output
    assert "(none)" not in res.output


def test_data_of_one_task_says_there_is_no_other_task_to_fit_confounds_on(tmp_path, write_prepared):
    """Data of one task (what `rmbench feedback export` writes) has nothing to name as a
    reference: the message says so instead of advising --tasks, which was already given."""
    one = write_prepared(tmp_path / "one", {"writingprompts": SIZES["writingprompts"]})
    res = cli("evaluate", "--model", "baseline:confounds", "--data", str(one), "--tasks", "writingprompts",
              "--out", str(tmp_path / "out"))
    assert res.exit_code != 0 and "holds no task besides writingprompts" in res.output
    assert "--tasks" not in res.output and "--reference-tasks" not in res.output
