"""Submission validation: one accepted file, then one rejected case per rule, all at once."""

from __future__ import annotations

import base64
import copy
import hashlib
import json

import pytest

from rmbench.leaderboard.names import name_problems
from rmbench.leaderboard.store import MAX_SUBMISSION_BYTES
from rmbench.leaderboard.tracks import load_tracks
from rmbench.leaderboard.validate import validate_file, validate_files, validate_submission


@pytest.fixture
def board(tmp_path, make_board):
    return make_board(tmp_path)


@pytest.fixture
def good(board, make_results, make_submission):
    _, data = board
    return make_submission("good-model", make_results(data, ["writingprompts"]))


def rules(problems) -> set[str]:
    return {p.rule for p in problems}


def check(sub, board, **kw):
    return validate_submission(sub, load_tracks(board[0]), **kw)


def test_a_consistent_submission_passes(good, board):
    assert check(good, board, file_stem="good-model") == []


def _png_entry(raw: bytes) -> dict:
    return {"sha256": hashlib.sha256(raw).hexdigest(), "bytes": len(raw), "png_base64": base64.b64encode(raw).decode()}


def test_a_valid_plot_passes(good, board, tiny_png):
    good["plots"] = {"learning_curve.png": _png_entry(tiny_png())}
    assert check(good, board) == []


# Each case breaks one rule; the rule id must be among the problems found.
# An edit is ``edit(submission, png)``; ``png`` is a real PNG (from the tiny_png fixture).
def _set(path, value):
    def edit(sub, png):
        d = sub
        for k in path[:-1]:
            d = d[k]
        d[path[-1]] = value
    return edit


HELD = ("results", "results", "writingprompts", "splits", "test")
CASES = {
    "schema": _set(("results", "model", "parameters"), -5),
    "name": _set(("name",), "../evil"),
    "unknown_track": _set(("track",), "nope"),
    "benchmark_version": _set(("results", "rmbench_version"), "9.4.0"),
    "data_label": _set(("results", "synthetic_data"), False),
    "task_missing": lambda s, png: s["results"]["results"].pop("writingprompts"),
    "task_version": _set(("results", "data", "tasks", "writingprompts", "version"), "99"),
    "fingerprint": _set(("results", "data", "tasks", "writingprompts", "fingerprints", "test"), "0" * 64),
    "leakage": lambda s, png: s["results"]["train_tasks"].append("writingprompts"),
    "count": _set(HELD + ("n",), 150),
    "accuracy_missing": _set(HELD + ("accuracy",), None),
    "ci": _set(HELD + ("ci95",), [0.1, 0.2]),
    "count_consistency": _set(HELD + ("accuracy",), 0.70123),
    "summary": _set(("results", "summary", "heldout_mean_accuracy"), 0.9),
    "plot": lambda s, png: s.update(plots={"curve.png": {**_png_entry(png), "sha256": "1" * 64}}),
}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_each_rule_rejects_its_case(rule, good, board, tiny_png):
    CASES[rule](good, tiny_png())
    found = rules(check(good, board))
    assert rule in found, found


def test_metric_out_of_range_is_rejected(good, board):
    good["results"]["results"]["writingprompts"]["splits"]["test"]["accuracy"] = 1.2
    problems = check(good, board)
    assert any(p.rule == "schema" and "accuracy" in p.where for p in problems)


def test_tampered_fingerprint_is_rejected_even_when_everything_else_fits(good, board):
    fp = good["results"]["data"]["tasks"]["writingprompts"]["fingerprints"]
    fp["test_hard"] = hashlib.sha256(b"a different test_hard set").hexdigest()
    problems = check(good, board)
    assert [p.rule for p in problems] == ["fingerprint"]
    assert "test_hard" in problems[0].where


def test_every_problem_is_listed_at_once(good, board):
    for rule in ("name", "fingerprint", "count", "ci", "leakage", "data_label"):
        CASES[rule](good, None)
    assert {"name", "fingerprint", "count", "ci", "leakage", "data_label"} <= rules(check(good, board))


def test_duplicate_name_is_rejected(good, board):
    assert "duplicate_name" in rules(check(good, board, taken_names={"good-model"}))


def test_name_must_match_the_file(good, board):
    assert "name_matches_file" in rules(check(good, board, file_stem="other"))


@pytest.mark.parametrize("bad", ["../x", "/abs", "a/b", "a\\b", "..", ".hidden", "x.", "-x", "UPPER",
                                 "ｆｕｌｌｗｉｄｔｈ", "cafe\u0301", "caf\u00e9", "name\n", "a b", "a..b",
                                 "con", "nul.json", "index", "", "x" * 65, "a\x00b"])
def test_unsafe_names_are_rejected(bad):
    assert name_problems(bad), bad


@pytest.mark.parametrize("ok", ["minilm-demo", "baseline-longer", "org.model_v2", "a", "7b"])
def test_safe_names_pass(ok):
    assert name_problems(ok) == []


def test_path_traversal_name_is_rejected_in_a_submission(good, board):
    good["name"] = "../../etc/passwd"
    problems = check(good, board)
    assert {"name", "schema"} <= rules(problems)


def test_url_must_be_http(good, board):
    good["url"] = "javascript:alert(1)"
    assert any(p.where == "url" for p in check(good, board))


def test_oversized_file_is_rejected_unread(tmp_path, board):
    path = tmp_path / "big.json"
    path.write_bytes(b" " * (MAX_SUBMISSION_BYTES + 1))
    assert rules(validate_file(path, load_tracks(board[0]))) == {"file_size"}


def test_broken_json_is_reported(tmp_path, board):
    path = tmp_path / "broken.json"
    path.write_text('{"kind": ')
    assert rules(validate_file(path, load_tracks(board[0]))) == {"json"}


def test_two_files_with_one_name_are_a_duplicate(tmp_path, good, board):
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        d.mkdir()
        (d / "good-model.json").write_text(json.dumps(good))
    report = validate_files([a / "good-model.json", b / "good-model.json"], load_tracks(board[0]))
    assert list(map(rules, report.values())) == [set(), {"duplicate_name"}]


def test_an_empty_test_hard_split_may_be_left_out(tmp_path, make_board, make_results, make_submission):
    sizes = {"emory": {"train": 50, "validation": 5, "test": 16, "test_hard": 0},
             "gradschool": {"train": 50, "validation": 5, "test": 20, "test_hard": 4}}
    board, data = make_board(tmp_path, sizes=sizes, heldout=("emory",), synthetic=False)
    results = make_results(data, ["emory"])
    assert "test_hard" not in results["results"]["emory"]["splits"]  # the harness skips empty splits
    sub = make_submission("real-model", results)
    assert validate_submission(sub, load_tracks(board)) == []


def test_a_submission_too_big_to_write_is_rejected(good, board):
    good["results"]["config"]["padding"] = "x" * MAX_SUBMISSION_BYTES
    assert "file_size" in rules(check(good, board))


# -- every number is recomputed from the predictions (issue 12) -------------------------------------
def _repack(sub, edit):
    """Change the predictions (``edit(rows)``) and pack them again, consistently."""
    from rmbench.leaderboard.frozen import CUT_KEYS, PREDICTION_KEYS, pack, unpack

    rows = unpack(sub["predictions"], "predictions", PREDICTION_KEYS, CUT_KEYS)
    sub["predictions"] = pack(edit(rows) or rows)


@pytest.mark.parametrize("claim", [(0.95, [0.0, 1.0]), (0.811, [0.75, 0.86])])
def test_a_claimed_accuracy_or_interval_the_predictions_do_not_give_is_rejected(good, board, claim):
    split = good["results"]["results"]["writingprompts"]["splits"]["test"]
    split["accuracy"], split["ci95"] = claim
    problems = check(good, board)
    assert {"recomputed"} <= rules(problems)
    assert any(p.where.endswith("test/accuracy") and "0.7" in p.message for p in problems)
    assert any(p.where.endswith("test/ci95") for p in problems)


def test_a_shifted_interval_alone_is_caught(good, board):
    split = good["results"]["results"]["writingprompts"]["splits"]["test"]
    split["ci95"] = [split["ci95"][0] - 0.01, split["ci95"][1] - 0.01]
    assert rules(check(good, board)) == {"recomputed"}


def test_predictions_must_cover_exactly_the_frozen_pairs(good, board):
    import copy

    missing, extra = copy.deepcopy(good), copy.deepcopy(good)
    _repack(missing, lambda rows: rows[1:])
    _repack(extra, lambda rows: rows + [{**rows[0], "pair_id": "not:a:pair"}])
    for sub in (missing, extra):
        problems = check(sub, board)
        assert any(p.rule == "predictions" and "writingprompts/test" in p.where for p in problems), problems


def test_rewards_that_are_not_finite_or_a_block_that_explodes_are_problems(good, board):
    import base64
    import copy
    import zlib

    from rmbench.leaderboard.frozen import MAX_TEXT_BYTES

    nan = copy.deepcopy(good)
    text = b'{"task":"writingprompts","split":"test","pair_id":"x","reward_chosen":NaN,"reward_rejected":0}\n'
    nan["predictions"] = {"encoding": "zlib+base64", "rows": 1, "sha256": hashlib.sha256(text).hexdigest(),
                          "data": base64.b64encode(zlib.compress(text)).decode()}
    bomb = copy.deepcopy(good)
    bomb["predictions"]["data"] = base64.b64encode(zlib.compress(b"\n" * (MAX_TEXT_BYTES + 10), 9)).decode()
    for sub, says in ((nan, "not a JSON number"), (bomb, "more than")):
        problems = check(sub, board)
        assert any(p.rule == "predictions" and says in p.message for p in problems), problems


def test_predictions_changed_behind_the_numbers_are_caught(good, board):
    _repack(good, lambda rows: [{**r, "reward_chosen": -r["reward_chosen"]} for r in rows])
    assert "recomputed" in rules(check(good, board))


def test_baseline_numbers_must_be_the_tracks(good, board):
    split = good["results"]["results"]["writingprompts"]["splits"]["test"]
    split["baselines"]["longer"]["accuracy"] = 0.01  # a weak baseline makes a big margin
    split["baselines"]["oracle"] = {"accuracy": 0.0, "ci95": [0.0, 0.0], "by_construction": False}
    problems = check(good, board)
    assert {p.where.rsplit("/", 2)[-2] for p in problems if p.rule == "baselines"} >= {"longer", "baselines"}


def test_a_baseline_is_only_ever_a_baseline(board, make_results, make_submission):
    _, data = board
    longer = make_results(data, ["writingprompts"], kind="baseline", model_id="baseline:longer", parameters=0)
    assert check(make_submission("baseline-longer-x", longer), board) == []
    assert "kind" in rules(check(make_submission("great-model", longer), board))  # a baseline under a model's name
    as_model = copy.deepcopy(longer)
    as_model["model"]["kind"] = "reward_model"
    assert "kind" in rules(check(make_submission("great-model", as_model), board))
    model_as_baseline = make_results(data, ["writingprompts"], parameters=0)  # a model's predictions
    model_as_baseline["model"] = longer["model"]
    assert "kind" in rules(check(make_submission("baseline-longer-y", model_as_baseline), board))
    fake = copy.deepcopy(longer)
    fake["model"]["id"] = "baseline:oracle"
    assert "kind" in rules(check(make_submission("baseline-oracle", fake), board))


def test_a_baseline_entry_is_recomputed_with_or_without_marking_itself(board, make_results, make_submission):
    """Since 2026-12-07 a baseline's cards mark it ``itself`` and never make it their own best
    baseline; entries written before (the committed ones) are checked as they were written."""
    _, data = board
    new = make_results(data, ["writingprompts"], kind="baseline", model_id="baseline:confounds", parameters=0)
    old = make_results(data, ["writingprompts"], kind="baseline", model_id="baseline:confounds", parameters=0,
                       mark_itself=False)
    card, before = (x["results"]["writingprompts"]["splits"]["test"] for x in (new, old))
    assert card["baselines"]["confounds"]["itself"] and card["best_baseline"] != "confounds"
    assert before["best_baseline"] == "confounds"  # the fixture's confounds is the best of the rules
    assert check(make_submission("baseline-confounds-new", new), board) == []
    assert check(make_submission("baseline-confounds-old", old), board) == []
    card["best_baseline"] = "confounds"  # a marked entry claiming itself as its best baseline
    problems = check(make_submission("baseline-confounds-bad", new), board)
    assert any(p.where.endswith("test/best_baseline") for p in problems)


@pytest.mark.parametrize("text,says", [
    ('{"name": NaN}', "not a JSON number"), ('{"n": 1e999}', "not finite"), ('{"n": -Infinity}', "not a JSON number"),
    ('{"a": ' + "[" * 1000 + "]" * 1000 + "}", "levels deep")])
def test_nan_infinity_and_deep_files_are_one_listed_problem(tmp_path, board, text, says):
    path = tmp_path / "hostile.json"
    path.write_text(text)
    problems = validate_file(path, load_tracks(board[0]))
    assert rules(problems) == {"json"} and says in problems[0].message


def test_non_finite_numbers_in_a_built_submission_are_rejected(good, board):
    good["results"]["results"]["writingprompts"]["splits"]["test"]["ece"] = float("nan")
    assert rules(check(good, board)) == {"non_finite"}


def test_a_headline_track_recomputes_every_post_and_the_paired_differences(tmp_path, make_board, make_results,
                                                                            make_submission, board_sizes):
    """A default freeze (heldout_all first): the board ranks on every held-out post, and a
    submission's paired difference to a baseline or its verdict is recomputed, not trusted."""
    from rmbench.leaderboard.ranking import heldout_mean
    from rmbench.leaderboard.tracks import TEST_SPLITS
    from rmbench.leaderboard.validate import check_file
    from rmbench.atomic import write_json

    board_sizes["writingprompts"]["all_hard"] = 60
    board, data = make_board(tmp_path, sizes=board_sizes, splits=TEST_SPLITS)
    correct = {"writingprompts": {"heldout_all": 200, "heldout_all_hard": 30}}
    sub = make_submission("every-post", make_results(data, ["writingprompts"], correct=correct, splits=TEST_SPLITS))
    path = board / "submissions" / "every-post.json"
    write_json(path, sub)
    problems, numbers, _ = check_file(path, load_tracks(board))
    assert problems == []
    assert heldout_mean(numbers) == pytest.approx(200 / 240)  # train + validation + test posts
    card = numbers.splits[("writingprompts", "heldout_all")]
    assert card["baselines"]["confounds"]["diff_ci95"][0] > 0 and card["clears_best_baseline"] is True

    split = sub["results"]["results"]["writingprompts"]["splits"]["heldout_all"]
    split["baselines"]["longer"]["diff_ci95"] = [0.0, 0.01]
    split["clears_best_baseline"] = False
    write_json(path, sub)
    problems, _, _ = check_file(path, load_tracks(board))
    where = {p.where for p in problems}
    assert "results/results/writingprompts/splits/heldout_all/baselines/longer/diff_ci95" in where
    assert "results/results/writingprompts/splits/heldout_all/clears_best_baseline" in where


def test_figures_are_checked_by_the_interval_rule_the_run_recorded(board, good, make_results, make_submission):
    from rmbench.eval.metrics import using_interval

    _, data = board
    assert good["results"]["config"]["eval"]["interval"] == "expanded"  # today's default, and it verifies
    with using_interval("percentile"):  # a run from before eval.interval: plain percentiles, no such key
        old = make_results(data, ["writingprompts"])
    del old["config"]["eval"]["interval"]
    assert check(make_submission("old-model", old), board) == []
    # the same figures claimed under the expanded rule are not what the predictions give
    old["config"]["eval"]["interval"] = "expanded"
    problems = check(make_submission("old-model", old), board)
    assert rules(problems) == {"recomputed", "baselines"} and any(p.where.endswith("test/ci95") for p in problems)
    bad = copy.deepcopy(good)
    bad["results"]["config"]["eval"]["interval"] = "bca"
    assert any(p.where == "results/config/eval/interval" and "unknown interval rule 'bca'" in p.message
               for p in check(bad, board))
