"""No record can abort a run (issue 12), as a property: arbitrary JSON values in every field of
posts, comments and hub rows; the run finishes and every line is accounted for -- records
read = records kept + records dropped by reason + bad input by reason."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rmbench.records import BadInputReport, is_drop
from rmbench.sources import open_source
from rmbench.sources.normalize import _SURROGATE

SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text with lone surrogates, control characters and astral planes; numbers past every limit.
chars = st.one_of(st.characters(), st.characters(categories=["Cs"]))
texts = st.text(chars, max_size=12)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=2**63 - 2, max_value=2**70),
                    st.floats(allow_nan=True, allow_infinity=True), texts,
                    st.sampled_from(["true", "false", "0", "1", "1e400", "NaN", "-Infinity", "12", "t3_x", ""]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(texts, inner, max_size=3)), max_leaves=6)


def field(good) -> st.SearchStrategy:
    """Nineteen times in twenty a plausible value (so a fair share of records survive), else anything."""
    return st.integers(0, 19).flatmap(lambda k: values if k == 0 else good)


ids = st.text("abcdefghij0123456789", min_size=1, max_size=4)
times = st.integers(1_500_000_000, 1_600_000_000)
POST = {"id": ids, "subreddit": st.just("AskVet"), "title": texts, "selftext": texts, "created_utc": times,
        "author": texts, "score": st.integers(-5, 100), "is_self": st.booleans(), "upvote_ratio": st.floats(0, 1),
        "over_18": st.booleans(), "stickied": st.booleans(), "distinguished": st.none(), "edited": st.booleans(),
        "removed_by_category": st.none(), "num_comments": st.integers(0, 50)}
COMMENT = {"id": ids, "link_id": ids.map(lambda s: "t3_" + s), "parent_id": ids.map(lambda s: "t3_" + s),
           "subreddit": st.just("AskVet"), "body": texts, "created_utc": times, "author": texts,
           "score": st.integers(-5, 100), "edited": st.booleans(), "distinguished": st.none(),
           "stickied": st.booleans(), "is_submitter": st.booleans()}


REQUIRED = {"id", "title", "created_utc", "link_id", "parent_id", "body", "post_id", "domain", "history",
            "c_root_id_A", "c_root_id_B", "human_ref_A", "human_ref_B", "post_title", "comment_texts",
            "comment_scores"}


def records(fields: dict) -> st.SearchStrategy:
    """Required fields present (any value), the others present or not."""
    return st.fixed_dictionaries({k: field(v) for k, v in fields.items() if k in REQUIRED},
                                 optional={k: field(v) for k, v in fields.items() if k not in REQUIRED})


def lines(fields: dict) -> st.SearchStrategy:
    """Dump lines: records as JSON (NaN/Infinity as Python writes them, surrogates as escapes or
    as raw bytes), plus the odd line that is not JSON at all."""
    as_json = st.tuples(records(fields), st.booleans()).map(
        lambda rb: json.dumps(rb[0], ensure_ascii=rb[1]).encode("utf-8", "surrogatepass"))
    return st.lists(st.one_of(as_json, as_json, as_json, st.binary(max_size=20).filter(lambda b: b"\n" not in b)),
                    max_size=25)


def _accounted(path: Path, report: BadInputReport, kept_ids: set[str], key: str) -> None:
    """Every line of ``path`` is either in one drop reason's line list, or its record was kept."""
    dropped: dict[int, str] = {}
    for reason, at in report.examples.get(str(path), {}).items():
        if is_drop(reason):
            for line in at:
                assert line not in dropped, f"line {line} dropped twice ({dropped[line]}, {reason})"
                dropped[line] = reason
    raw_lines = path.read_bytes().split(b"\n")[:-1]
    for i, raw in enumerate(raw_lines, 1):
        if i in dropped:
            continue
        row = json.loads(raw.decode("utf-8", "surrogatepass"))
        rid = _SURROGATE.sub("\ufffd", row[key])
        assert rid.removeprefix("t3_").removeprefix("t1_") in kept_ids or rid in kept_ids, (i, raw)


@SETTINGS
@given(posts=lines(POST), comments=lines(COMMENT))
def test_no_dump_record_aborts_prepare_and_every_line_is_accounted_for(posts, comments):
    from rmbench.prepare import prepare
    from rmbench.sources.dumps import DumpSource

    with tempfile.TemporaryDirectory() as d:
        dumps = Path(d) / "dumps"
        dumps.mkdir()
        (dumps / "AskVet_submissions.ndjson").write_bytes(b"".join(x + b"\n" for x in posts))
        (dumps / "AskVet_comments.ndjson").write_bytes(b"".join(x + b"\n" for x in comments))
        manifest = prepare(str(dumps), Path(d) / "out", tasks=["askvet"], progress=False, workers=1)
        rec = manifest["source"]["records"]
        drops = {kind: sum(v["count"] for v in manifest["bad_input"].get(str(dumps / f"AskVet_{kind}.ndjson"), {}).values()
                           if v["input"] == "skipped") for kind in ("submissions", "comments")}
        assert len(posts) == rec["posts"] + rec["other_subreddits"]["posts"] + drops["submissions"]
        assert len(comments) == rec["comments"] + rec["other_subreddits"]["comments"] + drops["comments"]
        src = DumpSource(dumps)
        src.report = BadInputReport(max_examples=10**6)  # every line number, not the first five
        kept_posts = {p.id for p in src.iter_posts()}
        kept_comments = {c.id for c in src.iter_comments()}
        _accounted(dumps / "AskVet_submissions.ndjson", src.report, kept_posts, "id")
        _accounted(dumps / "AskVet_comments.ndjson", src.report, kept_comments, "id")


SHP = {"post_id": ids, "domain": st.just("askvet_train"), "upvote_ratio": st.floats(0, 1), "history": texts,
       "c_root_id_A": ids, "c_root_id_B": ids, "created_at_utc_A": times, "created_at_utc_B": times,
       "score_A": st.integers(0, 50), "score_B": st.integers(0, 50), "human_ref_A": texts, "human_ref_B": texts,
       "labels": st.integers(0, 1), "seconds_difference": st.floats(), "score_ratio": st.floats()}


@SETTINGS
@given(rows=lines(SHP))
def test_no_shp_row_aborts_the_read_and_every_row_is_accounted_for(rows):
    with tempfile.TemporaryDirectory() as d:
        root = Path(d) / "SHP"
        (root / "askvet").mkdir(parents=True)
        good = {k: "x" for k in ("post_id", "domain", "history", "c_root_id_A", "c_root_id_B", "human_ref_A",
                                 "human_ref_B")} | {"domain": "askvet_train", "score_A": 1, "score_B": 0}
        path = root / "askvet" / "train.json"
        path.write_bytes(json.dumps(good).encode() + b"\n" + b"".join(x + b"\n" for x in rows))  # layout found
        src = open_source(str(root))
        src.report = BadInputReport(max_examples=10**6)
        posts = {p.id for p in src.iter_posts()}
        _accounted(path, src.report, posts, "post_id")  # row-level reasons: the posts pass
        comments = list(src.iter_comments())
        assert all(c.post_id in posts for c in comments)


WP = {"post_title": texts, "post_text": texts, "post_scores": st.integers(0, 99),
      "comment_texts": st.lists(texts, max_size=3), "comment_scores": st.lists(st.integers(0, 9), max_size=3),
      "comment_times": st.lists(times.map(str), max_size=3)}


@SETTINGS
@given(rows=st.lists(records(WP), max_size=15))
def test_no_writingprompts_row_aborts_the_read(rows):
    from rmbench.sources.hub import file_rows
    from rmbench.sources.hub_rows import wp_rows_to_comments, wp_rows_to_posts

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "train.jsonl"
        path.write_bytes(b"".join(json.dumps(r).encode("utf-8", "surrogatepass") + b"\n" for r in rows))
        report = BadInputReport(max_examples=10**6)
        posts = list(wp_rows_to_posts(file_rows(path, "wp", str(path), report, True), report))
        comments = list(wp_rows_to_comments(file_rows(path, "wp", str(path), report, False), report))
        dropped = sum(n for r, n in report.counts.get(str(path), {}).items()
                      if is_drop(r) and r not in ("missing_comment_text", "bad_comment_text", "bad_comment_score",
                                                  "bad_comment_time", "ragged_row"))
        assert len(rows) == len(posts) + dropped  # each row is a post, or dropped with its reason
        assert {c.post_id for c in comments} <= {p.id for p in posts}
