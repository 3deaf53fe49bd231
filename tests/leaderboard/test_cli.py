"""The leaderboard commands as a contributor and CI meet them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from click.testing import CliRunner

from rmbench.cli import main
from rmbench.leaderboard.store import PACKAGE_DIR, is_checkout
from rmbench.atomic import write_json


def test_validate_lists_every_problem_of_every_file_and_fails(tmp_path, make_board, make_results, make_submission):
    board, data = make_board(tmp_path)
    good = make_submission("good", make_results(data, ["writingprompts"]))
    bad = make_submission("bad", make_results(data, ["writingprompts"]))
    bad["results"]["results"]["writingprompts"]["splits"]["test"]["n"] = 1
    bad["results"]["data"]["tasks"]["writingprompts"]["version"] = "7"
    write_json(board / "submissions" / "good.json", good)
    write_json(board / "submissions" / "bad.json", bad)
    res = CliRunner().invoke(main, ["leaderboard", "validate", "--leaderboard-dir", str(board)])
    assert res.exit_code == 1
    assert "ok   " in res.output and "FAIL" in res.output
    assert "[count]" in res.output and "[task_version]" in res.output
    assert "1 valid, 1 invalid" in res.output


def test_validate_a_file_from_outside_the_board_checks_its_name_is_new(tmp_path, make_board, make_results, make_submission):
    board, data = make_board(tmp_path)
    sub = make_submission("taken", make_results(data, ["writingprompts"]))
    write_json(board / "submissions" / "taken.json", sub)
    outside = tmp_path / "incoming" / "taken.json"
    write_json(outside, sub)
    res = CliRunner().invoke(main, ["leaderboard", "validate", str(outside), "--leaderboard-dir", str(board)])
    assert res.exit_code == 1 and "[duplicate_name]" in res.output
    res = CliRunner().invoke(main, ["leaderboard", "validate", str(board / "submissions" / "taken.json"),
                                    "--leaderboard-dir", str(board)])
    assert res.exit_code == 0, res.output


def test_every_command_has_help():
    for args in (["submit"], ["leaderboard"], *(["leaderboard", c] for c in ("validate", "show", "verify", "build", "freeze"))):
        res = CliRunner().invoke(main, [*args, "--help"])
        assert res.exit_code == 0 and "Usage" in res.output, args


def test_the_default_board_is_this_checkout():
    repo_board = Path(__file__).resolve().parents[2] / "leaderboard"
    if PACKAGE_DIR != repo_board:
        pytest.skip("rmbench is installed from a wheel here, not from this checkout")
    assert is_checkout(PACKAGE_DIR)
    assert not is_checkout(Path(__file__).resolve().parent)


def test_schemas_are_valid_json_schema():
    from jsonschema import Draft202012Validator

    from rmbench.eval.results import SCHEMA_PATH

    # results.schema.json belongs to the results builder (rmbench.eval); the other two to the board.
    for path in (SCHEMA_PATH, PACKAGE_DIR / "submission.schema.json", PACKAGE_DIR / "tracks.schema.json"):
        Draft202012Validator.check_schema(json.loads(path.read_text()))


def test_one_hostile_file_never_stops_validate_show_or_build(tmp_path, make_board, make_results, make_submission):
    """A 2 KB file nested 1,000 levels deep, a NaN and a zip bomb: listed as problems; the rest is shown."""
    import base64
    import zlib

    board, data = make_board(tmp_path)
    write_json(board / "submissions" / "good.json", make_submission("good", make_results(data, ["writingprompts"])))
    (board / "submissions" / "deep.json").write_text('{"a": ' + "[" * 1000 + "]" * 1000 + "}")
    (board / "submissions" / "nan.json").write_text('{"name": "nan", "score": NaN}')
    bomb = make_submission("bomb", make_results(data, ["writingprompts"]))
    bomb["predictions"]["data"] = base64.b64encode(zlib.compress(b"0" * (80 * 1024 * 1024), 9)).decode()
    write_json(board / "submissions" / "bomb.json", bomb)
    runner = CliRunner()
    res = runner.invoke(main, ["leaderboard", "validate", "--leaderboard-dir", str(board)])
    assert res.exit_code == 1 and "3 invalid" in res.output and "levels deep" in res.output and res.exception.__class__ is SystemExit
    res = runner.invoke(main, ["leaderboard", "show", "--format", "json", "--leaderboard-dir", str(board)])
    assert res.exit_code == 0 and "skipped 3 invalid" in res.stderr
    rows = json.loads(res.stdout)["tracks"][0]["rows"]  # strict JSON: no NaN anywhere
    assert [r["model"] for r in rows] == ["good"]
    res = runner.invoke(main, ["leaderboard", "build", "--out", str(tmp_path / "site"), "--leaderboard-dir", str(board)])
    assert res.exit_code == 0 and (tmp_path / "site" / "s" / "good.html").is_file(), res.output


def test_show_answers_a_typo_in_track_or_column_with_the_close_name(tmp_path, make_board):
    from click.testing import CliRunner

    from rmbench.leaderboard.cli import leaderboard_group

    board, _ = make_board(tmp_path)
    run = CliRunner().invoke
    res = run(leaderboard_group, ["show", "--track", "demoo", "--leaderboard-dir", str(board)])
    assert res.exit_code != 0 and "Did you mean demo?" in res.output
    res = run(leaderboard_group, ["show", "--sort", "dte", "--leaderboard-dir", str(board)])
    assert res.exit_code != 0 and "Did you mean date?" in res.output
    assert "parameters" not in res.output  # the close names, not every column
    res = run(leaderboard_group, ["show", "--sort", "zzzz", "--leaderboard-dir", str(board)])
    assert res.exit_code != 0 and "Choose from" in res.output and "parameters" in res.output


def test_show_names_a_track_without_submissions_and_prints_the_ranking_note_once(tmp_path, make_board, make_results,
                                                                                  make_submission):
    board, data = make_board(tmp_path)
    make_board(tmp_path, track="quiet", synthetic=False)  # a second track of the same board, nobody submitted
    write_json(board / "submissions" / "good.json", make_submission("good", make_results(data, ["writingprompts"])))
    res = CliRunner().invoke(main, ["leaderboard", "show", "--leaderboard-dir", str(board)], env={"COLUMNS": "400"})
    assert res.exit_code == 0, res.output
    assert "quiet — real: no submissions yet (`rmbench submit RUN_DIR --name NAME --track quiet`)" in res.output
    assert "good" in res.output and res.output.count("Rank: mean accuracy") == 1
