"""``rmbench push``: rmbench's outputs (and nothing else) go to the hub through a stand-in
``HfApi``; the files sent are filtered by huggingface_hub's own pattern code."""

from __future__ import annotations

import json
from unittest import mock

import pytest
from click.testing import CliRunner

from rmbench.cli import main
from rmbench.push import files_of, plan_upload


def _push(*args):
    with mock.patch("huggingface_hub.HfApi") as api_cls:
        api_cls.return_value.upload_folder.return_value = mock.Mock(commit_url="https://hub/commit/1")
        res = CliRunner().invoke(main, ["push", *args])
    return res, api_cls.return_value


@pytest.fixture
def prepared(tmp_path, write_prepared):
    out = write_prepared(tmp_path / "prepared")
    return out


@pytest.fixture
def run_dir(tmp_path, tiny_bert):
    from rmbench.model.kinds import META_KEY

    run = tmp_path / "runs" / "my-run"
    model, tok = tiny_bert()
    setattr(model.config, META_KEY, {"kind": "classifier", "input_format": "pair", "max_length": 64})
    model.save_pretrained(run / "model")
    tok.save_pretrained(run / "model")
    (run / "model" / "README.md").write_text("# card\n")
    (run / "results.json").write_text(json.dumps({"kind": "rmbench.results"}))
    for name in ("predictions.jsonl", "report.md", "config.json", "train_info.json", ".rmbench-output.json",
                 ".model.lock", "scores/writingprompts.test.json", "plots/accuracy.png",
                 "checkpoints/checkpoint-2/optimizer.pt", "model.tmp-1234/partial.bin"):
        (run / name).parent.mkdir(parents=True, exist_ok=True)
        (run / name).write_text("x")
    return run


def test_push_data_creates_the_repo_and_sends_the_folder(prepared):
    res, api = _push("--data", str(prepared), "--repo", "me/prefs", "--private")
    assert res.exit_code == 0, res.output
    assert api.create_repo.call_args.kwargs == {"repo_id": "me/prefs", "repo_type": "dataset", "private": True,
                                                "exist_ok": True}
    kw = api.upload_folder.call_args.kwargs
    assert (kw["repo_id"], kw["repo_type"], kw["folder_path"]) == ("me/prefs", "dataset", str(prepared))
    sent = files_of(plan_upload("data", prepared))
    assert "README.md" in sent and "manifest.json" in sent and "gradschool/test_hard.jsonl" in sent
    assert ".rmbench-output.json" not in sent and not any(f.endswith(".lock") for f in sent)
    assert "https://hub/commit/1" in res.output


def test_push_model_takes_the_runs_model(run_dir):
    res, api = _push("--model", str(run_dir), "--repo", "me/rm")
    assert res.exit_code == 0, res.output
    kw = api.upload_folder.call_args.kwargs
    assert kw["folder_path"] == str(run_dir / "model") and kw["repo_type"] == "model"
    assert api.create_repo.call_args.kwargs["private"] is False
    sent = files_of(plan_upload("model", run_dir))
    assert {"config.json", "model.safetensors", "README.md", "tokenizer.json"} <= set(sent)


def test_pushing_a_dpo_policy_says_when_its_reference_is_a_local_directory(run_dir, tmp_path):
    cfg_path = run_dir / "model" / "config.json"
    cfg = json.loads(cfg_path.read_text())
    ref = str(tmp_path / "sft")
    cfg["rmbench_input"] = {"kind": "dpo", "input_format": "chat", "max_length": 64, "ref_model": ref, "dpo_beta": 0.1}
    cfg_path.write_text(json.dumps(cfg))
    res = CliRunner().invoke(main, ["push", "--model", str(run_dir), "--repo", "me/policy", "--dry-run"])
    assert res.exit_code == 0 and f"reference is the local directory {ref}" in res.output
    cfg["rmbench_input"]["ref_model"] = "HuggingFaceTB/SmolLM2-135M-Instruct"  # a hub id: found from anywhere
    cfg_path.write_text(json.dumps(cfg))
    res = CliRunner().invoke(main, ["push", "--model", str(run_dir), "--repo", "me/policy", "--dry-run"])
    assert res.exit_code == 0 and "note:" not in res.output


def test_push_results_sends_results_not_weights(run_dir):
    res, api = _push("--results", str(run_dir), "--repo", "me/results", "--dry-run")
    assert res.exit_code == 0, res.output
    api.upload_folder.assert_not_called()
    listed = res.stdout.split()
    assert sorted(listed) == ["config.json", "plots/accuracy.png", "predictions.jsonl", "report.md", "results.json",
                              "train_info.json"]
    res, api = _push("--results", str(run_dir), "--repo", "me/results")
    assert api.upload_folder.call_args.kwargs["path_in_repo"] == "runs/my-run"


def test_a_repo_id_the_hub_would_refuse_is_refused_before_anything_even_in_a_dry_run(run_dir):
    for bad in ("bad id", "a/b/c"):
        res, api = _push("--results", str(run_dir), "--repo", bad, "--dry-run")
        assert res.exit_code == 2 and "--repo" in res.output and "Traceback" not in res.output
        api.create_repo.assert_not_called()


@pytest.mark.parametrize("flag", ["--data", "--model", "--results"])
def test_push_refuses_what_rmbench_did_not_make(tmp_path, flag):
    (tmp_path / "stuff").mkdir()
    (tmp_path / "stuff" / "config.json").write_text("{}")
    res, api = _push(flag, str(tmp_path / "stuff"), "--repo", "me/x")
    assert res.exit_code == 1 and "not a" in res.output
    api.create_repo.assert_not_called()
    api.upload_folder.assert_not_called()


def test_push_needs_exactly_one_folder(prepared, run_dir):
    res, _ = _push("--data", str(prepared), "--results", str(run_dir), "--repo", "me/x")
    assert res.exit_code == 2 and "exactly one of" in res.output


def test_a_failed_upload_is_one_line(prepared):
    from huggingface_hub.errors import HfHubHTTPError

    with mock.patch("huggingface_hub.HfApi") as api_cls:
        api_cls.return_value.create_repo.side_effect = HfHubHTTPError("401 Unauthorized", response=mock.Mock())
        res = CliRunner().invoke(main, ["push", "--data", str(prepared), "--repo", "me/x"])
    assert res.exit_code == 1 and "upload to me/x failed: 401 Unauthorized" in res.output


def test_a_prepared_folder_without_its_card_is_refused(prepared):
    assert (prepared / "README.md").is_file()  # prepare writes the dataset card
    (prepared / "README.md").unlink()
    res, api = _push("--data", str(prepared), "--repo", "me/x")
    assert res.exit_code == 1 and "no README.md dataset card" in res.output
    api.upload_folder.assert_not_called()
