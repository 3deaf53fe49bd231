"""`rmbench submit`: a run directory becomes one validated, self-contained submission file."""

from __future__ import annotations

import base64
import json
from unittest import mock

from click.testing import CliRunner

from rmbench.leaderboard.cli import leaderboard_group, submit_cmd
from rmbench.leaderboard.submission import push_to_hub


def _submit(board, run, *args):
    return CliRunner().invoke(submit_cmd, [str(run), "--leaderboard-dir", str(board), *args])


def test_submit_writes_a_valid_file_with_its_plots(tmp_path, make_board, make_results, tiny_png, write_run):
    board, manifest = make_board(tmp_path)
    results = make_results(manifest, ["writingprompts"])
    png = tiny_png()
    run = write_run(tmp_path / "run", results, plots={"learning_curve.png": png, "notes.txt": b"x"})
    res = _submit(board, run, "--name", "my-model", "--organization", "Lab <b>", "--url", "https://example.org")
    assert res.exit_code == 0, res.output
    sub = json.loads((board / "submissions" / "my-model.json").read_text())
    assert sub["track"] == "demo" and sub["results"] == {k: v for k, v in results.items() if k != "_predictions"}
    assert sub["predictions"]["rows"] == 260  # every held-out pair (200 test + 60 test_hard), none of the others
    assert base64.b64decode(sub["plots"]["learning_curve.png"]["png_base64"]) == png
    assert list(sub["plots"]) == ["learning_curve.png"]
    assert not [p for p in (board / "submissions").iterdir() if p.name.startswith(".")]  # no temp file left
    check = CliRunner().invoke(leaderboard_group, ["validate", "--leaderboard-dir", str(board)])
    assert check.exit_code == 0, check.output


def test_extra_plots_and_bad_plots_are_reported(tmp_path, make_board, make_results, tiny_png, write_run):
    board, manifest = make_board(tmp_path)
    run = write_run(tmp_path / "run", make_results(manifest, ["writingprompts"]))
    heat = tmp_path / "transfer_heatmap.png"
    heat.write_bytes(tiny_png((0, 0, 255)))
    fake = tmp_path / "fake.png"
    fake.write_bytes(b"GIF89a not a png")
    res = _submit(board, run, "--name", "m", "--plot", str(heat), "--plot", str(fake))
    assert res.exit_code == 0, res.output
    assert "fake.png: not a PNG image" in res.output
    sub = json.loads((board / "submissions" / "m.json").read_text())
    assert list(sub["plots"]) == ["transfer_heatmap.png"]


def test_a_failed_submit_lists_every_problem_and_writes_nothing(tmp_path, make_board, make_results, write_run):
    board, manifest = make_board(tmp_path)
    results = make_results(manifest, ["writingprompts"])
    results["data"]["tasks"]["writingprompts"]["fingerprints"]["test"] = "0" * 64
    results["results"]["writingprompts"]["splits"]["test_hard"]["n"] = 3
    run = write_run(tmp_path / "run", results)
    res = _submit(board, run, "--name", "m", "--track", "demo")
    assert res.exit_code != 0
    assert "[fingerprint]" in res.output and "[count]" in res.output
    assert list((board / "submissions").iterdir()) == []


def test_a_run_matching_no_track_says_what_differs(tmp_path, make_board, make_results, write_run):
    board, manifest = make_board(tmp_path)
    results = make_results(manifest, ["writingprompts"])
    results["data"]["tasks"]["writingprompts"]["fingerprints"]["test"] = "0" * 64
    res = _submit(board, write_run(tmp_path / "run", results), "--name", "m")
    assert res.exit_code != 0 and "[fingerprint]" in res.output


def test_a_run_no_track_holds_out_is_told_so_not_judged_against_another(tmp_path, make_board, make_results,
                                                                          write_run):
    """A run holding out another task than every track (or on another kind of data) is not
    listed the problems of an unrelated track: it is told which tracks exist and how to freeze one."""
    board, manifest = make_board(tmp_path)
    run = write_run(tmp_path / "run", make_results(manifest, ["askacademia"]))
    res = _submit(board, run, "--name", "m")
    assert res.exit_code != 0 and "no track fits this run: it holds out askacademia on synthetic data" in res.output
    assert "demo holds out writingprompts (synthetic data)" in res.output and "leaderboard freeze" in res.output
    assert "[" not in res.output.split("no track fits")[0]  # no problem list of the demo track
    assert list((board / "submissions").iterdir()) == []


def test_submit_refuses_a_duplicate_name_and_keeps_the_first(tmp_path, make_board, make_results, write_run):
    board, manifest = make_board(tmp_path)
    run = write_run(tmp_path / "run", make_results(manifest, ["writingprompts"]))
    assert _submit(board, run, "--name", "twice").exit_code == 0
    first = (board / "submissions" / "twice.json").read_bytes()
    res = _submit(board, run, "--name", "twice")
    assert res.exit_code != 0 and "[duplicate_name]" in res.output
    assert (board / "submissions" / "twice.json").read_bytes() == first


def test_submit_refuses_a_path_traversal_name(tmp_path, make_board, make_results, write_run):
    board, manifest = make_board(tmp_path)
    run = write_run(tmp_path / "run", make_results(manifest, ["writingprompts"]))
    res = _submit(board, run, "--name", "../../escaped")
    assert res.exit_code != 0 and "[name]" in res.output
    assert not (tmp_path / "escaped.json").exists() and not list((board / "submissions").iterdir())


def test_submit_needs_a_results_file(tmp_path, make_board):
    board, _ = make_board(tmp_path)
    (tmp_path / "empty").mkdir()
    res = _submit(board, tmp_path / "empty", "--name", "m")
    assert res.exit_code != 0 and "no results.json" in res.output


def test_push_to_hub_payload(tmp_path):
    path = tmp_path / "my-model.json"
    path.write_text('{"name": "my-model"}')
    api = mock.Mock()
    push_to_hub(path, "rmbench/leaderboard", api=api)
    kwargs = api.upload_file.call_args.kwargs
    assert kwargs["repo_id"] == "rmbench/leaderboard"
    assert kwargs["repo_type"] == "dataset"
    assert kwargs["path_in_repo"] == "submissions/my-model.json"
    assert kwargs["path_or_fileobj"] == path.read_bytes()


def test_submit_push_to_hub_uploads_the_written_file(tmp_path, make_board, make_results, write_run):
    board, manifest = make_board(tmp_path)
    run = write_run(tmp_path / "run", make_results(manifest, ["writingprompts"]))
    with mock.patch("huggingface_hub.HfApi") as api_cls:
        api_cls.return_value.upload_file.return_value = mock.Mock(commit_url="https://hub/commit/1")
        res = _submit(board, run, "--name", "hubbed", "--push-to-hub", "org/board")
    assert res.exit_code == 0, res.output
    kwargs = api_cls.return_value.upload_file.call_args.kwargs
    assert kwargs["path_or_fileobj"] == (board / "submissions" / "hubbed.json").read_bytes()
    assert (kwargs["repo_id"], kwargs["repo_type"], kwargs["path_in_repo"]) == ("org/board", "dataset", "submissions/hubbed.json")


def test_a_failed_upload_keeps_the_local_file(tmp_path, make_board, make_results, write_run):
    board, manifest = make_board(tmp_path)
    run = write_run(tmp_path / "run", make_results(manifest, ["writingprompts"]))
    with mock.patch("huggingface_hub.HfApi") as api_cls:
        api_cls.return_value.upload_file.side_effect = OSError("no network")
        res = _submit(board, run, "--name", "offline", "--push-to-hub", "org/board")
    assert res.exit_code != 0 and "saved locally" in res.output and "no network" in res.output
    assert (board / "submissions" / "offline.json").is_file()


def test_submit_needs_the_runs_predictions(tmp_path, make_board, make_results, write_run):
    board, data = make_board(tmp_path)
    run = write_run(tmp_path / "run", make_results(data, ["writingprompts"]))
    (run / "predictions.jsonl").unlink()
    res = _submit(board, run, "--name", "m")
    assert res.exit_code != 0 and "predictions.jsonl: missing" in res.output
