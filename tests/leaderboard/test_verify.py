"""`rmbench leaderboard verify`: a submitted model re-scores its track's test sets."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from rmbench.cli import main
from rmbench.leaderboard.cli import leaderboard_group
from rmbench.atomic import write_json
from rmbench.leaderboard.tracks import freeze

SIZES = {"writingprompts": {"train": 8, "validation": 4, "test": 24, "test_hard": 12},
         "askacademia": {"train": 8, "validation": 4, "test": 10, "test_hard": 4}}


def _evaluate(prep, model: str, out):
    """results.json for ``model``, written by the harness itself (`rmbench evaluate`)."""
    res = CliRunner().invoke(main, ["evaluate", "--model", model, "--data", str(prep), "--tasks", "writingprompts",
                                    "--max-length", "64", "--out", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="module")
def setup(tmp_path_factory, tiny_bert_dir, write_prepared):
    root = tmp_path_factory.mktemp("verify")
    prep = write_prepared(root / "prep", SIZES)
    board = root / "leaderboard"
    freeze(board, prep, "demo", ["writingprompts"], "demo")
    model = tiny_bert_dir(root / "model", seed=0)
    for name, m in (("tiny", str(model)), ("baseline-longer", "baseline:longer"), ("baseline-random", "baseline:random")):
        run = _evaluate(prep, m, root / f"run-{name}")
        res = CliRunner().invoke(main, ["submit", str(run), "--name", name, "--leaderboard-dir", str(board)])
        assert res.exit_code == 0, res.output
    return root, board, prep, model


def verify(board, *args):
    return CliRunner().invoke(leaderboard_group, ["verify", "--leaderboard-dir", str(board), *args])


def test_a_saved_model_reproduces(setup):
    root, board, prep, model = setup
    assert CliRunner().invoke(leaderboard_group, ["validate", "--leaderboard-dir", str(board)]).exit_code == 0
    res = verify(board, "tiny", "--data", str(prep), "--model", str(model), "--eval-batch-size", "3")
    assert res.exit_code == 0, res.output
    assert "weights: match" in res.output and "reproduced" in res.output


@pytest.mark.parametrize("name", ["baseline-longer", "baseline-random"])
def test_a_baseline_reproduces_without_a_model(setup, name):
    _, board, prep, _ = setup
    res = verify(board, name, "--data", str(prep))
    assert res.exit_code == 0, res.output


def test_the_model_is_found_from_its_submitted_id(setup):
    _, board, prep, _ = setup
    res = verify(board, "tiny", "--data", str(prep))
    assert res.exit_code == 0 and "weights: match" in res.output


def test_a_claimed_accuracy_outside_reach_does_not_even_validate(setup, tmp_path):
    _, board, prep, model = setup
    sub = json.loads((board / "submissions" / "tiny.json").read_text())
    split = sub["results"]["results"]["writingprompts"]["splits"]["test"]
    fake = 1.0 if split["accuracy"] < 0.5 else 0.0  # as far from the truth as the scale allows
    split["accuracy"], split["ci95"] = fake, [0.0, 1.0]  # an interval wide enough for any re-score
    write_json(board / "submissions" / "tiny-claimed.json", sub | {"name": "tiny-claimed"})
    try:
        res = verify(board, "tiny-claimed", "--data", str(prep), "--model", str(model))
        assert res.exit_code == 1 and "does not validate" in res.output and "[recomputed]" in res.output
    finally:
        (board / "submissions" / "tiny-claimed.json").unlink()


def test_predictions_the_model_does_not_give_fail_even_when_every_number_agrees(setup):
    """Rewards shifted by 1: the same differences, so every accuracy, interval and calibration still
    validates; only re-scoring the model shows they are not its rewards."""
    from rmbench.leaderboard.frozen import CUT_KEYS, PREDICTION_KEYS, pack, unpack

    _, board, prep, model = setup
    sub = json.loads((board / "submissions" / "tiny.json").read_text())
    rows = unpack(sub["predictions"], "p", PREDICTION_KEYS, CUT_KEYS)
    sub["predictions"] = pack([{**r, "reward_chosen": r["reward_chosen"] + 1, "reward_rejected": r["reward_rejected"] + 1}
                               for r in rows])
    write_json(board / "submissions" / "tiny-shifted.json", sub | {"name": "tiny-shifted"})
    try:
        check = CliRunner().invoke(leaderboard_group, ["validate", "--leaderboard-dir", str(board)])
        assert check.exit_code == 0, check.output
        res = verify(board, "tiny-shifted", "--data", str(prep), "--model", str(model))
        assert res.exit_code == 1 and "NOT reproduced" in res.output
    finally:
        (board / "submissions" / "tiny-shifted.json").unlink()


def test_a_changed_config_or_tokenizer_is_another_model(setup, tmp_path):
    import shutil

    _, board, prep, model = setup
    for name, edit in (("config.json", lambda c: c | {"hidden_act": "relu"}),
                       ("tokenizer_config.json", lambda c: c | {"do_lower_case": not c.get("do_lower_case", True)})):
        copy = tmp_path / f"changed-{name}"
        shutil.copytree(model, copy)
        (copy / name).write_text(json.dumps(edit(json.loads((copy / name).read_text()))))
        res = verify(board, "tiny", "--data", str(prep), "--model", str(copy))
        assert res.exit_code == 1 and "weights: differ" in res.output, name


def test_record_marks_the_entry_verified_until_its_file_changes(setup):
    from rmbench.leaderboard.ranking import load_board

    _, board, prep, model = setup
    res = verify(board, "tiny", "--data", str(prep), "--model", str(model), "--record")
    assert res.exit_code == 0 and "recorded in" in res.output, res.output
    badges = {r.name: r.badge for r in load_board(board).rows["demo"]}
    assert badges["tiny"] == "verified" and badges["baseline-longer"] == "self-reported"
    path = board / "submissions" / "tiny.json"
    original = path.read_bytes()
    try:
        path.write_bytes(original.replace(b'"Test', b'"Other') if b'"Test' in original else original + b"\n")
        assert {r.name: r.badge for r in load_board(board).rows["demo"]}["tiny"] == "self-reported"
    finally:
        path.write_bytes(original)
        (board / "verified.json").unlink()


def test_other_weights_are_caught(setup, tmp_path, tiny_bert_dir):
    _, board, prep, _ = setup
    other = tiny_bert_dir(tmp_path / "other", seed=1)
    res = verify(board, "tiny", "--data", str(prep), "--model", str(other))
    assert res.exit_code == 1 and "weights: differ" in res.output


def test_data_that_is_not_the_track_is_refused(setup, tmp_path, write_prepared):
    _, board, _, model = setup
    wrong = write_prepared(tmp_path / "wrong", {**SIZES, "writingprompts": {**SIZES["writingprompts"], "test": 30}})
    res = verify(board, "tiny", "--data", str(wrong), "--model", str(model))
    assert res.exit_code != 0 and "fingerprint" in res.output


def test_unknown_or_unsafe_names_are_refused(setup):
    _, board, prep, _ = setup
    for name in ("nobody", "../tiny"):
        res = verify(board, name, "--data", str(prep))
        assert res.exit_code != 0 and "no submission named" in res.output
    res = verify(board, "tinyy", "--data", str(prep))  # a typo is answered with the close name
    assert res.exit_code != 0 and "Did you mean tiny?" in res.output


def test_a_model_without_a_reward_head_is_refused_not_scored_with_a_random_one(tmp_path, write_prepared, tiny_bert_dir):
    """A base model has no trained head: scoring it would read a random head (a number that
    means nothing and differs per seed), so evaluate refuses it and nothing reaches the board."""
    from transformers import AutoTokenizer, BertModel

    prep = write_prepared(tmp_path / "prep", SIZES)
    with_head = tiny_bert_dir(tmp_path / "with-head", seed=3)
    base = tmp_path / "base"
    BertModel.from_pretrained(with_head).save_pretrained(base)  # the encoder only: no reward head
    AutoTokenizer.from_pretrained(with_head).save_pretrained(base)
    res = CliRunner().invoke(main, ["evaluate", "--model", str(base), "--data", str(prep), "--tasks", "writingprompts",
                                    "--out", str(tmp_path / "run"), "--quiet"])
    assert res.exit_code != 0
    assert "no trained reward head" in res.output
    assert not (tmp_path / "run").exists()  # a model that cannot be scored leaves no run directory

def _fabricate(board, name: str, nudge) -> dict:
    """The attack: edit the predictions with ``nudge(pair_id, chosen, rejected) -> (c, r)``,
    then recompute every claimed number from them with the board's own code, so the entry is
    consistent with itself and validates."""
    from rmbench.leaderboard.frozen import CUT_KEYS, PREDICTION_KEYS, pack, read_predictions, unpack
    from rmbench.leaderboard.recompute import recompute
    from rmbench.leaderboard.tracks import load_tracks

    sub = json.loads((board / "submissions" / "tiny.json").read_text())
    rows = unpack(sub["predictions"], "p", PREDICTION_KEYS, CUT_KEYS)
    edited = []
    for r in rows:
        c, x = nudge(r["pair_id"], r["reward_chosen"], r["reward_rejected"])
        edited.append({**r, "reward_chosen": c, "reward_rejected": x})
    sub["predictions"] = pack(edited)
    track = load_tracks(board)[sub["track"]]
    numbers, _ = recompute(sub["results"], track, *read_predictions(sub["predictions"]))
    res = sub["results"]
    for (t, s), card in numbers.splits.items():
        sp = res["results"][t]["splits"][s]
        for k in set(sp) & set(card):
            sp[k] = card[k]
    for k in set(res["summary"]) & set(numbers.summary):
        res["summary"][k] = numbers.summary[k]
    sub["name"] = name
    write_json(board / "submissions" / f"{name}.json", sub)
    return sub


def test_near_ties_nudged_inside_the_tolerance_do_not_earn_the_badge(setup):
    """Every loss turned into a win by moving the chosen reward just past the rejected one
    (far inside the per-reward tolerance): validate passes, verify does not."""
    from rmbench.leaderboard.verify import REWARD_ATOL

    _, board, prep, model = setup

    def nudge(pid, c, r):
        return (r + 1e-6, r) if c <= r and r - c < REWARD_ATOL / 2 else (c, r)

    _fabricate(board, "tiny-nudged", nudge)
    try:
        check = CliRunner().invoke(leaderboard_group, ["validate", "--leaderboard-dir", str(board)])
        assert check.exit_code == 0, check.output  # consistent with itself
        res = verify(board, "tiny-nudged", "--data", str(prep), "--model", str(model), "--record")
        assert res.exit_code == 1 and "NOT reproduced" in res.output, res.output
        assert "the predictions were edited" in res.output and "claimed" in res.output
        assert not (board / "verified.json").exists() or "tiny-nudged" not in (board / "verified.json").read_text()
    finally:
        (board / "submissions" / "tiny-nudged.json").unlink()


def _variant(board, name, edit):
    sub = json.loads((board / "submissions" / "tiny.json").read_text())
    edit(sub)
    write_json(board / "submissions" / f"{name}.json", sub | {"name": name})
    return board / "submissions" / f"{name}.json"


def test_validate_flags_made_up_intervals_and_label_leaks(setup):
    from rmbench.leaderboard.tracks import load_tracks
    from rmbench.leaderboard.validate import check_file
    from rmbench.run.plan import DELAY_FLAG

    _, board, _, _ = setup
    tracks = load_tracks(board)

    def made_up(sub):  # another seed, so the board's freeze settings differ, and an invented interval
        res = sub["results"]
        res["config"]["seed"] = 3
        res["results"]["writingprompts"]["splits"]["test"]["ci95"] = [0.01, 0.99]

    def leak(sub):  # the delay read under later-but-higher, and the harness's flag stripped
        sub["results"]["config"]["data"]["with_delay"] = True
        sub["results"]["config"]["data"]["allow_delay_leak"] = True
        sub["results"]["flags"] = [f for f in sub["results"].get("flags") or [] if f != DELAY_FLAG]

    for name, edit, rule, where in (("tiny-ci", made_up, "recomputed", "splits/test/ci95"),
                                    ("tiny-leak", leak, "label_leak", "with_delay")):
        path = _variant(board, name, edit)
        try:
            problems, _, _ = check_file(path, tracks)
            assert any(p.rule == rule and where in p.where for p in problems), (name, problems)
        finally:
            path.unlink()


def test_a_relative_model_path_is_read_beside_the_submission(setup, tmp_path):
    import shutil

    from rmbench.errors import LeaderboardError
    from rmbench.leaderboard.verify import stored_model

    _, board, prep, model = setup
    where = board / "submissions"
    with pytest.raises(LeaderboardError, match="relative path 'runs/x/model'.*pass --model"):
        stored_model("runs/x/model", where)
    assert stored_model("minilm", where) == "minilm" and stored_model("org/name", where) == "org/name"
    shutil.copytree(model, board / "models" / "tiny")
    path = _variant(board, "tiny-rel", lambda s: s["results"]["model"].update(id="../models/tiny"))
    try:
        res = CliRunner().invoke(leaderboard_group, ["verify", "--leaderboard-dir", str(board), "tiny-rel",
                                                     "--data", str(prep)])
        assert res.exit_code == 0 and "weights: match" in res.output, res.output
    finally:
        path.unlink()
        shutil.rmtree(board / "models")


def test_a_run_scored_in_bfloat16_is_re_scored_in_bfloat16(setup):
    """verify loads the model in the run's scoring dtype (--dtype): the same rewards again; read
    as float32 instead, the rewards move by bf16's rounding, far past the tolerance."""
    root, board, prep, model = setup
    run = CliRunner().invoke(main, ["evaluate", "--model", str(model), "--data", str(prep), "--tasks", "writingprompts",
                                    "--max-length", "64", "--dtype", "bfloat16", "--out", str(root / "run-bf16"), "--quiet"])
    assert run.exit_code == 0, run.output
    assert json.loads((root / "run-bf16" / "results.json").read_text())["config"]["model"]["dtype"] == "bfloat16"
    sub = CliRunner().invoke(main, ["submit", str(root / "run-bf16"), "--name", "tiny-bf16", "--leaderboard-dir", str(board)])
    assert sub.exit_code == 0, sub.output
    path = board / "submissions" / "tiny-bf16.json"
    try:
        res = verify(board, "tiny-bf16", "--data", str(prep), "--model", str(model))
        assert res.exit_code == 0 and "reproduced" in res.output and "NOT" not in res.output, res.output
        doc = json.loads(path.read_text())
        doc["results"]["config"]["model"]["dtype"] = "float32"
        write_json(path, doc)
        res = verify(board, "tiny-bf16", "--data", str(prep), "--model", str(model))
        assert res.exit_code == 1 and "NOT reproduced" in res.output, res.output
    finally:
        path.unlink()


def test_a_model_that_records_training_on_the_held_out_task_is_refused(setup, tmp_path):
    import shutil

    _, board, prep, model = setup
    copy = tmp_path / "trained-on-it"
    shutil.copytree(model, copy)
    config = json.loads((copy / "config.json").read_text())
    (copy / "config.json").write_text(json.dumps(config | {"rmbench_input": {"kind": "classifier",
                                                                               "trained_on": ["writingprompts"]}}))
    res = verify(board, "tiny", "--data", str(prep), "--model", str(copy))
    assert res.exit_code == 1
    assert "records training on the track's held-out writingprompts" in res.output, res.output


def test_a_dpo_policy_is_re_scored_against_its_reference(tmp_path, write_prepared, tiny_llama_lm_dir):
    prep = write_prepared(tmp_path / "prep", SIZES)
    board = tmp_path / "leaderboard"
    freeze(board, prep, "demo", ["writingprompts"], "demo")
    policy, reference = tiny_llama_lm_dir(tmp_path / "policy", seed=0), tiny_llama_lm_dir(tmp_path / "ref", seed=1)
    run = tmp_path / "run-dpo"
    res = CliRunner().invoke(main, ["evaluate", "--model", str(policy), "--model-kind", "dpo", "--ref-model",
                                    str(reference), "--dpo-beta", "0.5", "--data", str(prep), "--tasks",
                                    "writingprompts", "--max-length", "64", "--out", str(run), "--quiet"])
    assert res.exit_code == 0, res.output
    assert CliRunner().invoke(main, ["submit", str(run), "--name", "dpo", "--leaderboard-dir", str(board)]).exit_code == 0
    res = verify(board, "dpo", "--data", str(prep), "--eval-batch-size", "3")
    assert res.exit_code == 0 and "reproduced" in res.output, res.output
    # against another reference the same policy gives other rewards: not reproduced
    doc = json.loads((board / "submissions" / "dpo.json").read_text())
    doc["results"]["model"]["input"]["dpo"]["ref_model"] = str(policy)
    write_json(board / "submissions" / "dpo.json", doc)
    res = verify(board, "dpo", "--data", str(prep))
    assert res.exit_code == 1 and "NOT reproduced" in res.output, res.output


def test_a_judge_entry_is_not_re_scored(setup):
    from rmbench.errors import RmbenchError
    from rmbench.leaderboard.verify import _scorer_for
    from rmbench.leaderboard.tracks import load_tracks

    _, board, _, model = setup
    sub = json.loads((board / "submissions" / "tiny.json").read_text())
    sub["results"]["model"]["model_kind"] = "judge"
    with pytest.raises(RmbenchError, match="this entry.s model is a judge"):
        _scorer_for(sub, str(model), None, load_tracks(board)["demo"])
