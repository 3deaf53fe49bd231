"""``evaluate --seen DIR``: held-out pairs that share a post or a response with what the model
was trained on are left out and counted, as pairs found in a reference task are."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from rmbench.cli import main
from rmbench.prepare.dedup import prompt_keys, text_keys
from rmbench.prepared.load import load_split

SIZES = {"askacademia": {"train": 48, "validation": 16, "test": 24, "test_hard": 12}}


@pytest.fixture(scope="module")
def data(tmp_path_factory, write_prepared) -> Path:
    return write_prepared(tmp_path_factory.mktemp("data") / "data")


@pytest.fixture(scope="module")
def seen(tmp_path_factory, write_prepared) -> Path:
    """The same askacademia pairs as ``data``'s (same task, sizes and seed): what a model trained on them saw."""
    return write_prepared(tmp_path_factory.mktemp("seen") / "seen", sizes=SIZES)


def _evaluate(data: Path, out: Path, *extra: str):
    return CliRunner().invoke(main, ["evaluate", "--model", "baseline:longer", "--data", str(data), "--tasks",
                                     "askacademia", "--out", str(out), "--quiet", "--set", "eval.bootstrap_samples=50",
                                     "--set", "eval.min_fit_pairs=20", "--set", "eval.min_fit_posts=5", *extra])


def test_pairs_of_posts_the_model_saw_are_left_out_and_counted(data, seen, tmp_path):
    plain = _evaluate(data, tmp_path / "plain")
    assert plain.exit_code == 0, plain.output
    result = _evaluate(data, tmp_path / "seen", "--seen", str(seen))
    assert result.exit_code == 0, result.output
    before = json.loads((tmp_path / "plain" / "results.json").read_text())
    doc = json.loads((tmp_path / "seen" / "results.json").read_text())
    cards, was = doc["results"]["askacademia"]["splits"], before["results"]["askacademia"]["splits"]
    assert was["heldout_all"]["n"] == 48 + 16 + 24
    # its train and validation posts were seen, its test posts were not; a seen pair survives only
    # when none of its texts can identify it (each under dedup's 40 characters)
    kept = {r["pair_id"] for r in map(json.loads, (tmp_path / "seen" / "predictions.jsonl").read_text().splitlines())
            if r["split"] == "heldout_all"}
    test = {r["pair_id"]: r for r in load_split(data, "askacademia", "test")}
    seen_rows = {r["pair_id"]: r for r in load_split(data, "askacademia", "train") + load_split(data, "askacademia", "validation")}
    assert set(test) <= kept and cards["test"]["n"] == was["test"]["n"] == 24
    survivors = kept - set(test)
    assert len(survivors) < 5 and all(not prompt_keys(seen_rows[i]["prompt"]) and not text_keys(seen_rows[i]["chosen"])
                                      and not text_keys(seen_rows[i]["rejected"]) for i in survivors)
    dropped = 88 - cards["heldout_all"]["n"]
    block = doc["contamination"]["askacademia"]
    manifest = json.loads((seen / "manifest.json").read_text())
    assert block["seen"] == [{"data": str(seen), "fingerprint": manifest["fingerprint"], "splits": ["train", "validation"],
                              "tasks": ["askacademia"], "pairs": 64}]
    assert block["pairs"]["heldout_all"] == dropped == 64 - len(survivors) and sum(block["by_reason"].values()) == dropped
    assert "(what the model saw)" in (tmp_path / "seen" / "report.md").read_text()


def _identifying(task, split, rows):
    for r in rows:  # every prompt long enough to identify its post
        r["prompt"] += f" -- a post long enough to be told apart, number {r['post_id']}"


def test_everything_seen_is_an_error_naming_the_seen_data(write_prepared, tmp_path):
    data = write_prepared(tmp_path / "data", edit=_identifying)
    seen = write_prepared(tmp_path / "seen", sizes=SIZES, edit=_identifying)
    result = _evaluate(data, tmp_path / "all", "--seen", str(seen), "--set", "data.seen_splits=heldout_all")
    assert result.exit_code != 0
    assert "are contaminated" in result.output and f"the data the model saw, {seen}" in result.output
    assert not (tmp_path / "all").exists()  # refused before any work


def test_bad_seen_input_is_a_clear_error(data, tmp_path):
    result = _evaluate(data, tmp_path / "a", "--seen", str(tmp_path))
    assert result.exit_code != 0 and "--seen" in result.output and "prepared folder" in result.output
    result = _evaluate(data, tmp_path / "b", "--seen", str(data), "--set", "data.seen_splits=train,all_hard")
    assert result.exit_code != 0 and "data.seen_splits ['all_hard']" in result.output
