"""bench/confounds_features_study.py: its plain variant is baseline:confounds' own fit."""

from __future__ import annotations

import numpy as np

from rmbench.eval.confounds import fit_confounds
from rmbench.eval.metrics import pair_outcomes
from rmbench.prepared.load import load_split
from tests.conftest import write_prepared


def test_the_plain_variant_is_fit_confounds_and_the_study_prints_both(tmp_path, bench_script, capsys):
    study = bench_script("confounds_features_study")
    data = write_prepared(tmp_path / "data")
    train = [r for t in ("askacademia", "gradschool") for r in load_split(data, t, "train")]
    test = load_split(data, "writingprompts", "heldout_all")
    train_acc, outcomes = study.fit_and_score(train, test, study.VARIANTS["confounds (log length, layout)"])
    own = fit_confounds(train, use_delay=False)
    c, r = own.rewards(test)
    assert train_acc == round(own.train_accuracy, 6) or abs(train_acc - own.train_accuracy) < 1e-6
    assert np.array_equal(outcomes, pair_outcomes(c, r))
    study.main([str(data), "writingprompts", "--samples", "100"])
    out = capsys.readouterr().out
    assert "+ raw characters and words - confounds" in out and "held out" in out
