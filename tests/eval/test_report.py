"""report.md's words against results.json's numbers: a sentence a reader takes away must be one
the same split's figures support."""

from __future__ import annotations

from rmbench.eval.report import write_report
from rmbench.eval.report_findings import findings


def card(accuracy: float = 0.668, n: int = 5088, posts: int = 1231, too_small: bool = False, **kw) -> dict:
    """A scorecard shaped as results.json holds it; ``kw`` replaces any block."""
    base = {"n": n, "posts": posts, "largest_post_share": 0.001, "accuracy": accuracy, "ci95": [accuracy - 0.015,
            accuracy + 0.015], "best_baseline": "confounds", "clears_best_baseline": False, "too_small": too_small,
            "at_chance": False, "ece": 0.045, "mean_confidence": 0.19, "vs_chance": {"ci95": [0.15, 0.18]},
            "baselines": {"longer": {"accuracy": 0.667, "diff": 0.001, "diff_ci95": [-0.011, 0.014]},
                          "confounds": {"accuracy": 0.675, "diff": -0.007, "diff_ci95": [-0.019, 0.006]},
                          "random": {"accuracy": 0.5, "expectation": True, "diff": 0.168}},
            "length_controlled": {"accuracy": 0.573, "ci95": [0.560, 0.587], "n_longer": 3389, "n_shorter": 1694,
                                  "too_small": False},
            "cue_conflict": {}, "noise_ceiling": {"value": 0.96}, "truncated": {"any_share": 0.9},
            "stacked": {"available": True, "accuracy": 0.687, "confounds_accuracy": 0.675, "diff": 0.012,
                        "diff_ci95": [0.002, 0.022], "surface_accuracy": 0.676, "surface_diff": 0.011,
                        "surface_diff_ci95": [0.002, 0.021], "adds_information": True}}
    return {**base, **kw}


def doc(splits: dict, summary: dict | None = None) -> dict:
    return {"model": {"id": "minilm", "kind": "reward_model", "parameters": 1}, "holdout": ["askacademia"],
            "train_tasks": ["gradschool"], "results": {"askacademia": {"role": "heldout", "splits": splits}},
            "summary": {"headline": {}, **(summary or {})}, "data": {}, "hardware": {"device": "cpu"}}


def test_a_model_that_ties_longer_wins_but_beats_it_length_controlled_is_not_called_length_only():
    # reddit-college minilm-2k: +0.1 [-1.1, +1.4] to longer-wins on every AskAcademia post, yet
    # 57.3% [56.0, 58.7] length-controlled (longer-wins: 50%) and "adds information: yes"; the
    # report said "it has learned length, and nothing measurable ... beyond it".
    text = " ".join(findings(doc({"heldout_all": card()})))
    assert "nothing measurable" not in text and "indistinguishable" not in text
    assert "scores as longer-wins does on askacademia/heldout_all" in text and "not length alone" in text
    assert "length-controlled it scores 57.3% [56.0, 58.7] (longer-wins: 50%)" in text


def test_a_model_no_control_separates_from_longer_wins_is_still_called_length_only():
    plain = card(length_controlled={"accuracy": 0.51, "ci95": [0.49, 0.53], "n_longer": 3000, "n_shorter": 2000},
                 stacked={"available": True, "adds_information": False, "accuracy": 0.67, "confounds_accuracy": 0.675,
                          "diff": -0.005, "diff_ci95": [-0.01, 0.0]})
    text = " ".join(findings(doc({"heldout_all": plain})))
    assert "is indistinguishable from longer-wins on askacademia/heldout_all" in text and "nothing measurable" in text


def test_a_too_small_test_split_is_named_so_not_shown_as_a_missing_number(tmp_path):
    # the demo's WritingPrompts test (34 pairs, 8 posts) is scored but too small: the line read "-% / -%"
    d = doc({"heldout_all": card(), "test": card(n=34, posts=8, too_small=True)},
            {"heldout_mean_accuracy": None, "heldout_mean_accuracy_hard": None})
    write_report(d, tmp_path / "report.md")
    line = next(x for x in (tmp_path / "report.md").read_text().splitlines() if x.startswith("- test / test_hard"))
    assert "-%" not in line and "too small to count (34 pairs from 8 posts)" in line and line.endswith("/ not scored")
    d["summary"]["heldout_mean_accuracy"] = 0.647
    write_report(d, tmp_path / "report.md")
    assert "(comparable with in-domain numbers): 64.7% / not scored" in (tmp_path / "report.md").read_text()


def test_the_caption_names_heldout_unseen_only_where_a_card_has_it():
    from rmbench.eval.report import summary_sheet

    plain = summary_sheet(doc({"heldout_all": card(), "test": card()}))
    assert "heldout_all / heldout_all_hard = every post" in plain.caption and "heldout_unseen" not in plain.caption
    adapted = summary_sheet(doc({"heldout_unseen": card(n=2624, posts=638), "test": card()}))
    assert "heldout_unseen / heldout_unseen_hard = every post no cell of an adaptation curve drew" in adapted.caption


def _judge(consistency: float, ci: list, first: float) -> dict:
    return {"position_consistency": {"accuracy": consistency, "ci95": ci}, "first_position_rate": first,
            "first_position_baseline": 0.5, "verdict_accuracy": {"accuracy": 0.5, "ci95": [0.5, 0.5]},
            "label_mass": 0.12, "orders": 2}


def test_a_judge_that_answers_by_position_is_named_so_in_the_report_and_on_the_terminal(tmp_path):
    # SmolLM2-135M as a judge on real AskAcademia votes: "A" every time, consistency 0, first-position
    # rate 1.0 -- results.json had it, and neither report.md nor the terminal said so.
    d = doc({"heldout_all": card(accuracy=0.525, judge=_judge(0.0, [0.0, 0.0], 1.0))})
    d["model"]["model_kind"] = "judge"
    write_report(d, tmp_path / "report.md")
    text = (tmp_path / "report.md").read_text()
    assert "**minilm judges by position on askacademia/heldout_all**: the same verdict in both orders on 0.0%" in text
    assert "reply shown first in 100.0% of its verdicts" in text and "12.0% of its probability" in text
    assert "- model: reward_model (judge), 1 parameters" in text
    # a judge that reads the replies gets the check, not the warning; a classifier gets neither
    fair = " ".join(findings(doc({"heldout_all": card(judge=_judge(0.8, [0.75, 0.85], 0.55))})))
    assert "Position check of judge minilm on askacademia/heldout_all: the same verdict in both orders on 80.0%" in fair
    assert "by position" not in fair
    assert "osition" not in " ".join(findings(doc({"heldout_all": card()})))
