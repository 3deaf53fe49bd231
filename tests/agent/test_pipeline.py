"""The registered writingprompts-agent task: the tiny chain end to end, resumable, and the
`rmbench agent` commands on its outputs."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from rmbench.agent.cli import agent_group
from rmbench.agent.pipeline import STEPS, marker
from rmbench.registry import all_tasks, get_task


def summary_data(out):
    """The prepared data the chain used (its data step's marker says where)."""
    return json.loads(marker(out, "data").read_text())["data"]


def stop_at_trainers(monkeypatch, error) -> dict:
    """SFT and RL replaced by stand-ins that keep the settings they were given and raise
    ``error("stop here")``; returns {"sft": SFTSettings, "rl": RLSettings} as they are called."""
    import rmbench.agent.rl as rl
    import rmbench.agent.sft as sft

    seen = {}

    def stop(name, settings_at):
        def fake(*args, **kwargs):
            seen[name] = args[settings_at]
            raise error("stop here")
        return fake

    monkeypatch.setattr(sft, "run_sft", stop("sft", -1))  # run_sft(data, model, out, settings)
    monkeypatch.setattr(rl, "train_agent", stop("rl", -2))  # train_agent(..., settings, reward_model)
    return seen


@pytest.fixture(scope="module")
def demo_data(tmp_path_factory):
    from rmbench.prepare import prepare

    data = tmp_path_factory.mktemp("prepared") / "demo"
    prepare("demo", data, tasks=["writingprompts"], progress=False)
    return data


@pytest.fixture(scope="module")
def chain(tmp_path_factory, demo_data):
    """The tiny chain, run the way people run it: `rmbench run --pipeline writingprompts-agent --model tiny`."""
    from rmbench.cli import main

    out = tmp_path_factory.mktemp("chain") / "run"
    result = CliRunner().invoke(main, ["run", "--pipeline", "writingprompts-agent", "--model", "tiny", "--out", str(out),
                                       "--data", str(demo_data)])
    assert result.exit_code == 0, result.output
    # Trainers report through the harness's progress, never as printed log dicts.
    assert "{'loss'" not in result.output and "'kl':" not in result.output
    assert f"data: {demo_data}" in result.output and f"out: {out}" in result.output
    return out, json.loads(marker(out, "eval").read_text())


def test_task_is_registered_as_agent_task():
    task = all_tasks()["writingprompts-agent"]
    assert task.kind == "agent" and task.with_options({"tiny": True, "beta": 0.2}).beta == 0.2


def test_tiny_chain_writes_every_step_and_results(chain):
    from rmbench.prepared.load import load_prepared

    out, summary = chain
    for step in STEPS:
        assert marker(out, step).is_file(), step
    for d in ("generator", "evaluator", "judge", "agent"):
        assert (out / d / "config.json").is_file(), d
    res = json.loads((out / "results.json").read_text())
    assert res["kind"] == "rmbench.results" and res["model"]["kind"] == "agent"
    split = res["results"]["writingprompts-agent"]["splits"]["test"]
    n_test_prompts = len({r["post_id"] for r in load_prepared(summary_data(out), "writingprompts")["test"]})
    assert split["n"] == min(8, n_test_prompts) and 0 <= split["accuracy"] <= 1
    lo, hi = split["ci95"]
    assert lo <= split["accuracy"] <= hi
    m = res["results"]["writingprompts-agent"]["agent_metrics"]
    assert m["agent"]["mean_tokens"] <= 16 and m["kl_to_generator"]["n"] == split["n"]
    assert res["model"]["trained_against"]["weights_sha256"] != res["model"]["judge"]["weights_sha256"]
    assert summary["win_rate"] == split["accuracy"] and summary["n"] == split["n"]
    report = (out / "report.html").read_text()
    assert "length-controlled win rate" in report and "<script" not in report
    # Random toy models learn nothing: the report and the results say so.
    assert "smoke test: tiny random models, no effect expected" in report
    assert res["config"]["note"] == "smoke test: tiny random models, no effect expected"
    assert report.count("<div class=s>") == 2 * 3  # three sample stories of each model
    stories = [json.loads(line) for line in (out / "stories.jsonl").read_text().splitlines()]
    assert len(stories) == split["n"] and {"agent", "generator", "agent_reward"} <= set(stories[0])
    kl = m["kl_to_generator"]
    assert kl["per_story"] >= 0 and kl["per_token"] >= 0 and "monte_carlo_per_story" in kl


def test_tasks_show_prints_the_settings_a_default_run_uses():
    """What `rmbench tasks show` prints is what `rmbench run --pipeline` runs with: the options
    a default run passes (its --model, --seed ...) change no setting."""
    from rmbench.cli import main
    from rmbench.run.config import RunConfig

    task = get_task("writingprompts-agent")
    cfg = RunConfig()
    run_options = {"config": cfg.to_dict(), "model": cfg.model.name, "data": cfg.data.source, "seed": cfg.seed,
                   "resume": False}
    assert task.with_options(run_options).rules() == task.rules()
    assert task.generator_model == "smollm2" and task.with_options({"tiny": True}).generator_model == "tiny"
    shown = CliRunner().invoke(main, ["tasks", "show", "writingprompts-agent", "--format", "tsv"]).output
    rows = dict(line.split("\t")[:2] for line in shown.splitlines()[1:])
    assert rows == {k: repr(v) for k, v in task.rules().items()}


def test_rerun_resumes_from_markers(chain):
    out, summary = chain
    before = {s: marker(out, s).stat().st_mtime_ns for s in STEPS}
    lines = []
    from rmbench.agent.pipeline import run_chain

    opts = {"tiny": True, "data": str(summary_data(out))}
    again = run_chain(get_task("writingprompts-agent").with_options(opts), str(out), opts, log=lines.append)
    assert all("skipped" in line for line in lines if line.startswith("[")) and len(lines) >= len(STEPS)
    assert {s: marker(out, s).stat().st_mtime_ns for s in STEPS} == before
    assert again["win_rate"] == summary["win_rate"]


def test_cli_rerun_without_resume_refuses_a_used_out_dir(chain):
    from rmbench.cli import main

    out, _ = chain
    result = CliRunner().invoke(main, ["run", "--pipeline", "writingprompts-agent", "--model", "tiny", "--out", str(out),
                                       "--data", summary_data(out)])
    assert result.exit_code != 0 and "--resume" in (result.output + str(result.exception))


def test_eval_refuses_the_trained_against_reward_model_as_judge(chain, tmp_path):
    out, _ = chain
    result = CliRunner().invoke(agent_group, ["eval", "--agent", str(out / "agent"), "--generator",
                                              str(out / "generator"), "--judge", str(out / "evaluator"),
                                              "--data", str(summary_data(out)), "--out", str(tmp_path / "e")])
    assert result.exit_code != 0 and "trained against" in result.output
    assert not (tmp_path / "e").exists()


def test_cli_eval_and_compare_write_results_and_page(chain, tmp_path):
    from rmbench.feedback.page import load_items, load_provenance

    out, _ = chain
    r = CliRunner().invoke(agent_group, ["eval", "--agent", str(out / "agent"), "--generator", str(out / "generator"),
                                         "--judge", str(out / "judge"), "--data", str(summary_data(out)),
                                         "--out", str(tmp_path / "e"), "--limit", "4",
                                         "--max-new-tokens", "8"])
    assert r.exit_code == 0, r.output
    res = json.loads((tmp_path / "e" / "results.json").read_text())
    assert res["results"]["writingprompts-agent"]["splits"]["test"]["n"] == min(4, res["config"]["prompts"])
    r = CliRunner().invoke(agent_group, ["compare", "--agent", str(out / "agent"), "--generator", str(out / "generator"),
                                         "--data", str(summary_data(out)), "--reward-model", str(out / "evaluator"),
                                         "--out", str(tmp_path / "page"), "-n", "3", "--max-new-tokens", "8"])
    assert r.exit_code == 0, r.output
    items, prov = load_items(tmp_path / "page"), load_provenance(tmp_path / "page")
    assert len(items) == len(prov["items"]) >= 1
    for it in items:
        models = {prov["items"][it["item_id"]][s]["model"] for s in "AB"}
        assert models == {"agent", "generator"}
        assert all(prov["items"][it["item_id"]][s]["reward"] is not None for s in "AB")
    # A page is replaced only with --overwrite, and never once people have clicked on it (issue 12).
    from rmbench.feedback.page import db_path
    from rmbench.feedback.store import ClickStore

    args = ["compare", "--agent", str(out / "agent"), "--generator", str(out / "generator"),
            "--data", str(summary_data(out)), "--out", str(tmp_path / "page"), "-n", "2", "--max-new-tokens", "4"]
    r = CliRunner().invoke(agent_group, args)
    assert r.exit_code == 1 and "--overwrite" in r.output
    assert CliRunner().invoke(agent_group, args + ["--overwrite"]).exit_code == 0  # nobody clicked yet
    store = ClickStore(db_path(tmp_path / "page"))
    for i, it in enumerate(load_items(tmp_path / "page")):
        store.add(f"session-{i:04d}", it["item_id"], "A")
    r = CliRunner().invoke(agent_group, args + ["--overwrite"])
    assert r.exit_code == 1 and "refusing to replace" in r.output
    assert len(ClickStore(db_path(tmp_path / "page")).clicks()) == len(load_items(tmp_path / "page")) >= 1
    r = CliRunner().invoke(agent_group, args[:-6] + ["--out", str(summary_data(out)), "-n", "2"])
    assert r.exit_code == 1 and "an input of this command" in r.output


def test_chain_trains_evaluator_and_judge_on_disjoint_halves(chain):
    out, _ = chain
    res = json.loads((out / "results.json").read_text())
    assert res["config"]["evaluator"]["kind"] == res["config"]["judge"]["kind"] == "trained"
    ev, judge = res["config"]["evaluator"], res["config"]["judge"]
    assert {ev["half"], judge["half"]} == {0, 1} and 0 < ev["train_pairs"] <= 64


def test_eval_step_judges_eval_samples_stories_per_prompt(chain, tmp_path, monkeypatch):
    """The task's eval_samples reaches the evaluation (a rerun of only the eval step)."""
    import shutil

    import rmbench.agent.evaluate as evaluate
    from rmbench.agent.pipeline import run_chain

    out, _ = chain
    again = tmp_path / "run"
    shutil.copytree(out, again)
    marker(again, "eval").unlink()
    seen = {}

    def fake_run_eval(*args, **kwargs):
        seen.update(kwargs)
        raise RuntimeError("stop here")

    monkeypatch.setattr(evaluate, "run_eval", fake_run_eval)
    opts = {"tiny": True, "data": str(summary_data(out)), "eval_samples": 3}
    with pytest.raises(RuntimeError, match="stop here"):
        run_chain(get_task("writingprompts-agent").with_options(opts), str(again), opts, log=lambda line: None)
    assert seen["samples_per_prompt"] == 3
    assert get_task("writingprompts-agent").eval_samples * 25 >= 100  # the demo's 25 eval posts: n >= 100 pairs


def test_run_precision_reaches_the_generator_trainers(chain, tmp_path, monkeypatch):
    """`--mixed-precision` (options['config'] model.mixed_precision) reaches SFT and RL, not
    only the reward models: 'no' must force fp32 even on a CPU with fast bf16."""
    import shutil

    from rmbench.agent.pipeline import run_chain

    out, _ = chain
    seen = stop_at_trainers(monkeypatch, RuntimeError)
    opts = {"tiny": True, "data": str(summary_data(out)), "config": {"model": {"mixed_precision": "no"}}}
    task = get_task("writingprompts-agent").with_options(opts)
    for step, name in (("sft", "sft"), ("agent", "rl")):
        again = tmp_path / step
        shutil.copytree(out, again)
        for later in STEPS[STEPS.index(step):]:
            marker(again, later).unlink()
        with pytest.raises(RuntimeError, match="stop here"):
            run_chain(task, str(again), opts, log=lambda line: None)
        assert seen[name].mixed_precision == "no", name


def test_generator_cards_record_the_precision_used(chain):
    from rmbench.agent.trainer_log import precision_args
    from rmbench.model.train import resolve_precision

    out, _ = chain
    expected = "bf16" if resolve_precision("auto") == "bf16" else "fp32"
    for d in ("generator", "agent"):
        card = json.loads((out / d / "rmbench_agent.json").read_text())
        assert card["precision"] == expected and card["settings"]["mixed_precision"] == "auto", d
    assert precision_args("no") == {"bf16": False, "fp16": False}
    assert precision_args("bf16") == {"bf16": True, "fp16": False}


def test_agent_sft_and_train_commands_take_mixed_precision(chain, monkeypatch):
    """`rmbench agent sft/train --mixed-precision no` reach the trainers' settings."""
    import rmbench.agent.cli as cli

    out, _ = chain
    seen = stop_at_trainers(monkeypatch, ValueError)
    monkeypatch.setattr(cli, "_scorer", lambda path, max_length=512: object())
    data = summary_data(out)
    r = CliRunner().invoke(agent_group, ["sft", "--data", data, "--model", "tiny", "--out", str(out / "x-gen"),
                                         "--mixed-precision", "no"])
    assert "stop here" in r.output and seen["sft"].mixed_precision == "no"
    with pytest.raises(ValueError, match="stop here"):
        CliRunner().invoke(agent_group, ["train", "--generator", str(out / "generator"), "--reward-model", "x",
                                         "--data", data, "--out", str(out / "x-agent"), "--mixed-precision", "no"],
                           catch_exceptions=False)
    assert seen["rl"].mixed_precision == "no"
    r = CliRunner().invoke(agent_group, ["train", "--generator", str(out / "generator"), "--reward-model", "x",
                                         "--data", data, "--out", str(out / "x-agent"), "--mixed-precision", "fp8"])
    assert r.exit_code == 2 and "fp8" in r.output


def test_rl_gradient_checkpointing_is_on_by_default_and_each_way_can_turn_it_off(chain, tmp_path, monkeypatch):
    """The task option and `rmbench agent train --no-gradient-checkpointing` reach RLSettings."""
    import shutil

    import rmbench.agent.cli as cli
    from rmbench.agent.pipeline import run_chain

    out, _ = chain
    seen = stop_at_trainers(monkeypatch, RuntimeError)
    for value in (None, False):
        opts = {"tiny": True, "data": str(summary_data(out))}
        if value is not None:
            opts["rl_gradient_checkpointing"] = value
        again = tmp_path / f"ckpt-{value}"
        shutil.copytree(out, again)
        for later in STEPS[STEPS.index("agent"):]:
            marker(again, later).unlink()
        with pytest.raises(RuntimeError, match="stop here"):
            run_chain(get_task("writingprompts-agent").with_options(opts), str(again), opts, log=lambda line: None)
        assert seen["rl"].gradient_checkpointing is (value is None)
    monkeypatch.setattr(cli, "_scorer", lambda path, max_length=512: object())
    for flag, want in (([], True), (["--no-gradient-checkpointing"], False)):
        with pytest.raises(RuntimeError, match="stop here"):
            CliRunner().invoke(agent_group, ["train", "--generator", str(out / "generator"), "--reward-model", "x",
                                             "--data", summary_data(out), "--out", str(tmp_path / "x-agent"), *flag],
                               catch_exceptions=False)
        assert seen["rl"].gradient_checkpointing is want
