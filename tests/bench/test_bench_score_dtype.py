"""bench/bench_score_dtype.py: both dtypes score the harness's rows, and the report's
differences are those of the two sets of rewards."""

from __future__ import annotations

import pytest


def test_both_dtypes_score_the_held_out_rows_and_the_report_follows_them(tmp_path, bench_script, tiny_bert_dir,
                                                                         write_prepared):
    bench = bench_script("bench_score_dtype")
    data = write_prepared(tmp_path / "data", {"writingprompts": {"train": 10, "validation": 4, "test": 30, "test_hard": 6},
                                              "askacademia": {"train": 10, "validation": 4, "test": 6, "test_hard": 2}})
    model = tiny_bert_dir(tmp_path / "model")
    doc = bench.main(["--data", str(data), "--holdout", "writingprompts", "--model", str(model), "--split", "test",
                      "--max-length", "64", "--rounds", "1", "--samples", "200", "--other-isa"])
    assert doc["pairs"] == 30 and doc["inputs"] > 0 and set(doc["time"]) == {"float32", "bfloat16"}
    # bf16 moves the rewards a little, never not at all (a dtype that was not applied would give 0)
    assert 0 < doc["median_abs_reward_diff"] <= doc["max_abs_reward_diff"] < 0.05
    flips = doc["outcomes_flipped"]
    assert abs(doc["bfloat16"]["accuracy"] - doc["float32"]["accuracy"]) <= flips / 30 + 1e-9
    assert doc["bf16_minus_fp32"]["diff"] == pytest.approx(doc["bfloat16"]["accuracy"] - doc["float32"]["accuracy"])
    # the AVX2-only child scored the same inputs: float32 within verify's tolerance everywhere
    other = doc["other_isa"]
    assert other["float32"]["rewards"] == other["bfloat16"]["rewards"] == 60
    assert other["float32"]["beyond_verify_tolerance"] == 0 and other["float32"]["max_abs_diff"] < 1e-3
