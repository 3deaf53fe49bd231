"""bench/bench_gpu.py --dry-run: every code path of the GPU benchmark, on a CPU, in seconds.

The figures of a dry run measure nothing (tiny models, a nominal peak); this pins the shape
of the record a lent device will produce, so the script is ready when one is lent.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "bench" / "bench_gpu.py"


def positive(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x) and x > 0


@pytest.fixture(scope="module")
def dry_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("gpu") / "gpu.json"
    # One size keeps it under ~30 s on two busy cores; it still runs ours eager and compiled
    # (eager backend on a CPU), TRL and the scoring comparison.
    proc = subprocess.run([sys.executable, str(SCRIPT), "--dry-run", "--sizes", "gpt2-medium", "--out", str(out)],
                          capture_output=True, text=True, timeout=300, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text()), proc


def test_stdout_is_the_json_object_and_the_table_goes_to_stderr(dry_run):
    report, proc = dry_run
    assert json.loads(proc.stdout) == report
    assert "DRY RUN" in proc.stderr and "MFU" in proc.stderr


def test_labelled_as_dry_run_against_a_nominal_peak(dry_run):
    report, _ = dry_run
    assert report["dry_run"] is True
    assert "nominal" in report["peak_source"] and positive(report["peak_tflops"])
    assert "6 * N" in report["flops_formula"] and "12 * L * d * T" in report["flops_formula"]
    assert report["goal"]["met"] is None and "dry run" in report["goal"]["text"]
    assert report["skipped"] == []
    assert report["complete"] is True


def test_training_runs_ours_compiled_and_trl_with_positive_figures(dry_run):
    report, _ = dry_run
    runs = {(r["trainer"], r["compile"]): r for r in report["train"]}
    assert set(runs) == {("rmbench", False), ("rmbench", True), ("trl", False)}, report["train"]
    for run in runs.values():
        assert "error" not in run, run
        for key in ("pairs_per_s", "tokens_per_s", "tflops", "mfu", "measured_seconds", "non_embedding_params"):
            assert positive(run[key]), (key, run)
        assert run["measured_steps"] == report["settings"]["steps"]
        assert 0 <= run["padding_share"] < 1
    assert runs[("rmbench", False)]["sampling"] == "group_by_length"
    # TRL saw every pair: the repo's encoder kept each side within max_length
    assert runs[("trl", False)]["kept_pairs"] == runs[("trl", False)]["given_pairs"] == report["train_data"]["pairs"]
    ratios = report["ratios"]["gpt2-medium"]
    assert positive(ratios["rmbench_over_trl"]) and positive(ratios["compiled_over_eager"])


def test_scoring_against_naive(dry_run):
    s = dry_run[0]["scoring"]
    assert "error" not in s, s
    assert positive(s["ours_pairs_per_s"]) and positive(s["naive_pairs_per_s"]) and positive(s["speedup"])
    assert 0 < s["unique_inputs"] <= s["pair_sides"]


def test_flops_formula_by_hand():
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        from gpu_parts import peak_tflops, sequence_flops
    finally:
        sys.path.remove(str(SCRIPT.parent))
    # two sequences of 10 and 4 tokens, N = 100, L = 2, d = 8
    assert sequence_flops([10, 4], 100, 2, 8) == 10 * (600 + 192 * 10) + 4 * (600 + 192 * 4)
    assert peak_tflops("NVIDIA H200", None, False)[0] == 989.0
    assert peak_tflops("NVIDIA H100 PCIe", None, False)[0] == 756.0
    assert peak_tflops("Some New GPU", None, False)[0] is None
    assert peak_tflops("Some New GPU", 123.0, False) == (123.0, "--peak-tflops")


def test_out_keeps_each_finished_run_when_the_script_is_stopped(tmp_path, monkeypatch):
    """A lent device can be taken back mid-run: --out holds every run finished before that."""
    monkeypatch.syspath_prepend(str(SCRIPT.parent))
    import bench_gpu

    calls = []

    def fake_ours(size, *a, **kw):
        calls.append(size)
        if len(calls) == 2:
            raise KeyboardInterrupt  # what a stopped process sees; not caught as a failed run
        return {"pairs_per_s": 2.0, "mfu": 0.25}

    monkeypatch.setattr(bench_gpu, "run_ours", fake_ours)
    out = tmp_path / "gpu.json"
    from datasets import enable_progress_bars
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    try:
        with pytest.raises(KeyboardInterrupt):
            bench_gpu.main(["--dry-run", "--sizes", "gpt2-medium", "--no-trl", "--out", str(out)])
    finally:  # main() quiets both libraries for its process; this one runs other tests after
        hf_logging.set_verbosity(verbosity)
        hf_logging.enable_progress_bar()
        enable_progress_bars()
    kept = json.loads(out.read_text())
    assert kept["complete"] is False
    assert kept["train"] == [{"size": "gpt2-medium", "trainer": "rmbench", "compile": False,
                              "pairs_per_s": 2.0, "mfu": 0.25}]
    assert kept["goal"]["best_mfu"] == 0.25 and kept["goal"]["met"] is None  # a dry run is never judged
