"""`rmbench leaderboard verify`: a submitted model re-scores its track's test sets."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from rmbench.cli import main
from rmbench.leaderboard.cli import leaderboard_group
from rmbench.atomic import write_json
from rmbench.leaderboard.tracks import freeze

SIZES = {"writingprompts": {"train": 8, "validation": 4, "test": 24, "test_hard": 12},
         "askacademia": {"train": 8, "validation": 4, "test": 10, "test_hard": 4}}


def _evaluate(prep, model: str, out):
    """results.json for ``model``, written by the harness itself (`rmbench evaluate`)."""
    res = CliRunner().invoke(main, ["evaluate", "--model", model, "--data", str(prep), "--tasks", "writingprompts",
                                    "--max-length", "64", "--out", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="module")
def setup(tmp_path_factory, tiny_bert_dir, write_prepared):
    root = tmp_path_factory.mktemp("verify")
    prep = write_prepared(root / "prep", SIZES)
    board = root / "leaderboard"
    freeze(board, prep, "demo", ["writingprompts"], "demo")
    model = tiny_bert_dir(root / "model", seed=0)
    for name, m in (("tiny", str(model)), ("base-longer", "baseline:longer"), ("base-random", "baseline:random")):
        run = _evaluate(prep, m, root / f"run-{name}")
        res = CliRunner().invoke(main, ["submit", str(run), "--name", name, "--leaderboard-dir", str(board)])
        assert res.exit_code == 0, res.output
    return root, board, prep, model


def verify(board, *args):
    return CliRunner().invoke(leaderboard_group, ["verify", "--leaderboard-dir", str(board), *args])


def test_a_saved_model_reproduces(setup):
    root, board, prep, model = setup
    assert CliRunner().invoke(leaderboard_group, ["validate", "--leaderboard-dir", str(board)]).exit_code == 0
    res = verify(board, "tiny", "--data", str(prep), "--model", str(model), "--batch-size", "3")
    assert res.exit_code == 0, res.output
    assert "weights: match" in res.output and "reproduced" in res.output


@pytest.mark.parametrize("name", ["base-longer", "base-random"])
def test_a_baseline_reproduces_without_a_model(setup, name):
    _, board, prep, _ = setup
    res = verify(board, name, "--data", str(prep))
    assert res.exit_code == 0, res.output


def test_the_model_is_found_from_its_submitted_id(setup):
    _, board, prep, _ = setup
    res = verify(board, "tiny", "--data", str(prep))
    assert res.exit_code == 0 and "weights: match" in res.output


def test_a_claimed_accuracy_outside_reach_fails(setup, tmp_path):
    _, board, prep, model = setup
    sub = json.loads((board / "submissions" / "tiny.json").read_text())
    split = sub["results"]["results"]["writingprompts"]["splits"]["test"]
    true = split["accuracy"]
    fake = 1.0 if true < 0.5 else 0.0  # as far from the truth as the scale allows
    split["accuracy"], split["ci95"] = fake, [fake, fake]
    write_json(board / "submissions" / "tiny-claimed.json", sub | {"name": "tiny-claimed"})
    res = verify(board, "tiny-claimed", "--data", str(prep), "--model", str(model))
    assert res.exit_code == 1 and "NOT reproduced" in res.output


def test_other_weights_are_caught(setup, tmp_path, tiny_bert_dir):
    _, board, prep, _ = setup
    other = tiny_bert_dir(tmp_path / "other", seed=1)
    res = verify(board, "tiny", "--data", str(prep), "--model", str(other))
    assert res.exit_code == 1 and "weights: differ" in res.output


def test_data_that_is_not_the_track_is_refused(setup, tmp_path, write_prepared):
    _, board, _, model = setup
    wrong = write_prepared(tmp_path / "wrong", {**SIZES, "writingprompts": {**SIZES["writingprompts"], "test": 30}})
    res = verify(board, "tiny", "--data", str(wrong), "--model", str(model))
    assert res.exit_code != 0 and "fingerprint" in res.output


def test_unknown_or_unsafe_names_are_refused(setup):
    _, board, prep, _ = setup
    for name in ("nobody", "../tiny"):
        res = verify(board, name, "--data", str(prep))
        assert res.exit_code != 0 and "no submission named" in res.output
