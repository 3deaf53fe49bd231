"""The root command: every renamed flag's old spelling answers with a did-you-mean error
naming the new flag, and unknown flags keep click's own suggestions."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from rmbench.cli import RENAMED_FLAGS, RENAMED_IN, main

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


def test_other_unknown_flags_keep_clicks_suggestion():
    res = CliRunner().invoke(main, ["run", "--modle", "x"])
    assert res.exit_code == 2 and "No such option '--modle'" in res.output and "--model" in res.output
    assert "renamed" not in res.output


def test_models_prints_a_bracketed_name_as_written():
    """rich read "[bold]" in a user's model name as markup and dropped it (issue 25's rule:
    text that can hold brackets is printed escaped)."""
    res = CliRunner().invoke(main, ["models", "org/mo[bold]del"], env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    assert "'org/mo[bold]del' is not a preset" in res.output
