"""``prepare --split-by source``: every post SHP places keeps SHP's own split, posts of sources
without one keep their hash split, and the pairs themselves are the hash build's."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from rmbench.cli import main
from rmbench.errors import ConfigError
from rmbench.prepare import prepare
from rmbench.prepare.splits import split_by_rule, split_of
from rmbench.sources.hub_splits import shp_post_splits, split_of_name

SHP_SPLITS = ("train", "validation", "test")  # write_shp_layout: post i of a domain in SHP_SPLITS[i % 3]


def _rows(out: Path, task: str, split: str) -> list[dict]:
    path = out / task / f"{split}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _published(post_id: str) -> str:
    return SHP_SPLITS[int(re.search(r"\d+$", post_id).group()) % 3]


@pytest.fixture
def shp(tmp_path, write_shp_layout) -> Path:
    return write_shp_layout(tmp_path / "SHP", {"askculinary": 30, "askacademia": 12})


def test_every_shp_post_keeps_shps_split_and_the_pairs_are_the_hash_builds(tmp_path, shp):
    by_source = prepare(str(shp), tmp_path / "source", workers=1, progress=False, split_by="source")
    by_hash = prepare(str(shp), tmp_path / "hash", workers=1, progress=False)
    moved = 0
    for task in ("askculinary", "askacademia"):
        for split in SHP_SPLITS:
            rows = _rows(tmp_path / "source", task, split)
            assert rows and all(_published(r["post_id"]) == split and r["split"] == split for r in rows)
            moved += sum(split_of(r["post_id"]) != split for r in rows)
        assert {r["post_id"] for r in _rows(tmp_path / "source", task, "test_hard")} <= \
            {r["post_id"] for r in _rows(tmp_path / "source", task, "test")}
        # the same pairs, placed otherwise: every pair once over train + validation + test
        for out in ("source", "hash"):
            ids = [r["pair_id"] for s in SHP_SPLITS for r in _rows(tmp_path / out, task, s)]
            assert len(ids) == len(set(ids))
        assert sorted(r["pair_id"] for s in SHP_SPLITS for r in _rows(tmp_path / "source", task, s)) == \
            sorted(r["pair_id"] for s in SHP_SPLITS for r in _rows(tmp_path / "hash", task, s))
        assert _rows(tmp_path / "source", task, "all_hard") == _rows(tmp_path / "hash", task, "all_hard")
        placed = by_source["split_by"]["placed"][task]
        assert placed == {"source": by_hash["tasks"][task]["pairs"]["kept"], "hash": 0}
    assert moved > 10  # SHP's 1/3 each is far from the hash's 90/5/5: the split really moved
    assert by_source["split_by"]["rule"] == "source" and by_source["split_by"]["source_posts"] == 42
    assert by_source["split_by"]["conflicts"] == 0 and by_hash["split_by"]["rule"] == "hash"
    # a run on it says how its posts were split
    result = CliRunner().invoke(main, ["evaluate", "--model", "baseline:longer", "--data", str(tmp_path / "source"),
                                       "--tasks", "askacademia", "--out", str(tmp_path / "ev"), "--quiet"])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "ev" / "results.json").read_text())["data"]["split_by"]["rule"] == "source"
    assert "split by source: each post in the split its source publishes" in (tmp_path / "ev" / "report.md").read_text()


def test_sources_without_a_published_split_keep_the_hash_split(tmp_path, shp, dump_thread, write_dumps,
                                                             write_wp_layout):
    files: dict = {}
    for i in range(6):
        post, comments = dump_thread(f"sci{i}", "askscience")
        files.setdefault("askscience_submissions.ndjson", []).append(post)
        files.setdefault("askscience_comments.ndjson", []).extend(comments)
    dumps = write_dumps(tmp_path / "dumps", files)
    wp = write_wp_layout(tmp_path / "WP", 12)
    sources = [str(dumps), str(shp), str(wp)]
    m = prepare(sources, tmp_path / "source", workers=1, progress=False, split_by="source")
    h = prepare(sources, tmp_path / "hash", workers=1, progress=False)
    for task in ("askscience", "writingprompts"):
        assert m["tasks"][task]["splits"] == h["tasks"][task]["splits"]
        assert m["split_by"]["placed"][task] == {"source": 0, "hash": h["tasks"][task]["pairs"]["kept"]}
    assert m["split_by"]["placed"]["askculinary"]["hash"] == 0
    # forked workers (one per subreddit) write the same bytes
    p = prepare(sources, tmp_path / "parallel", workers=2, progress=False, split_by="source")
    assert {t: e["splits"] for t, e in p["tasks"].items()} == {t: e["splits"] for t, e in m["tasks"].items()}
    result = CliRunner().invoke(main, ["prepare", "--source", str(shp), "--source", str(dumps), "--out",
                                       str(tmp_path / "cli"), "--split-by", "source", "--workers", "1", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "split by source: 42 posts placed by their source's own split" in result.output
    assert "askscience: 0 pairs in the source's split" in result.output and "(its source publishes no split)" in result.output


def test_a_post_in_two_published_splits_keeps_its_hash_split(tmp_path, shp):
    train = shp / "askacademia" / "train.json"
    row = json.loads(train.read_text().splitlines()[0])
    test = shp / "askacademia" / "test.json"
    test.write_text(test.read_text() + json.dumps({**row, "domain": "askacademia_test"}) + "\n")
    placed, twice = shp_post_splits(sorted(shp.rglob("*.json")))
    assert twice == 1 and row["post_id"] not in placed and len(placed) == 41
    m = prepare(str(shp), tmp_path / "out", workers=1, progress=False, split_by="source")
    assert m["split_by"]["conflicts"] == 1
    assert {r["split"] for r in _rows(tmp_path / "out", "askacademia", split_of(row["post_id"]))
            if r["post_id"] == row["post_id"]} == {split_of(row["post_id"])}


def test_where_a_row_says_its_split():
    assert [split_of_name(n) for n in ("askculinary_test", "askculinary_validation", "x_dev", "x_val", "train",
                                       "askculinary", "test_hard")] == \
        ["test", "validation", "validation", "validation", "train", None, None]
    assert split_by_rule("source")["rule"] == "source"
    with pytest.raises(ConfigError, match="'hash', 'source' or 'time:YYYY-MM-DD'"):
        split_by_rule("published")
