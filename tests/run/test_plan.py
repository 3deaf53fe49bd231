"""What a run says about its tasks before any work: how much of the training data it uses, and
which tasks a trained model may not be scored on as held out."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from rmbench.errors import DataError
from rmbench.run.plan import recorded_training
def test_the_run_says_how_many_of_the_training_pairs_it_trains_on():
    from rmbench.run.config import RunConfig
    from rmbench.run.plan import budget_note

    cfg = RunConfig()
    default = cfg.data.max_train_pairs
    assert budget_note(cfg, default, 4026) == (
        f"training pairs: {default:,} of the held-in tasks' 4,026 (data.max_train_pairs={default:,}, the default, "
        "sized for a quick demo run; --set data.max_train_pairs=0 trains on all)")
    cfg.data.max_train_pairs = 2000
    assert budget_note(cfg, 2000, 4026).endswith("(data.max_train_pairs=2,000; --set data.max_train_pairs=0 trains on all)")
    assert budget_note(cfg, 1500, 1500) == "training pairs: all 1,500 of the held-in tasks"
    cfg.data.max_train_pairs = 0
    assert budget_note(cfg, 4026, 4026) == "training pairs: all 4,026 of the held-in tasks"


def test_a_task_the_model_recorded_training_on_is_scored_in_domain_and_said(capsys):
    spec = SimpleNamespace(name="runs/x/model", trained_on=("askacademia", "gradschool"))
    assert recorded_training(spec, ["askacademia", "emory"], [], progress=True) == ["askacademia"]
    assert capsys.readouterr().err == ("note: runs/x/model was trained on askacademia (its config.json): scored on "
                                       "test as in-domain, not held out\n")
    assert recorded_training(spec, ["askacademia", "emory"], ["askacademia"], progress=True) == []  # listed already
    assert recorded_training(spec, ["emory"], [], progress=True) == [] and capsys.readouterr().err == ""
    assert recorded_training(None, ["askacademia"], [], progress=True) == []  # a baseline: nothing recorded
    with pytest.raises(DataError, match="was trained on askacademia, gradschool .*no task is left to hold out"):
        recorded_training(spec, ["askacademia", "gradschool"], [], progress=False)


def test_a_run_may_not_hold_out_a_task_its_starting_model_trained_on():
    from rmbench.errors import LeakageError
    from rmbench.run.plan import check_start_model

    spec = SimpleNamespace(name="runs/x/model", trained_on=("askacademia", "gradschool"))
    check_start_model(spec, ["emory"])  # nothing seen: no error
    check_start_model(SimpleNamespace(name="minilm", trained_on=()), ["askacademia"])
    with pytest.raises(LeakageError, match="trained on gradschool, askacademia .* holding them out would score"):
        check_start_model(spec, ["gradschool", "askacademia", "emory"])
