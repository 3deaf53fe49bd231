"""`rmbench run` and `rmbench evaluate` end to end with a tiny random model on prepared data."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

import rmbench.run.harness as harness
from rmbench.run.plan import DELAY_FLAG
from rmbench.cli import main

REPO = Path(__file__).resolve().parents[2]
FAST = ["--max-length", "48", "--epochs", "1", "--batch-size", "8", "--quiet", "--set", "eval.bootstrap_samples=200",
        "--set", "train.learning_rate=1e-3"]


@pytest.fixture(scope="module")
def data(tmp_path_factory, write_prepared) -> Path:
    return write_prepared(tmp_path_factory.mktemp("prepared") / "data")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory, tiny_bert_dir) -> Path:
    return tiny_bert_dir(tmp_path_factory.mktemp("model") / "tiny")


def run(args, **kw):
    result = CliRunner().invoke(main, args, catch_exceptions=kw.pop("catch", False), **kw)
    return result


@pytest.fixture(scope="module")
def finished(data, tiny, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "run"
    result = run(["run", "--holdout", "WritingPrompts", "--data", str(data), "--model", str(tiny),
                  "--out", str(out), *FAST])
    assert result.exit_code == 0, result.output
    return out


def test_run_says_its_precision_and_training_budget_before_training(data, tiny, tmp_path):
    args = ["run", "--holdout", "WritingPrompts", "--data", str(data), "--model", str(tiny), "--out", str(tmp_path / "r"),
            "--max-train-pairs", "10", *FAST]
    res = CliRunner().invoke(main, [a for a in args if a != "--quiet"], catch_exceptions=False)
    assert res.exit_code == 0
    # a line saying the CPUs are busy comes between them when other processes hold the cores
    lines = [line for line in res.stderr.splitlines() if not line.startswith("note: the CPUs are busy")]
    first = next(i for i, line in enumerate(lines) if line.startswith("precision: "))
    assert lines[first + 1].startswith("training pairs: 10 of the held-in tasks' ")
    assert "(data.max_train_pairs=10; --set data.max_train_pairs=0 trains on all)" in lines[first + 1]


def test_run_says_when_other_processes_hold_the_cores(data, tiny, tmp_path, monkeypatch):
    import rmbench.machine as machine

    monkeypatch.setattr(machine, "others_busy", lambda window=0.3: 64.0)  # every core held, whatever the machine
    args = ["run", "--holdout", "WritingPrompts", "--data", str(data), "--model", str(tiny), "--out", str(tmp_path / "r"),
            "--max-train-pairs", "10", *FAST]
    res = CliRunner().invoke(main, [a for a in args if a != "--quiet"], catch_exceptions=False)
    assert res.exit_code == 0
    lines = res.stderr.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("precision: "))
    assert lines[first + 1].startswith("note: the CPUs are busy (other processes keep ")
    assert lines[first + 2].startswith("training pairs: 10 of the held-in tasks' ")


def test_run_writes_every_output(finished):
    doc = json.loads((finished / "results.json").read_text())
    schema = json.loads((REPO / "benchmark" / "eval" / "results.schema.json").read_text())
    jsonschema.validate(doc, schema)
    assert doc["holdout"] == ["writingprompts"] and doc["train_tasks"] == ["askacademia", "gradschool"]
    assert doc["synthetic_data"] is True and doc["model"]["kind"] == "reward_model"
    assert len(doc["model"]["weights_sha256"]) == 64 and doc["model"]["parameters"] > 0
    assert doc["config"]["model"]["max_length"] == 48  # the resolved config is saved
    wp = doc["results"]["writingprompts"]
    # every post of the held-out task (heldout_all) beside test and test_hard; the fixture
    # data has no all_hard pairs, so heldout_all_hard is absent (reported by its absence)
    assert wp["role"] == "heldout" and set(wp["splits"]) == {"heldout_all", "test", "test_hard"}
    assert doc["results"]["askacademia"]["role"] == "in_domain"
    test = wp["splits"]["test"]
    assert test["baselines"]["later"] == {**test["baselines"]["later"], "accuracy": 1.0, "by_construction": True}
    assert test["best_baseline"] in ("random", "longer", "shorter", "confounds")
    n_eval = sum(s["n"] for r in doc["results"].values() for s in r["splits"].values())
    preds = (finished / "predictions.jsonl").read_text().splitlines()
    assert len(preds) == n_eval and {"pair_id", "reward_chosen", "reward_rejected"} <= set(json.loads(preds[0]))
    assert (finished / "plots" / "accuracy.png").stat().st_size > 1000
    assert (finished / "plots" / "calibration.png").is_file()
    # the training curve: the log history kept beside the model, drawn against steps
    log = [json.loads(line) for line in (finished / "train_log.jsonl").read_text().splitlines()]
    assert [e["step"] for e in log if "loss" in e] and log[-1]["step"] == doc["model"]["training"]["steps"]
    assert "plots/training.png" in doc["plots"] and (finished / "plots" / "training.png").stat().st_size > 1000
    report = (finished / "report.md").read_text()
    assert "Synthetic data" in report and "\\* by construction" in report and "| earlier* | later* |" in report
    # report.html: the same report as one page, its plots inside it
    page = (finished / "report.html").read_text()
    assert "<strong>Synthetic data.</strong>" in page and "<th>earlier*</th>" in page
    assert page.count("data:image/png;base64,") == len(doc["plots"]) == 4 and "Not inlined" not in page
    # accuracy by vote margin: its table in the report, its figure among the plots, its buckets in results.json
    curve = wp["splits"]["heldout_all"]["score_ratio_curve"]
    assert sum(b["n"] for b in curve) == sum(b["n"] for b in wp["splits"]["heldout_all"]["by_score_ratio"])
    assert "plots/score_ratio.png" in doc["plots"] and "Accuracy by vote margin" in report
    assert f"| writingprompts | heldout_all | {curve[0]['bucket']} | {curve[0]['n']} ({curve[0]['posts']}) |" in report


def test_a_rerun_on_the_same_machine_is_bit_identical_and_says_where_it_ran(finished, data, tiny, tmp_path):
    """Same config, data, torch, precision and thread count: the same weights and the same
    predictions, byte for byte (nothing unseeded in training or scoring); results.json and the
    report record the machine a rerun has to match (docs/harness.md, "Reproducing a run")."""
    import torch

    again = tmp_path / "again"
    result = run(["run", "--holdout", "WritingPrompts", "--data", str(data), "--model", str(tiny), "--out", str(again), *FAST])
    assert result.exit_code == 0, result.output
    first, second = (json.loads((d / "results.json").read_text()) for d in (finished, again))
    assert second["model"]["weights_sha256"] == first["model"]["weights_sha256"]
    assert (again / "predictions.jsonl").read_bytes() == (finished / "predictions.jsonl").read_bytes()
    hw = second["hardware"]
    assert hw["torch_threads"] == torch.get_num_threads() and isinstance(hw["cpu_bf16"], bool)
    trained = second["model"]["training"]["mixed_precision"]
    line = next(x for x in (again / "report.md").read_text().splitlines() if x.startswith("- machine: "))
    assert f"{hw['torch_threads']} threads" in line and f"training precision {trained}" in line


def test_report_html_opens_in_a_browser_with_its_plots(finished, browser, artifacts_dir, tmp_path):
    """Copied alone, away from plots/: every plot still loads, and the wide tables scroll
    inside the page instead of widening it."""
    alone = tmp_path / "report.html"
    alone.write_bytes((finished / "report.html").read_bytes())
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(alone.as_uri())
        sizes = page.evaluate("[...document.images].map(i => i.complete ? i.naturalWidth : 0)")
        assert len(sizes) == 4 and min(sizes) > 100, sizes
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
        page.screenshot(path=str(artifacts_dir / "run-report.png"), full_page=True)
    finally:
        page.close()


def test_saved_model_loads_anywhere_and_evaluate_reproduces_it(finished, data, tmp_path):
    from transformers import AutoModelForSequenceClassification

    assert AutoModelForSequenceClassification.from_pretrained(finished / "model").config.num_labels == 1
    out = tmp_path / "ev"
    result = run(["evaluate", "--model", str(finished / "model"), "--tasks", "writingprompts", "--train-tasks",
                  "askacademia", "--data", str(data), "--out", str(out), "--max-length", "48", "--quiet",
                  "--set", "eval.bootstrap_samples=200"])
    assert result.exit_code == 0, result.output
    ev = json.loads((out / "results.json").read_text())
    orig = json.loads((finished / "results.json").read_text())
    assert ev["model"]["weights_sha256"] == orig["model"]["weights_sha256"]
    assert ev["results"]["writingprompts"]["role"] == "heldout"
    assert ev["results"]["askacademia"]["role"] == "in_domain"
    for split in ("test", "test_hard"):
        assert ev["results"]["writingprompts"]["splits"][split]["accuracy"] == \
            orig["results"]["writingprompts"]["splits"][split]["accuracy"]


def test_evaluate_never_holds_out_a_task_the_model_records_training_on(finished, data, tmp_path):
    """The run trained on askacademia and gradschool, and its model's config.json says so: asked to
    hold out askacademia (whose heldout_all holds the posts it trained on), evaluate scores it on
    test as in-domain, says why, and refuses when no task is left to hold out."""
    meta = json.loads((finished / "model" / "config.json").read_text())["rmbench_input"]
    assert meta["trained_on"] == ["askacademia", "gradschool"]
    out = tmp_path / "ev"
    result = CliRunner().invoke(main, ["evaluate", "--model", str(finished / "model"), "--tasks", "writingprompts,askacademia",
                                       "--data", str(data), "--out", str(out), "--max-length", "48",
                                       "--set", "eval.bootstrap_samples=200"])
    assert result.exit_code == 0, result.output
    assert f"note: {finished / 'model'} was trained on askacademia (its config.json)" in result.stderr
    ev = json.loads((out / "results.json").read_text())
    assert ev["results"]["askacademia"]["role"] == "in_domain" and set(ev["results"]["askacademia"]["splits"]) == {"test"}
    assert ev["results"]["writingprompts"]["role"] == "heldout" and ev["train_tasks"] == ["askacademia"]
    refused = run(["evaluate", "--model", str(finished / "model"), "--tasks", "gradschool", "--data", str(data),
                   "--out", str(tmp_path / "ev2"), "--quiet"])
    assert refused.exit_code == 1 and "no task is left to hold out" in refused.output
    assert not (tmp_path / "ev2").exists()
    # training on from it, holding out a task it saw, is refused before any work
    again = run(["run", "--model", str(finished / "model"), "--holdout", "askacademia", "--data", str(data),
                 "--out", str(tmp_path / "run2"), *FAST])
    assert again.exit_code == 1 and "was trained on askacademia (its config.json" in again.output
    assert "would score posts it trained on" in again.output and not (tmp_path / "run2").exists()


def test_compare_reproduces_the_runs_own_paired_difference_to_a_baseline(finished, data, tmp_path):
    """`rmbench compare` on a baseline's evaluation and the run: the same pairs, resamples and
    seed as the run's own scorecard, so the same difference and interval, to the digit."""
    base = tmp_path / "longer"
    result = run(["evaluate", "--model", "baseline:longer", "--tasks", "writingprompts", "--train-tasks", "askacademia",
                  "--data", str(data), "--out", str(base), "--quiet", "--set", "eval.bootstrap_samples=200"])
    assert result.exit_code == 0, result.output
    result = run(["compare", str(base), str(finished), "--out", str(tmp_path / "cmp")])
    assert result.exit_code == 0, result.output
    rows = {(r["task"], r["split"]): r for r in json.loads((tmp_path / "cmp" / "compare.json").read_text())["rows"]}
    own = json.loads((finished / "results.json").read_text())["results"]["writingprompts"]["splits"]
    for split in ("heldout_all", "test"):
        row, card = rows[("writingprompts", split)], own[split]
        assert row["n"] == card["n"] and (row["only_first"], row["only_this"]) == (0, 0)
        assert row["accuracy"] == {"value": card["accuracy"], "ci95": card["ci95"]}
        longer = card["baselines"]["longer"]
        assert row["diff"] == {"value": longer["diff"], "ci95": longer["diff_ci95"]}


def test_report_writes_a_runs_report_again_from_results_json(finished, tmp_path):
    import shutil

    copy = tmp_path / "old-run"
    shutil.copytree(finished, copy, ignore=shutil.ignore_patterns("model", "scores"))
    (copy / "report.html").unlink()  # as a run made before the page existed
    (copy / "report.md").write_text("stale\n")
    result = run(["report", str(copy)])
    assert result.exit_code == 0, result.output
    assert (copy / "report.md").read_text() == (finished / "report.md").read_text()
    assert (copy / "report.html").read_text() == (finished / "report.html").read_text()


def test_same_seed_same_predictions(finished, data, tiny, tmp_path):
    out = tmp_path / "again"
    result = run(["run", "--holdout", "WritingPrompts", "--data", str(data), "--model", str(tiny), "--out", str(out), *FAST])
    assert result.exit_code == 0, result.output
    a = [json.loads(x) for x in (finished / "predictions.jsonl").read_text().splitlines()]
    b = [json.loads(x) for x in (out / "predictions.jsonl").read_text().splitlines()]
    assert [x["reward_chosen"] for x in a] == pytest.approx([x["reward_chosen"] for x in b], abs=1e-5)


def test_evaluate_a_baseline_as_a_model(data, tmp_path):
    out = tmp_path / "base"
    result = run(["evaluate", "--model", "baseline:longer", "--data", str(data), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "results.json").read_text())
    assert doc["model"] == {**doc["model"], "id": "baseline:longer", "kind": "baseline", "parameters": 0}
    for task in doc["results"].values():
        assert task["role"] == "heldout"
        for card in task["splits"].values():
            assert card["accuracy"] == card["baselines"]["longer"]["accuracy"]
            assert card["baselines"]["longer"]["itself"] is True and card["best_baseline"] != "longer"


def test_evaluate_names_scorer_flags_a_baseline_or_rewards_file_ignores(data, tmp_path):
    """--dtype or --max-length typed for a model that loads nothing are named, not silently
    ignored; the same keys from a run.yaml (shared with runs that load a model) are not."""
    cfg = tmp_path / "run.yaml"
    cfg.write_text("model:\n  dtype: bfloat16\n")
    result = run(["evaluate", "--model", "baseline:longer", "--data", str(data), "--out", str(tmp_path / "b"),
                  "--quiet", "--config", str(cfg), "--max-length", "64", "--model-kind", "judge"])
    assert result.exit_code == 0, result.output
    assert "note: --model-kind, --max-length do nothing with baseline:longer: it loads no model" in result.output
    assert "--dtype" not in result.output
    preds = tmp_path / "b" / "predictions.jsonl"
    result = run(["evaluate", "--model", f"rewards:{preds}", "--data", str(data), "--out", str(tmp_path / "r"),
                  "--quiet", "--dtype", "bfloat16"])
    assert result.exit_code == 0, result.output
    assert f"note: --dtype does nothing with rewards:{preds}: it loads no model" in result.output
    result = run(["evaluate", "--model", "baseline:longer", "--data", str(data), "--out", str(tmp_path / "c"), "--quiet"])
    assert result.exit_code == 0 and "note:" not in result.output, result.output


def test_evaluate_baseline_confounds_is_neither_its_own_best_baseline_nor_stacked_on_itself(data, tmp_path):
    out = tmp_path / "confounds"
    result = run(["evaluate", "--model", "baseline:confounds", "--data", str(data), "--tasks", "writingprompts",
                  "--out", str(out), "--format", "tsv", "--quiet",
                  "--set", "eval.min_fit_pairs=50", "--set", "eval.min_fit_posts=10"])  # the fixture's reference is small
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "results.json").read_text())
    assert doc["stacked"]["available"] is False and "itself" in doc["stacked"]["reason"]
    card = doc["results"]["writingprompts"]["splits"]["heldout_all"]
    assert card["baselines"]["confounds"]["itself"] is True and card["best_baseline"] != "confounds"
    assert card["stacked"]["adds_information"] is None
    lines = [line.split("\t") for line in result.output.splitlines()]
    column = lines[0].index("adds_information")
    rows = [r for r in lines if r[0] == "writingprompts"]
    assert rows and all(r[column] == "n/a (itself)" for r in rows)


def test_resume_after_an_interruption_redoes_nothing_finished(data, tiny, tmp_path, monkeypatch):
    out = tmp_path / "resume"
    calls, interrupted = [], []
    real = harness.score_split

    def flaky(scorer, pairs, *a, **kw):
        calls.append(len(pairs))
        if len(calls) == 2 and not interrupted:
            interrupted.append(True)
            raise KeyboardInterrupt("simulated interruption")
        return real(scorer, pairs, *a, **kw)

    monkeypatch.setattr(harness, "score_split", flaky)
    args = ["run", "--holdout", "WritingPrompts", "--data", str(data), "--model", str(tiny), "--out", str(out), *FAST]
    result = run(args, catch=True)
    assert result.exit_code != 0 and not (out / "results.json").exists()  # ^C: exit 130, "interrupted: RUN holds ..."
    assert len(list((out / "scores").glob("*.json"))) == 1 and (out / "model").is_dir()

    again = run(args, catch=True)
    assert again.exit_code != 0 and "--resume" in again.output  # never overwrites a partial run silently

    def no_training(*a, **kw):
        raise AssertionError("training ran again although model/ was finished")

    monkeypatch.setattr("rmbench.model.train.fit", no_training)
    calls.clear()
    result = run(args + ["--resume"])
    assert result.exit_code == 0, result.output
    assert len(calls) == 4  # 5 splits evaluated (heldout_all, test, test_hard, 2 in-domain tests), 1 was on disk
    assert (out / "results.json").is_file()


def test_resume_mid_training_continues_from_the_checkpoint(data, tiny, tmp_path, stop_after_first_checkpoint):
    out = tmp_path / "mid"
    args = ["run", "--holdout", "WritingPrompts", "--data", str(data), "--model", str(tiny), "--out", str(out), *FAST]
    stop_after_first_checkpoint()
    result = run(args, catch=True)
    assert result.exit_code != 0
    assert list((out / "checkpoints").glob("checkpoint-*"))
    stop_after_first_checkpoint.undo()
    result = run(args + ["--resume"])
    assert result.exit_code == 0, result.output
    info = json.loads((out / "train_info.json").read_text())
    assert info["resumed_from"].startswith("checkpoint-")
    # the run's loss covers every step, the ones before the interruption too (Trainer's own figure
    # after a resume covers only the steps since): the step-weighted mean of the whole log
    logged = [(e["step"], e["loss"]) for e in map(json.loads, (out / "train_log.jsonl").read_text().splitlines())
              if "loss" in e]
    assert logged[0][0] < int(info["resumed_from"].split("-")[1])  # steps from before the interruption are in it
    steps = [b[0] - a[0] for a, b in zip([(0, 0)] + logged, logged)]
    assert info["train_loss"] == pytest.approx(sum(s * x[1] for s, x in zip(steps, logged)) / sum(steps), abs=1e-6)


def test_delay_input_is_refused_under_later_but_higher(data, tmp_path):
    result = run(["evaluate", "--model", "baseline:random", "--data", str(data), "--out", str(tmp_path / "d"),
                  "--with-delay", "--quiet"], catch=True)
    assert result.exit_code != 0 and "--allow-delay-leak" in result.output
    result = run(["evaluate", "--model", "baseline:random", "--data", str(data), "--out", str(tmp_path / "d2"),
                  "--with-delay", "--allow-delay-leak", "--quiet"])
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "d2" / "results.json").read_text())
    assert doc["flags"] == [DELAY_FLAG] and doc["config"]["data"]["with_delay"] is True
    assert "Flag" in (tmp_path / "d2" / "report.md").read_text()


def test_delay_input_allowed_when_the_pairing_rule_does_not_fix_time(tmp_path, write_prepared):
    data = write_prepared(tmp_path / "free")
    manifest = json.loads((data / "manifest.json").read_text())
    for entry in manifest["tasks"].values():
        entry["rules"]["preferred_later"] = False
    (data / "manifest.json").write_text(json.dumps(manifest))
    result = run(["evaluate", "--model", "baseline:later", "--data", str(data), "--out", str(tmp_path / "o"),
                  "--with-delay", "--quiet"])
    assert result.exit_code == 0, result.output
    doc = json.loads((tmp_path / "o" / "results.json").read_text())
    assert doc["flags"] == []
    card = doc["results"]["writingprompts"]["splits"]["test"]
    assert card["baselines"]["later"]["by_construction"] is False


@pytest.mark.parametrize("args, message", [
    (["--holdout", "WritingPrompt"], "Did you mean writingprompts"),
    (["--holdout", "writingprompts", "--train-tasks", "askacademia,writingprompts"], "leaks"),
    # a path-like name fails before any download attempt (a hub id would try the network first)
    (["--holdout", "writingprompts", "--model", "./minilmm"], "minilm"),
    (["--holdout", "writingprompts", "--set", "train.max_length=3"], "model.max_length"),
])
def test_bad_input_gives_a_clear_error(data, tmp_path, args, message):
    result = run(["run", "--data", str(data), "--out", str(tmp_path / "x"), "--quiet", *args], catch=True)
    assert result.exit_code != 0
    assert message in result.output


def test_empty_heldout_split_names_the_task_and_the_rules(tmp_path, tiny, write_prepared):
    sizes = {"writingprompts": {"train": 10, "validation": 4, "test": 0, "test_hard": 0},
             "askacademia": {"train": 20, "validation": 4, "test": 4, "test_hard": 2}}
    data = write_prepared(tmp_path / "empty", sizes, dropped={"pairs": {"score_ratio_low": 12, "preferred_not_later": 9}})
    result = run(["run", "--holdout", "writingprompts", "--data", str(data), "--model", str(tiny),
                  "--out", str(tmp_path / "x"), "--quiet"], catch=True)
    assert result.exit_code != 0
    assert "writingprompts" in result.output and "score_ratio_low=12" in result.output
    assert not (tmp_path / "x").exists()


def test_task_flag_runs_an_agent_pipeline(tmp_path, monkeypatch):
    from dataclasses import dataclass

    from rmbench import registry
    from rmbench.task import AgentTask, rule

    seen = {}

    @dataclass(frozen=True)
    class FakeAgent(AgentTask):
        name: str = "fake-agent"
        steps: int = rule(3, "steps")

        def run_pipeline(self, out_dir, options):
            seen.update(out_dir=out_dir, options=options)
            return {"ok": True}

    registry.all_tasks()
    monkeypatch.setitem(registry._REGISTRY, "fake-agent", FakeAgent())
    result = run(["run", "--pipeline", "fake-agent", "--out", str(tmp_path / "a"), "--pipeline-option", "steps=7", "--seed", "4"])
    assert result.exit_code == 0, result.output
    assert seen["out_dir"] == str(tmp_path / "a")
    assert seen["options"]["steps"] == 7 and seen["options"]["seed"] == 4 and seen["options"]["model"] == "minilm"
    bad = run(["run", "--pipeline", "fake-agent", "--pipeline-option", "stpes=1"], catch=True)
    assert bad.exit_code != 0 and "Did you mean steps" in bad.output
    wrong = run(["run", "--holdout", "fake-agent"], catch=True)
    assert wrong.exit_code != 0 and "--pipeline fake-agent" in wrong.output


def test_evaluate_a_causal_lm_reward_model(data, tmp_path, tiny_gpt2_dir):

    model = tiny_gpt2_dir(tmp_path / "gpt2")
    out = tmp_path / "ev"
    result = run(["evaluate", "--model", str(model), "--tasks", "writingprompts", "--data", str(data),
                  "--out", str(out), "--max-length", "64", "--quiet", "--set", "eval.bootstrap_samples=100"])
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "results.json").read_text())
    assert doc["model"]["parameters"] > 0 and doc["results"]["writingprompts"]["splits"]["test"]["n"] == 24


@pytest.mark.slow
def test_evaluate_a_baseline_on_the_real_dumps(shared_dumps, tmp_path):
    out = tmp_path / "real"
    result = run(["evaluate", "--model", "baseline:longer", "--data", str(shared_dumps), "--cache-dir",
                  str(tmp_path / "cache"), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "results.json").read_text())
    assert doc["synthetic_data"] is False and "askacademia" in doc["results"]
    card = doc["results"]["askacademia"]["splits"]["test"]
    assert card["n"] > 100 and card["baselines"]["later"]["by_construction"] is True
    assert (tmp_path / "cache").is_dir()  # prepared once into the cache


def test_resume_after_a_kill_while_a_checkpoint_is_written(data, tiny, tmp_path, monkeypatch):
    """The second checkpoint is cut off before trainer_state.json: --resume removes it, says
    so, and continues from the first."""
    import rmbench.model.train as train

    saves = []
    real = train.PairwiseRewardTrainer._save_rng_state

    def killed(self, output_dir):
        saves.append(output_dir)
        if len(saves) == 2:
            raise KeyboardInterrupt("killed while writing a checkpoint")
        return real(self, output_dir)

    out = tmp_path / "killed"
    args = ["run", "--holdout", "WritingPrompts", "--data", str(data), "--model", str(tiny), "--out", str(out),
            *FAST, "--set", "train.eval_every=0.25"]
    monkeypatch.setattr(train.PairwiseRewardTrainer, "_save_rng_state", killed)
    assert run(args, catch=True).exit_code != 0
    first, second = (Path(s).name for s in saves)
    assert not (out / "checkpoints" / second / "trainer_state.json").exists()
    monkeypatch.setattr(train.PairwiseRewardTrainer, "_save_rng_state", real)
    result = run(args + ["--resume"])
    assert result.exit_code == 0, result.output
    assert f"removed {second}: incomplete" in result.output and f"resuming from {first}" in result.output
    assert json.loads((out / "train_info.json").read_text())["resumed_from"] == first
