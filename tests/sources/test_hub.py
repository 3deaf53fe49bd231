"""SHP and WritingPrompts_preferences: local files in the hub's exact layout, and the hub path
itself (``snapshot_download`` by id) fed the same files, so both run one reader and converter;
bad rows cost that row, counted with its file and row number."""

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
    assert report[str(shp_dir / "askculinary/train.json")] == {
        "missing_c_root_id_B": {"count": 1, "first_lines": [3], "input": "skipped"}}
    assert report[str(shp_dir / "askculinary/validation.json")] == {
        "score_null": {"count": 1, "first_lines": [1], "input": "kept"}}
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
    report = src.report.as_dict()[str(wp_dir / "data/train-00000-of-00002.parquet")]
    assert report["duplicate_post"] == {"count": 1, "first_lines": [2], "input": "skipped"}
    assert report["bad_comment_time"] == {"count": 1, "first_lines": [1], "input": "skipped"}
    # Ids are derived from the row: the same files give the same ids on a second read.
    again = open_source(str(wp_dir))
    assert [c.id for c in again.iter_comments()] == [c.id for c in comments]
    assert len({c.id for c in comments}) == len(comments)


@pytest.mark.parametrize("hub_id,fixture", [(SHP_ID, "shp_dir"), (WP_ID, "wp_dir")])
def test_hub_path_runs_the_same_converter(request, monkeypatch, hub_id, fixture):
    """``hf:<id>`` downloads the repo's data files with ``snapshot_download``; fed a folder in the
    hub's layout it yields what the folder yields, reporting by the file's place in the repo."""
    import huggingface_hub

    folder = request.getfixturevalue(fixture)
    local = open_source(str(folder))
    expected_posts = [vars_of(p) for p in local.iter_posts()]
    expected_comments = [vars_of(c) for c in local.iter_comments()]
    calls = []

    def fake_snapshot_download(repo_id, repo_type=None, allow_patterns=None, **kwargs):
        calls.append((repo_id, repo_type))
        return str(folder) if repo_id == hub_id else pytest.fail(f"unexpected repo {repo_id}")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", fake_snapshot_download)
    hub = open_source(f"hf:{hub_id}")
    assert isinstance(hub, HubSource) and hub.spec == f"hf:{hub_id}"
    assert [vars_of(p) for p in hub.iter_posts()] == expected_posts
    assert [vars_of(c) for c in hub.iter_comments()] == expected_comments
    assert calls == [(hub_id, "dataset")]  # downloaded once, read twice
    assert all(k.startswith(f"hf:{hub_id}/") for k in hub.report.as_dict())


def vars_of(record) -> tuple:
    return tuple(getattr(record, f) for f in record.__slots__)


def test_unreachable_hub_is_a_clear_error(monkeypatch):
    import huggingface_hub

    def offline(*args, **kwargs):
        raise ConnectionError("Couldn't reach 'stanfordnlp/SHP' on the Hub (LocalEntryNotFoundError)")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", offline)
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


# -- value-level bad rows (issue 12): one bad row costs that row, named by file and row ------------
def test_bad_shp_rows_are_counted_per_file_and_the_rest_is_read(tmp_path: Path):
    root = tmp_path / "SHP"
    (root / "askculinary").mkdir(parents=True)
    good = [shp_row(f"p{i}", "askculinary_train", f"a{i}", f"b{i}", 20, 3, 1500, 1000) for i in range(4)]
    lines = [json.dumps(good[0]),
             json.dumps(good[1]).replace('"score_A": 20', '"score_A": NaN'),          # 2 NaN score
             b'{"post_id": "p9", "domain": "askcul'.decode(),                          # 3 malformed line
             json.dumps(good[2]).replace("reply a2", "reply \\ud800 a2"),             # 4 lone surrogate (repaired)
             json.dumps({**good[3], "labels": 0}),                                     # 5 labels disagree with scores
             json.dumps(good[0]),                                                      # 6 the same pair again
             json.dumps({**shp_row("p5", "askculinary_train", "a0", "b5", 20, 3, 1500, 1000)}),  # 7 a0 with other text
             json.dumps({**shp_row("p6", "askculinary_train", "a6", "b6", 20, 3, 1500, 1000), "history": 42}),  # 8
             json.dumps(shp_row("p7", "askculinary_train", "a7", "b7", 20, 3, 1e400, 1000))]  # 9 time overflows to inf
    (root / "askculinary" / "train.json").write_text("\n".join(lines) + "\n")
    src = open_source(str(root))
    posts = {p.id for p in src.iter_posts()}
    comments = {c.id: c for c in src.iter_comments()}
    assert posts == {"p0", "p1", "p2", "p5", "p7"}
    assert set(comments) == {"a0", "b0", "b1", "a2", "b2", "b5", "b7"}  # a1's score is NaN: that side is skipped
    assert comments["a2"].body == "reply \ufffd a2"
    report = {k: (v["count"], v["first_lines"]) for k, v in src.report.as_dict()[str(root / "askculinary/train.json")].items()}
    assert report == {"bad_score_A": (1, [2]), "malformed_json": (1, [3]), "surrogates_replaced": (1, [4]),
                      "labels_disagree": (1, [5]), "duplicate_row": (1, [6]), "duplicate_comment_conflict": (1, [7]),
                      "bad_history": (1, [8]), "bad_created_at_utc_A": (1, [9])}


def test_bad_wp_rows_and_values_never_crash_the_converter(tmp_path: Path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    root = tmp_path / "WP"
    (root / "data").mkdir(parents=True)
    table = pa.table({"post_title": ["[WP] a", "[WP] b", None], "post_text": ["", "", ""],
                      "post_scores": [float("nan"), 3.0, 1.0],
                      "comment_texts": [["x"], ["one", "two", "three", "four"], ["z"]],
                      "comment_scores": [[1.0], [float("nan"), 2.0, float("inf"), 5.0], [1.0]],
                      "comment_times": [["1600000000"], ["1600000000", "inf", "1600000002", "1e400"], ["1"]]})
    pq.write_table(table, root / "data" / "train-00000-of-00001.parquet")
    src = open_source(str(root))
    assert [p.title for p in src.iter_posts()] == ["[WP] b"]
    assert [(c.body, c.score) for c in src.iter_comments()] == []  # every comment of b is bad somewhere
    report = {k: v["count"] for k, v in src.report.as_dict()[str(root / "data/train-00000-of-00001.parquet")].items()}
    assert report == {"bad_post_scores": 1, "missing_post_title": 1, "post_scores_float": 1, "bad_comment_score": 2,
                      "bad_comment_time": 2}


def test_the_layout_is_not_decided_by_the_first_row_alone_and_left_out_files_are_noted(tmp_path: Path):
    root = tmp_path / "SHP"
    for domain in ("askculinary", "askacademia"):
        (root / domain).mkdir(parents=True)
    first = {k: v for k, v in shp_row("p1", "askacademia_train", "a", "b", 9, 2, 20, 10).items() if k != "score_B"}
    (root / "askacademia" / "train.json").write_text(
        json.dumps(first) + "\n" + json.dumps(shp_row("p2", "askacademia_train", "c", "d", 9, 2, 20, 10)) + "\n")
    (root / "askculinary" / "train.json").write_text(json.dumps(shp_row("p3", "askculinary_train", "e", "f", 9, 2, 20, 10)) + "\n")
    (root / "notes.json").write_text('{"what": "a README in JSON"}\n')
    src = open_source(str(root))
    assert {p.id for p in src.iter_posts()} == {"p1", "p2", "p3"}
    assert src.report.as_dict()[str(root / "notes.json")]["not_a_layout_file"]["count"] == 1


def test_the_fast_path_reads_what_datasets_reads(shp_dir: Path):
    """Compatibility with the ecosystem: pyarrow with the card's types gives datasets' rows."""
    import datasets

    from rmbench.records import BadInputReport
    from rmbench.sources.hub import file_rows
    from rmbench.sources.hub_rows import shp_features

    path = shp_dir / "askculinary" / "train.json"
    ours = [row for _, _, row in file_rows(path, "shp", str(path), BadInputReport(), True)]
    theirs = list(datasets.load_dataset("json", data_files=[str(path)], features=shp_features(), split="train"))
    assert ours == theirs


# -- local SHP files outside a <domain>/ folder: the rows' domain names the subreddit ---------------
def test_shp_files_outside_a_domain_folder_are_read_by_their_rows_domain(tmp_path: Path, write_shp_layout):
    """A folder holding SHP's train.json etc. directly, or one such file, prepares the tasks its
    rows' ``domain`` names: a folder's name is never taken for a subreddit."""
    from rmbench.errors import DataError
    from rmbench.prepare import prepare

    shp = write_shp_layout(tmp_path / "SHP", {"askacademia": 9, "askculinary": 9})
    flat = tmp_path / "shpflat"
    (shp / "askacademia").rename(flat)
    assert open_source(str(flat)).subreddits() == {"AskAcademia"}
    assert open_source(str(flat / "train.json")).subreddits() == {"AskAcademia"}
    for spec, out in ((flat, "a"), (flat / "train.json", "b")):
        m = prepare(str(spec), tmp_path / out, workers=1, progress=False)
        assert list(m["tasks"]) == ["askacademia"] and m["tasks"]["askacademia"]["pairs"]["kept"] > 0
    # one file, two domains, in a folder named after a third subreddit: the domain column is read whole
    mixed = tmp_path / "askscience" / "train.json"
    mixed.parent.mkdir()
    mixed.write_text((flat / "train.json").read_text() + (shp / "askculinary" / "train.json").read_text())
    assert open_source(str(mixed)).subreddits() == {"AskAcademia", "AskCulinary"}
    m = prepare(str(mixed), tmp_path / "c", tasks=["askculinary"], workers=1, progress=False)
    assert m["tasks"]["askculinary"]["pairs"]["kept"] > 0  # the folder's name does not skip the file
    # a domain no task covers is named as the rows name it, never the folder's name
    lone = tmp_path / "shpflat2" / "train.json"
    lone.parent.mkdir()
    lone.write_text((flat / "train.json").read_text().replace("askacademia_train", "knitting_train"))
    with pytest.raises(DataError, match=r"subreddits \(knitting\)") as err:
        prepare(str(lone), tmp_path / "d", workers=1, progress=False)
    assert "shpflat" not in str(err.value) and not (tmp_path / "d").exists()


def test_a_flat_files_domain_column_is_read_once_while_it_is_unchanged(tmp_path: Path, write_shp_layout, monkeypatch):
    """A flat SHP file whose first rows do not match its folder has its whole domain column
    read; opening it again in the same process (resolve_data's reuse check, then prepare)
    reads it no more while its size and mtime stay the same, and a changed file is read again."""
    import rmbench.sources.hub as hub

    shp = write_shp_layout(tmp_path / "SHP", {"askacademia": 30, "askculinary": 30})
    flat = tmp_path / "shpflat" / "train.json"
    flat.parent.mkdir()
    flat.write_text("".join(p.read_text() for p in sorted(shp.glob("*/*.json"))))  # 360 rows, > SNIFF_ROWS
    real, reads = open, []

    class Counted:  # a handle on the flat file: counts each time it is read to its end
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def seek(self, *a):
            return self.f.seek(*a)

        def __iter__(self):
            for line in self.f:  # not `yield from`: closing this generator would close the file
                yield line
            reads.append(1)

    def counted_open(path, *a, **kw):
        f = real(path, *a, **kw)
        return Counted(f) if Path(path) == flat else f

    monkeypatch.setattr(hub, "open", counted_open, raising=False)
    assert open_source(str(flat)).subreddits() == {"AskAcademia", "AskCulinary"} and len(reads) == 1
    for spec in (flat, flat.parent, flat):
        assert open_source(str(spec)).subreddits() == {"AskAcademia", "AskCulinary"}
    assert len(reads) == 1
    flat.write_text(flat.read_text().replace("askculinary_", "askscience_"))
    assert {s.lower() for s in open_source(str(flat)).subreddits()} == {"askacademia", "askscience"}
    assert len(reads) == 2
