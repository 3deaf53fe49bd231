"""bench/truncation_study.py: the parts follow the first run's cut flags, and each run's
accuracy and difference to confounds are those of its own outcomes on that part."""

from __future__ import annotations

import json

import pytest


def _run(root, name, max_length, chosen, cut, pair_ids):
    run = root / name
    (run / "scores").mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"model": {"max_length": max_length}}))
    n = len(chosen)
    (run / "scores" / "t.heldout_all.json").write_text(json.dumps(
        {"chosen": chosen, "rejected": [0.5] * n, "pair_ids": pair_ids,
         "cuts": {"prompt": [True] * n, "chosen": cut, "rejected": [False] * n},
         "baselines": {"confounds": [1.0, 1.0, 0.0, 0.0, 1.0, 0.0], "longer": [1.0] * n}}))
    return run


def test_parts_split_by_the_first_runs_cuts(tmp_path, bench_script, capsys):
    study = bench_script("truncation_study")
    ids = [f"p{i}:a{i}:b{i}" for i in range(6)]
    cut = [False, False, False, True, True, True]
    short = _run(tmp_path, "short", 128, [1, 1, 1, 0, 0, 0], cut, ids)
    long = _run(tmp_path, "long", 256, [1, 1, 1, 1, 1, 0], [False] * 6, ids)  # its own cuts are not used
    assert study.main([str(short), str(long), "--task", "t", "--samples", "200", "--json", str(tmp_path / "o.json")]) == 0
    doc = json.loads((tmp_path / "o.json").read_text())
    whole, cut_part = doc["parts"]["both responses whole at 128"], doc["parts"]["a response cut at 128"]
    assert (whole["n"], cut_part["n"], doc["parts"]["all pairs"]["n"]) == (3, 3, 6)
    assert whole["confounds"] == pytest.approx(2 / 3, abs=1e-4) and cut_part["confounds"] == pytest.approx(1 / 3, abs=1e-4)
    s, lg = cut_part["runs"]
    assert (s["max_length"], s["accuracy"], lg["accuracy"]) == (128, 0.0, pytest.approx(2 / 3, abs=1e-4))
    assert lg["diff_confounds"] == pytest.approx(1 / 3, abs=1e-4) and s["diff_confounds"] == pytest.approx(-1 / 3, abs=1e-4)
    assert "| a response cut at 128 | 3 | 3 |" in capsys.readouterr().out


def test_runs_of_other_pairs_are_refused(tmp_path, bench_script):
    study = bench_script("truncation_study")
    ids = [f"p{i}:a{i}:b{i}" for i in range(6)]
    a = _run(tmp_path, "a", 128, [1] * 6, [False] * 6, ids)
    b = _run(tmp_path, "b", 256, [1] * 6, [False] * 6, ids[::-1])
    with pytest.raises(SystemExit, match="scored other pairs"):
        study.main([str(a), str(b), "--task", "t"])
