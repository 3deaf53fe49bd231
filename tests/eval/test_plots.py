"""PNG figures: what each one draws, read from the image's own header where a test can."""

from __future__ import annotations

import struct

import pytest

pytest.importorskip("matplotlib")

from rmbench.eval import plots  # noqa: E402
from rmbench.run.sweep_plots import curves_plot  # noqa: E402


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


# -- a run's figures (rmbench.eval.plots_run): what a reader of report.html sees ---------------
def _capture(monkeypatch):
    """The figures plots_run draws, kept open instead of written."""
    from rmbench.eval import plots_run

    figs = []
    monkeypatch.setattr(plots_run, "_save", lambda fig, path: figs.append(fig) or path.name)
    return figs


def _card(n: int, posts: int, too_small: bool = False) -> dict:
    return {"n": n, "posts": posts, "accuracy": 0.8, "ci95": [0.78, 0.82], "too_small": too_small,
            "baselines": {"random": {"accuracy": 0.5, "expectation": True},
                          "longer": {"accuracy": 0.6, "ci95": [0.57, 0.63]},
                          "later": {"accuracy": 1.0, "ci95": [1.0, 1.0], "by_construction": True}}}


def _run_doc(splits: int) -> dict:
    held = {"heldout_all": _card(1375, 312), "test": _card(34, 8, too_small=True)}
    other = {f"task{i}": {"role": "in_domain", "splits": {"test": _card(60, 20)}} for i in range(splits - 2)}
    return {"model": {"id": "minilm"}, "results": {"wp": {"role": "heldout", "splits": held}, **other}}


def test_the_accuracy_figure_keeps_its_width_and_says_each_splits_n(tmp_path, monkeypatch):
    from rmbench.eval import plots_run

    # nine splits drew a 1,537 px wide figure that report.html shows at 760 px: 4 px labels
    widths = [_size(tmp_path / plots_run.accuracy_bars(_run_doc(k), tmp_path / f"a{k}.png"))[0] for k in (2, 9)]
    assert max(widths) <= 900 and abs(widths[0] - widths[1]) < 60
    figs = _capture(monkeypatch)
    plots_run.accuracy_bars(_run_doc(3), tmp_path / "b.png")
    ax = figs[0].axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "wp heldout_all\n(heldout, n=1,375, 312 posts)" and "too small" in labels[1]
    assert "%" in ax.get_xlabel() and ax.get_xlim()[1] > 100  # in %, as the tables beside it


def test_calibration_leaves_out_too_small_splits_and_names_each_lines_n(tmp_path, monkeypatch):
    from rmbench.eval import plots_run

    figs = _capture(monkeypatch)
    rewards = {("wp", "heldout_all"): ([1.0, 0.5, -0.2] * 10, [0.0] * 30), ("wp", "test"): ([1.0] * 4, [0.0] * 4)}
    plots_run.calibration(rewards, tmp_path / "c.png", 10, _run_doc(2))
    legend = figs[0].axes[0].get_legend()
    texts = [t.get_text() for t in legend.get_texts()]
    assert "wp/heldout_all (n=30)" in texts and not any("wp/test" in t for t in texts)
    assert "1 too-small split(s) not drawn" in legend.get_title().get_text()
    # only too-small splits (a --limit run): drawn rather than an empty figure
    plots_run.calibration({("wp", "test"): ([1.0] * 4, [0.0] * 4)}, tmp_path / "d.png", 10, _run_doc(2))
    assert "wp/test (n=4)" in [t.get_text() for t in figs[1].axes[0].get_legend().get_texts()]


def test_the_training_curve_names_each_axis_chance_line(tmp_path, monkeypatch):
    from rmbench.eval import plots_run

    figs = _capture(monkeypatch)
    log = [{"step": 4, "loss": 0.69}, {"step": 8, "eval_loss": 0.63, "eval_accuracy": 0.74}, {"step": 8, "loss": 0.6}]
    plots_run.training_curve(log, tmp_path / "t.png")
    texts = [t.get_text() for t in figs[0].axes[0].get_legend().get_texts()]
    # the 0.5 accuracy line was drawn unlabelled, where it read as a loss of 0.63 on the left axis
    assert "chance accuracy, 50% (right)" in texts and "chance loss, ln 2 (left)" in texts
    assert figs[0].axes[1].get_ylim()[1] > 100 and "%" in figs[0].axes[1].get_ylabel()


def test_the_learning_curve_panels_share_a_unit_and_name_the_split(tmp_path, monkeypatch):
    figs = []
    monkeypatch.setattr(plots, "_save", lambda fig, path: figs.append(fig) or path.name)
    curves_plot({"minilm": [_point(500, -0.03, 0.04), _point(2000, 0.01, 0.07)]}, tmp_path / "c.png", "gradschool")
    acc, diff = figs[0].axes
    # the left panel drew 0.6 beside the right panel's points, and never said which split it scores
    assert acc.get_title() == "Learning curves: gradschool heldout_all" and "%" in acc.get_ylabel()
    assert acc.get_ylim()[0] > 50 and "points" in diff.get_ylabel()


def test_the_forest_plot_says_what_its_colours_mean_and_which_rows_are_in_domain(tmp_path, monkeypatch):
    figs = []
    monkeypatch.setattr(plots, "_save", lambda fig, path: figs.append(fig) or path.name)
    row = {"run": "b", "task": "wp", "split": "heldout_all", "role": "heldout", "n": 1375, "too_small": False,
           "verdict": "better", "diff": {"value": 0.05, "ci95": [0.02, 0.08]}}
    rows = [row, {**row, "task": "gs", "split": "test", "role": "in_domain", "n": 30, "too_small": True,
                  "verdict": "too small", "diff": {"value": 0.1, "ci95": [-0.2, 0.3]}}]
    plots.compare_forest({"rows": rows, "first": "a", "runs": [{"synthetic_data": False}]}, tmp_path / "f.png")
    ax = figs[0].axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["b: wp heldout_all (n=1,375)",
                                                            "b: gs test (in_domain, n=30), too small"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["better (interval above 0)", "too small"]


def test_leave_one_out_leaves_a_too_small_splits_interval_out_of_the_axis(tmp_path, monkeypatch):
    # a 7-pair split's interval (-78 .. 0 points) set the axis and squeezed every counted row into 20 points
    figs = []
    monkeypatch.setattr(plots, "_save", lambda fig, path: figs.append(fig) or path.name)
    row = {"split": "heldout_all_hard", "seed": 0, "diff_confounds": 0.05, "diff_confounds_ci95": [0.01, 0.09]}
    rows = [{**row, "task": "a", "n": 1132}, {**row, "task": "g", "n": 889, "diff_confounds": 0.12},
            {**row, "task": "e", "n": 7, "too_small": True, "diff_confounds": -0.36, "diff_confounds_ci95": [-0.78, 0.0]}]
    block = {"diff": {"value": 0.08, "ci95": [0.05, 0.11]}, "n": 2028}
    doc = {"tasks": ["a", "e", "g"], "seeds": [0], "versus": "confounds", "rows": rows,
           "summary": {"heldout_all_hard": {"n": 2028, "pooled": block, "mean_of_tasks": {**block, "n": 2021}}}}
    plots.leave_one_out(doc, tmp_path / "loo.png")
    ax = figs[0].axes[0]
    assert ax.get_xlim()[0] > -10, ax.get_xlim()
    assert "e (n=7, too small: not drawn)" in [t.get_text() for t in ax.get_yticklabels()]


def test_the_transfer_heatmap_is_in_percent_and_names_a_too_small_column(tmp_path, monkeypatch):
    figs = []
    monkeypatch.setattr(plots, "_save", lambda fig, path: figs.append(fig) or path.name)
    plots.transfer_heatmap(["a", "e"], ["a", "e"], [[0.627, 0.625], [0.518, None]], tmp_path / "t.png",
                           {"e": {"n": 16, "posts": 4}})
    ax = figs[0].axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "e\n(n=16, too small)"]
    assert sorted(t.get_text() for t in ax.texts) == ["51.8", "62.5", "62.7*"]


def test_the_adaptation_curve_is_in_percent_and_says_when_its_test_split_is_too_small(tmp_path, monkeypatch):
    figs = []
    monkeypatch.setattr(plots, "_save", lambda fig, path: figs.append(fig) or path.name)
    pts = [{"k": k, "accuracy": a, "ci95": [a - 0.1, a + 0.1], "n": 34, "posts": 8, "too_small": True}
           for k, a in ((0, 0.7), (100, 0.8))]
    plots.adapt_curve(pts, tmp_path / "a.png", {"longer": 0.6}, title="Few-shot adaptation: held-out wp (test)")
    ax = figs[0].axes[0]
    assert ax.get_title().endswith("34 pairs from 8 posts: too small to count")
    assert list(ax.lines[0].get_ydata()) == pytest.approx([70.0, 80.0])
    assert "chance (50%)" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_the_adaptation_curve_writes_each_ks_paired_gain_beside_its_point(tmp_path, monkeypatch):
    figs = []
    monkeypatch.setattr(plots, "_save", lambda fig, path: figs.append(fig) or path.name)
    gain = {"value": 0.071, "ci95": [0.021, 0.119], "n": 422, "posts": 94, "too_small": False}
    pts = [{"k": 0, "accuracy": 0.737, "ci95": [0.69, 0.79], "n": 422, "posts": 94, "gain": None},
           {"k": 1000, "accuracy": 0.808, "ci95": [0.765, 0.848], "n": 422, "posts": 94, "gain": gain}]
    plots.adapt_curve(pts, tmp_path / "a.png", {"confounds": 0.71}, split="heldout_unseen")
    ax = figs[0].axes[0]
    assert [t.get_text() for t in ax.texts] == ["Δ k = 0: +7.1 [+2.1, +11.9]"]
    assert ax.get_ylabel() == "accuracy % on heldout_unseen (95% CI)"
    figs.clear()  # several draw seeds: each one's point beside their average
    pts[1]["gain_by_seed"] = {"0": {**gain, "value": 0.05}, "1": {**gain, "value": 0.092}}
    plots.adapt_curve(pts, tmp_path / "a.png", None, split="heldout_unseen")
    dots = next(ln for ln in figs[0].axes[0].lines if ln.get_label() == "each draw seed")
    assert list(dots.get_ydata()) == pytest.approx([78.7, 82.9]) and list(dots.get_xdata()) == [1000, 1000]



def test_the_adaptation_curve_draws_the_same_pairs_trained_from_scratch_beside_each_k(tmp_path, monkeypatch):
    figs = []
    monkeypatch.setattr(plots, "_save", lambda fig, path: figs.append(fig) or path.name)
    pts = [{"k": 0, "accuracy": 0.65, "ci95": [0.62, 0.68], "n": 2600, "posts": 600},
           {"k": 100, "accuracy": 0.66, "ci95": [0.63, 0.69], "n": 2600, "posts": 600,
            "scratch": {"value": 0.55, "ci95": [0.52, 0.58]}},
           {"k": 1000, "accuracy": 0.67, "ci95": [0.64, 0.7], "n": 2600, "posts": 600,
            "scratch": {"value": 0.6, "ci95": [0.57, 0.63]}}]
    plots.adapt_curve(pts, tmp_path / "a.png", None, split="heldout_unseen")
    ax = figs[0].axes[0]
    alone = next(c for c in ax.containers if c.get_label() == "same k pairs alone, from scratch (95% CI)").lines[0]
    assert list(alone.get_ydata()) == pytest.approx([55.0, 60.0]) and list(alone.get_xdata()) == pytest.approx([106, 1060])
