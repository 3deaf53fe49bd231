"""PNG figures: what each one draws, read from the image's own header where a test can."""

from __future__ import annotations

import struct

import pytest

pytest.importorskip("matplotlib")

from rmbench.eval import plots  # noqa: E402
from rmbench.run.sweep import curves_plot  # noqa: E402


def _size(path) -> tuple[int, int]:
    head = open(path, "rb").read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


def _point(n: int, diff: float | None, diff_hard: float | None) -> dict:
    return {"train_pairs": n, "split": "heldout_all", "accuracy": 0.6 + n / 1e5, "ci95": [0.55, 0.65],
            "best_baseline": "confounds", "best_baseline_accuracy": 0.69, "confounds": 0.69,
            "diff_confounds": diff, "diff_confounds_ci95": None if diff is None else [diff - 0.02, diff + 0.02],
            "diff_confounds_hard": diff_hard,
            "diff_confounds_hard_ci95": None if diff_hard is None else [diff_hard - 0.03, diff_hard + 0.03]}


def test_learning_curves_draw_the_difference_to_confounds_beside_accuracy(tmp_path):
    curves = {"minilm": [_point(500, -0.03, 0.04), _point(2000, 0.01, 0.07)]}
    two = _size(tmp_path / curves_plot(curves, tmp_path / "two.png"))
    # cells from before per-point differences (or no confounds fit): the accuracy panel alone
    old = {"minilm": [_point(500, None, None), _point(2000, None, None)]}
    one = _size(tmp_path / curves_plot(old, tmp_path / "one.png"))
    assert two[0] > 1.6 * one[0] and two[1] == one[1]
    # a difference without its interval (null bounds, or none at all) is drawn, without a band
    bare = {"minilm": [{**_point(500, -0.03, 0.04), "diff_confounds_ci95": [None, None]}, _point(2000, 0.01, None)]}
    assert _size(tmp_path / curves_plot(bare, tmp_path / "bare.png"))[0] > 1.6 * one[0]


def test_learning_curves_without_baselines_or_differences(tmp_path):
    name = plots.learning_curves({"m": [(10, 0.6, 0.5, 0.7), (100, 0.7, 0.6, 0.8)]}, tmp_path / "c.png")
    assert name == "c.png" and _size(tmp_path / name)[0] > 0
