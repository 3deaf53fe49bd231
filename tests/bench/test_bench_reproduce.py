"""bench/bench_reproduce.py: a rerun set beside the first, byte for byte, and what another
training precision moves."""

from __future__ import annotations

import json


def test_a_rerun_is_identical_and_fp32_moves_rewards_it_measures(tmp_path, bench_script, tiny_bert_dir, write_prepared):
    bench = bench_script("bench_reproduce")
    data = write_prepared(tmp_path / "data")
    model = tiny_bert_dir(tmp_path / "model")
    recipe = ["--holdout", "writingprompts", "--data", str(data), "--model", str(model), "--max-length", "48",
              "--epochs", "1", "--batch-size", "8", "--quiet", "--set", "eval.bootstrap_samples=100",
              "--set", "train.learning_rate=1e-3", "--mixed-precision", "bf16"]
    out = tmp_path / "reproduce.json"
    doc = bench.main(["--variants", "again,fp32", "--json", str(out), "--", *recipe])
    assert json.loads(out.read_text()) == doc and doc["first"]["training_precision"] == "bf16"
    again, fp32 = doc["variants"]["again"], doc["variants"]["fp32"]
    assert again["weights_identical"] and again["predictions_identical"] and again["pairs"] > 0
    assert again["max_reward_change"] == 0 and again["outcomes_flipped"] == 0
    # another precision: other weights, rewards that moved (by how much is measured, not assumed)
    assert fp32["training_precision"] == "no" and not fp32["weights_identical"] and not fp32["predictions_identical"]
    assert fp32["max_reward_change"] > 0 and fp32["max_margin_change"] >= 0 and fp32["pairs"] == again["pairs"]
    assert 0 <= fp32["outcomes_flipped"] <= fp32["pairs"]


def test_an_unknown_variant_is_refused(bench_script):
    import pytest

    with pytest.raises(SystemExit):
        bench_script("bench_reproduce").main(["--variants", "again,gpu"])
