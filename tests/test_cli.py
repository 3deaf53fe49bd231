"""The root command: every renamed flag's old spelling answers with a did-you-mean error
naming the new flag, and unknown flags keep click's own suggestions."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from rmbench.cli import POSITIONAL_FLAG, RENAMED_FLAGS, RENAMED_IN, main

# (command, old flag, new flag): every entry of RENAMED_FLAGS on each command that has the new one
CASES = [
    (["run"], "--lr", "--learning-rate"), (["run"], "--tasks", "--train-tasks"), (["run"], "--task", "--pipeline"),
    (["run"], "--task-option", "--pipeline-option"), (["run"], "--max-eval-pairs", "--limit"),
    (["run"], "--heldout", "--holdout"), (["evaluate"], "--trained-on", "--train-tasks"),
    (["evaluate"], "--max-eval-pairs", "--limit"), (["sweep"], "--max-eval-pairs", "--limit"),
    (["sweep"], "--heldout", "--holdout"),
    (["agent", "sft"], "--max-examples", "--limit"), (["agent", "train"], "--max-prompts", "--limit"),
    (["agent", "eval"], "--max-prompts", "--limit"), (["agent", "sft"], "--lr", "--learning-rate"),
    (["agent", "train"], "--lr", "--learning-rate"),
    (["leaderboard", "freeze"], "--heldout", "--holdout"), (["leaderboard", "verify"], "--batch-size", "--eval-batch-size"),
]


@pytest.mark.parametrize("command,old,new", CASES, ids=[f"{' '.join(c)} {o}" for c, o, _ in CASES])
def test_old_spelling_names_the_new_flag(command, old, new):
    res = CliRunner().invoke(main, [*command, old, "1"])
    assert res.exit_code == 2, res.output
    assert f"No such option '{old}': renamed to '{new}'. Did you mean '{new}'?" in res.output


def test_every_rename_is_tested():
    tested = {(o, n) for _, o, n in CASES}
    assert set(RENAMED_FLAGS.items()) <= tested
    assert {kv for renames in RENAMED_IN.values() for kv in renames.items()} <= tested


def test_an_old_name_that_is_live_elsewhere_stays_live_there():
    """`evaluate --tasks` (the tasks evaluated) and `agent sft --batch-size` (training) keep their names."""
    for args in (["evaluate", "--tasks", "x", "--help"], ["agent", "sft", "--batch-size", "2", "--help"]):
        res = CliRunner().invoke(main, args)
        assert res.exit_code == 0, res.output


@pytest.mark.parametrize("flag, key", [("--max-train-pairs", "data.max_train_pairs"), ("--lr", "train.learning_rate"),
                                       ("--learning-rate", "train.learning_rate")])
def test_a_run_flag_sweep_lacks_names_its_config_key(flag, key):
    res = CliRunner().invoke(main, ["sweep", flag, "1"])
    assert res.exit_code == 2
    assert f"No such option '{flag}' here: it is the config key {key}, set with --set {key}=VALUE." in res.output
    assert "Did you mean" not in res.output


def test_every_flag_key_is_a_run_config_key():
    from rmbench.run.cli import FLAG_KEYS
    from rmbench.run.config import RunConfig

    for key in FLAG_KEYS.values():
        obj = RunConfig()
        for part in key.split("."):
            assert hasattr(obj, part), key
            obj = getattr(obj, part)


def test_other_unknown_flags_keep_clicks_suggestion():
    res = CliRunner().invoke(main, ["run", "--modle", "x"])
    assert res.exit_code == 2 and "No such option '--modle'" in res.output and "--model" in res.output
    assert "renamed" not in res.output


@pytest.mark.parametrize("args, message", [
    (["prepare", "DUMPS", "--out", "x"], "Error: Missing option '--source'. Did you mean '--source DUMPS'?"),
    (["run", "WritingPrompts"], "Error: Got unexpected extra argument (WritingPrompts). Did you mean "
                                "'--holdout WritingPrompts'?"),
    (["sweep", "--seeds", "0,1", "askacademia"], "Did you mean '--holdout askacademia'?"),
    (["evaluate", "runs/x/model"], "Error: Missing option '--model'. Did you mean '--model runs/x/model'?"),
    (["export", "prepared", "--out", "x"], "Error: Missing option '--data'. Did you mean '--data prepared'?"),
])
def test_a_bare_word_gets_the_flag_that_reads_it(args, message):
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 2 and message in res.output, res.output


def test_no_flag_is_suggested_when_it_is_given_or_the_error_is_another():
    given = CliRunner().invoke(main, ["prepare", "DUMPS", "--source", "demo", "--out", "x"])
    assert "Got unexpected extra argument (DUMPS)" in given.output and "Did you mean" not in given.output
    missing_value = CliRunner().invoke(main, ["run", "--holdout"])
    assert "requires an argument" in missing_value.output and "Did you mean" not in missing_value.output
    nested = CliRunner().invoke(main, ["agent", "bon", "foo"])  # not a table entry: click's own message
    assert nested.exit_code == 2 and "Did you mean" not in nested.output


def test_every_suggested_flag_is_an_option_of_its_command():
    for name, flag in POSITIONAL_FLAG.items():
        assert any(flag in p.opts for p in main.get_command(None, name).params), (name, flag)


def test_models_prints_a_bracketed_name_as_written():
    """rich read "[bold]" in a user's model name as markup and dropped it (issue 25's rule:
    text that can hold brackets is printed escaped)."""
    res = CliRunner().invoke(main, ["models", "org/mo[bold]del"], env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    assert "'org/mo[bold]del' is not a preset" in res.output


def test_models_shows_a_judge_presets_own_prompt():
    res = CliRunner().invoke(main, ["models", "steamshp"], env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    assert "judge prompt: benchmark/model/judge_prompt_steamshp.yaml (text format)" in res.output


def test_ctrl_c_in_any_command_is_one_word_and_sigints_exit_code(monkeypatch):
    from rmbench import tasks_cli

    def interrupted(*a, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr(tasks_cli, "all_tasks", interrupted, raising=False)
    res = CliRunner().invoke(main, ["tasks"])
    assert res.exit_code == 130 and res.output.strip() == "interrupted" and "Aborted" not in res.output
