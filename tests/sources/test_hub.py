"""SHP and WritingPrompts_preferences: local files in the hub's exact layout, and the hub path
itself (``load_dataset`` by id) fed the same rows, so both run one converter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rmbench.errors import SourceError
from rmbench.sources import open_source
from rmbench.sources.hub import SHP_ID, WP_ID, HubSource
from rmbench.sources.hub_rows import UNKNOWN_AUTHOR, parse_time, subreddit_of_domain


def shp_row(post_id: str, domain: str, a: str, b: str, score_a, score_b, t_a: int, t_b: int) -> dict:
    hi, lo = max(score_a or 0, score_b or 0), max(1, min(score_a or 1, score_b or 1))
    return {"post_id": post_id, "domain": domain, "upvote_ratio": 0.97, "history": f"Title of {post_id}. Body.",
            "c_root_id_A": a, "c_root_id_B": b, "created_at_utc_A": t_a, "created_at_utc_B": t_b,
            "score_A": score_a, "score_B": score_b, "human_ref_A": f"reply {a}", "human_ref_B": f"reply {b}",
            "labels": int((score_a or 0) > (score_b or 0)), "seconds_difference": float(abs(t_a - t_b)),
            "score_ratio": hi / lo}


@pytest.fixture
def shp_dir(tmp_path: Path) -> Path:
    """stanfordnlp/SHP's layout: <domain>/{train,validation,test}.json, JSON Lines inside."""
    root = tmp_path / "SHP"
    rows = {
        "askculinary/train.json": [shp_row("p1", "askculinary_train", "c1", "c2", 30, 4, 1500, 1000),
                                   shp_row("p1", "askculinary_train", "c1", "c3", 30, 2, 1500, 900),  # c1 again
                                   shp_row("p2", "askculinary_train", "c4", "c5", 8, 2, 2000, 1800)],
        "askculinary/validation.json": [shp_row("p3", "askculinary_validation", "c6", "c7", None, 5, 10, 5)],
        "askacademia/test.json": [shp_row("p4", "askacademia_test", "d1", "d2", 12, 3, 700, 600)],
    }
    del rows["askculinary/train.json"][2]["c_root_id_B"]  # a row missing a column
    for rel, lines in rows.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("".join(json.dumps(r) + "\n" for r in lines))
    return root


@pytest.fixture
def wp_dir(tmp_path: Path) -> Path:
    """euclaise/WritingPrompts_preferences' layout: data/train-XXXXX-of-XXXXX.parquet."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = tmp_path / "WritingPrompts_preferences"
    (root / "data").mkdir(parents=True)
    schema = pa.schema([("post_text", pa.string()), ("post_title", pa.string()), ("post_scores", pa.int64()),
                        ("comment_texts", pa.list_(pa.string())), ("comment_scores", pa.list_(pa.int64())),
                        ("comment_times", pa.list_(pa.string()))])
    table = pa.table({
        "post_text": ["", "", "Some meta text"],
        "post_title": ["[WP] The moon files a complaint", "[WP] The moon files a complaint", "[OT] Contest results"],
        "post_scores": [120, 120, 4],
        "comment_texts": [["Once upon a time " * 40, "The moon cleared its throat " * 30, "short"],
                          ["Once upon a time " * 40, "The moon cleared its throat " * 30, "short"],
                          ["Congrats!"]],
        "comment_scores": [[40, 9, 3], [40, 9, 3], [2]],
        "comment_times": [["1600003600", "2020-09-13T12:00:00Z", "not a time"],
                          ["1600003600", "2020-09-13T12:00:00Z", "not a time"], ["1600000000.0"]],
    }, schema=schema)
    pq.write_table(table.slice(0, 2), root / "data" / "train-00000-of-00002.parquet")
    pq.write_table(table.slice(2, 1), root / "data" / "train-00001-of-00002.parquet")
    return root


def test_shp_local_layout_rebuilds_threads(shp_dir: Path):
    src = open_source(str(shp_dir))
    assert isinstance(src, HubSource) and src.layout == "shp"
    assert src.subreddits() == {"AskCulinary", "AskAcademia"}
    posts = {p.id: p for p in src.iter_posts()}
    assert set(posts) == {"p1", "p2", "p3", "p4"}
    assert posts["p1"].subreddit == "AskCulinary" and posts["p4"].subreddit == "AskAcademia"
    assert posts["p1"].title.startswith("Title of p1") and posts["p1"].created_utc is None
    comments = {c.id: c for c in src.iter_comments()}
    assert set(comments) == {"c1", "c2", "c3", "c4", "c6", "c7", "d1", "d2"}  # c1 once; c5 lost its id column
    c1 = comments["c1"]
    assert (c1.post_id, c1.parent_id, c1.top_level, c1.score, c1.created_utc, c1.body) == \
        ("p1", "t3_p1", True, 30, 1500, "reply c1")
    assert c1.author == UNKNOWN_AUTHOR and comments["c6"].score is None
    report = src.report.as_dict()
    assert report[f"{shp_dir}[train]"] == {"missing_c_root_id_B": {"count": 1, "first_lines": [3]}}
    assert report[f"{shp_dir}[validation]"] == {"score_null": {"count": 1, "first_lines": [1]}}
    assert set(src.files()) == {str(p) for p in shp_dir.rglob("*.json")}


def test_shp_comments_pass_the_default_rules(shp_dir: Path):
    from rmbench.registry import get_task

    src = open_source(str(shp_dir))
    posts = {p.id: p for p in src.iter_posts()}
    task = get_task("askculinary")
    kept = [c.id for c in src.iter_comments(subreddits={"askculinary"})
            if task.comment_drop_reason(c, posts[c.post_id]) is None]
    assert kept == ["c1", "c2", "c3", "c4", "c7"]  # c6 has no score: score_missing


def test_wp_local_layout(wp_dir: Path):
    src = open_source(str(wp_dir))
    assert isinstance(src, HubSource) and src.layout == "wp" and src.subreddits() == {"WritingPrompts"}
    posts = list(src.iter_posts())
    assert [p.title for p in posts] == ["[WP] The moon files a complaint", "[OT] Contest results"]
    assert posts[0].score == 120 and posts[0].created_utc is None and posts[1].selftext == "Some meta text"
    comments = list(src.iter_comments())
    story = [c for c in comments if c.post_id == posts[0].id]
    assert [c.score for c in story] == [40, 9]  # "not a time" skipped and counted
    assert [c.created_utc for c in story] == [1600003600, 1600000000 - 1600]  # 12:00:00Z
    assert all(c.author == UNKNOWN_AUTHOR and c.top_level and c.subreddit == "WritingPrompts" for c in comments)
    report = src.report.as_dict()[f"{wp_dir}[train]"]
    assert report["duplicate_post"] == {"count": 1, "first_lines": [2]}
    assert report["bad_comment_time"] == {"count": 1, "first_lines": [1]}
    # Ids are derived from the row: the same files give the same ids on a second read.
    again = open_source(str(wp_dir))
    assert [c.id for c in again.iter_comments()] == [c.id for c in comments]
    assert len({c.id for c in comments}) == len(comments)


@pytest.mark.parametrize("hub_id,fixture", [(SHP_ID, "shp_dir"), (WP_ID, "wp_dir")])
def test_hub_path_runs_the_same_converter(request, monkeypatch, hub_id, fixture):
    """``hf:<id>`` calls ``datasets.load_dataset(<id>)``; fed the local rows it yields what the folder yields."""
    import datasets

    local = open_source(str(request.getfixturevalue(fixture)))
    expected_posts = [vars_of(p) for p in local.iter_posts()]
    expected_comments = [vars_of(c) for c in local.iter_comments()]
    rows = local._load()  # what load_dataset gave for the folder: an IterableDatasetDict
    calls = []

    def fake_load_dataset(path, *args, **kwargs):
        calls.append(path)
        return rows if path == hub_id else pytest.fail(f"unexpected dataset {path}")

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    hub = open_source(f"hf:{hub_id}")
    assert isinstance(hub, HubSource) and hub.spec == f"hf:{hub_id}"
    assert [vars_of(p) for p in hub.iter_posts()] == expected_posts
    assert [vars_of(c) for c in hub.iter_comments()] == expected_comments
    assert calls == [hub_id, hub_id]


def vars_of(record) -> tuple:
    return tuple(getattr(record, f) for f in record.__slots__)


def test_unreachable_hub_is_a_clear_error(monkeypatch):
    import datasets

    def offline(*args, **kwargs):
        raise ConnectionError("Couldn't reach 'stanfordnlp/SHP' on the Hub (LocalEntryNotFoundError)")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    src = open_source("hf:stanfordnlp/SHP")
    with pytest.raises(SourceError, match="could not load stanfordnlp/SHP"):
        list(src.iter_posts())
    with pytest.raises(SourceError, match="unknown hub dataset"):
        open_source("hf:someone/else")


def test_domains_map_to_task_subreddits():
    assert subreddit_of_domain("askculinary_train") == "AskCulinary"
    assert subreddit_of_domain("explainlikeimfive_validation") == "explainlikeimfive"
    assert subreddit_of_domain("legaladvice") == "legaladvice"
    assert subreddit_of_domain("somethingelse_test") == "somethingelse"


def test_parse_time_formats():
    assert parse_time("1600000000") == parse_time("1600000000.0") == parse_time(1600000000) == 1600000000
    assert parse_time("2020-09-13T12:26:40Z") == parse_time("2020-09-13 12:26:40") == 1600000000
    assert parse_time("soon") is None and parse_time(None) is None
