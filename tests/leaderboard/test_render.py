"""The four `rmbench leaderboard show` formats and their sorting."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from rmbench.leaderboard.cli import leaderboard_group
from rmbench.atomic import write_json


@pytest.fixture
def board(tmp_path, ranked_board):
    return ranked_board(tmp_path)


def show(board, *args):
    res = CliRunner().invoke(leaderboard_group, ["show", "--leaderboard-dir", str(board), *args])
    assert res.exit_code == 0, res.output
    return res.stdout


def test_json_output_has_every_column(board):
    data = json.loads(show(board, "--format", "json"))
    (track,) = data["tracks"]
    assert track["track"] == "demo" and track["heldout_tasks"] == ["writingprompts", "emory"]
    first = track["rows"][0]
    assert first["model"] == "bravo" and first["rank"] == 1
    assert first["writingprompts/test_pct"] == pytest.approx(100 * 120 / 200)  # percent, labelled so
    assert first["emory/test_hard_pct"] == pytest.approx(100 * 12 / 20)
    low, high = first["writingprompts/test_ci95_low_pct"], first["writingprompts/test_ci95_high_pct"]
    assert low < first["writingprompts/test_pct"] < high
    assert {"parameters", "mean_pct", "mean_hard_pct", "margin_pp", "date", "data"} <= set(first)


def test_csv_output_parses_and_sorts(board):
    rows = list(csv.DictReader(io.StringIO(show(board, "--format", "csv", "--sort", "writingprompts/test"))))
    assert [r["model"] for r in rows] == ["alpha", "delta", "bravo", "charlie"]
    assert rows[0]["writingprompts/test_pct"] == "75.0"  # rounded as the table shows it
    assert float(rows[0]["writingprompts/test_ci95_low_pct"]) < 75 < float(rows[0]["writingprompts/test_ci95_high_pct"])
    assert {r["track"] for r in rows} == {"demo"}
    assert all(len(v.split(".")[-1]) <= 1 for r in rows for k, v in r.items() if k.endswith(("_pct", "_pp")) and v)


def test_tsv_matches_csv(board):
    tsv = [line.split("\t") for line in show(board, "--format", "tsv").splitlines()]
    rows = list(csv.reader(io.StringIO(show(board, "--format", "csv"))))
    assert tsv == rows


def test_markdown_output_is_a_table(board):
    text = show(board, "--format", "markdown", "--sort", "model")
    lines = [l for l in text.splitlines() if l.startswith("|")]
    assert lines[0].startswith("| Rank | Group | Model |") and "writingprompts test_hard" in lines[0]
    assert [l.split("|")[3].strip() for l in lines[2:]] == ["alpha", "bravo", "charlie", "delta"]
    assert "Rank: mean accuracy on each track's first split" in text and "shares the group" in text


def test_table_output_and_reverse(board):
    text = show(board, "--sort", "parameters", "--reverse")
    assert text.index("alpha") < text.index("charlie")  # fewest parameters first when reversed
    assert "Score: mean test" in text  # says what is ranked: the mean of the track's first split


def test_unknown_sort_column_names_the_choices(board):
    res = CliRunner().invoke(leaderboard_group, ["show", "--sort", "speed", "--leaderboard-dir", str(board)])
    assert res.exit_code != 0 and "writingprompts/test" in res.output


def test_organization_with_a_pipe_does_not_break_markdown(board):
    sub = json.loads((board / "submissions" / "alpha.json").read_text())
    sub["organization"] = "A | B"
    write_json(board / "submissions" / "alpha.json", sub)
    line = next(l for l in show(board, "--format", "markdown").splitlines() if "alpha" in l)
    assert "A \\| B" in line
