"""Raw dump objects -> Post/Comment: types, prefixes, unknowns, and what each repair counts."""

from __future__ import annotations

from rmbench.records import BadInputReport
from rmbench.sources.normalize import comment_from_raw, post_from_raw


def test_comment_fields_are_normalized():
    report = BadInputReport()
    raw = {"id": "t1_abc", "link_id": "t3_p1", "parent_id": "t1_xyz", "body": "hi", "created_utc": 1706745600.0,
           "score": 4, "edited": 1706749999, "distinguished": "moderator", "stickied": True, "is_submitter": False,
           "author": "someone", "subreddit": "AskVet"}
    c = comment_from_raw(raw, "Ignored", "f", 1, report, synthetic=True)
    assert (c.id, c.post_id, c.parent_id, c.top_level) == ("abc", "p1", "t1_xyz", False)
    assert (c.created_utc, c.edited, c.distinguished, c.stickied, c.is_submitter) == \
        (1706745600, True, "moderator", True, False)
    assert c.subreddit == "AskVet" and c.synthetic and report.total() == 0


def test_unknown_stays_none_and_repairs_are_counted():
    report = BadInputReport()
    raw = {"id": "c1", "link_id": "t3_p1", "parent_id": "t3_p1", "body": "x", "created_utc": "1303272568",
           "score": "7", "edited": False}
    c = comment_from_raw(raw, "Emory", "f", 3, report)
    assert (c.score, c.edited, c.author, c.stickied, c.subreddit) == (7, False, None, None, "Emory")
    assert report.as_dict() == {"f": {"created_utc_string": {"count": 1, "first_lines": [3], "input": "kept"},
                                      "score_string": {"count": 1, "first_lines": [3], "input": "kept"}}}


def test_comment_without_any_subreddit_is_skipped():
    report = BadInputReport()
    raw = {"id": "c1", "link_id": "t3_p1", "parent_id": "t3_p1", "body": "x", "created_utc": 1}
    assert comment_from_raw(raw, None, "f", 9, report) is None
    assert report.as_dict()["f"] == {"missing_subreddit": {"count": 1, "first_lines": [9], "input": "skipped"}}


def test_post_fields_are_normalized():
    report = BadInputReport()
    raw = {"id": "t3_p1", "name": "t3_p1", "title": "T", "selftext": None, "created_utc": 5, "score": None,
           "upvote_ratio": 1, "over_18": False, "is_self": True, "removed_by_category": "moderator",
           "edited": False, "num_comments": 12}
    p = post_from_raw(raw, "GradSchool", "f", 2, report)
    assert (p.id, p.selftext, p.score, p.upvote_ratio, p.removed_by_category, p.edited, p.num_comments) == \
        ("p1", "", None, 1.0, "moderator", False, 12)
    assert p.subreddit == "GradSchool" and p.stickied is None
    assert report.as_dict()["f"] == {"score_null": {"count": 1, "first_lines": [2], "input": "kept"}}


# -- value-level faults (issue 12): each class is dropped or repaired, with its reason ------------
import json  # noqa: E402

import pytest  # noqa: E402

from rmbench.sources.dumps import parse_line  # noqa: E402


def _comment(**over) -> dict:
    return {"id": "c1", "link_id": "t3_p1", "parent_id": "t3_p1", "body": "x", "created_utc": 1600000000,
            "score": 3, "subreddit": "AskVet", **over}


def _post(**over) -> dict:
    return {"id": "p1", "title": "T", "created_utc": 1600000000, "subreddit": "AskVet", **over}


def _from_line(raw: bytes, kind: str = "comment"):
    """Decode a dump line exactly as the reader does, then normalize it."""
    report = BadInputReport()
    d, _ = parse_line(raw)
    convert = comment_from_raw if kind == "comment" else post_from_raw
    return convert(d, None, "f", 7, report), {k: v["count"] for k, v in report.as_dict().get("f", {}).items()}


@pytest.mark.parametrize("line,reason", [
    (b'{"score": NaN}', "bad_score"), (b'{"score": Infinity}', "bad_score"), (b'{"score": -Infinity}', "bad_score"),
    (b'{"score": 1e400}', "bad_score"), (b'{"created_utc": NaN}', "bad_created_utc"),
    (b'{"created_utc": 1e400}', "bad_created_utc"), (b'{"created_utc": 1700000000000}', "bad_created_utc"),
    (b'{"created_utc": -5}', "bad_created_utc"), (b'{"edited": NaN}', "bad_edited"),
    (b'{"score": 99999999999999999999}', "bad_score"), (b'{"score": -9223372036854775809}', "bad_score"),
    (b'{"score": "1e999"}', "bad_score"), (b'{"score": true}', "bad_score"), (b'{"score": [1]}', "bad_score"),
    (b'{"author": 42}', "bad_author"), (b'{"author": ["a"]}', "bad_author"), (b'{"body": {"t": 1}}', "bad_body"),
    (b'{"subreddit": 7}', "bad_subreddit"), (b'{"distinguished": 1}', "bad_distinguished"),
    (b'{"stickied": "maybe"}', "bad_stickied"), (b'{"is_submitter": 2}', "bad_is_submitter"),
    (b'{"id": 12}', "bad_id"), (b'{"link_id": null}', "missing_link_id"),
])
def test_a_bad_comment_value_drops_the_record_with_its_reason(line, reason):
    fields = json.loads(json.dumps(_comment()))
    raw = json.dumps(fields)[:-1].encode() + b", " + line[1:]  # the bad field last: it overrides
    got, report = _from_line(raw)
    assert got is None and report == {reason: 1}


@pytest.mark.parametrize("line,reason", [
    (b'{"title": 3.5}', "bad_title"), (b'{"selftext": ["x"]}', "bad_selftext"), (b'{"upvote_ratio": NaN}', "bad_upvote_ratio"),
    (b'{"upvote_ratio": 7}', "bad_upvote_ratio"), (b'{"num_comments": Infinity}', "bad_num_comments"),
    (b'{"over_18": "perhaps"}', "bad_over_18"), (b'{"is_self": {}}', "bad_is_self"),
    (b'{"removed_by_category": 0}', "bad_removed_by_category"),
])
def test_a_bad_post_value_drops_the_record_with_its_reason(line, reason):
    raw = json.dumps(_post())[:-1].encode() + b", " + line[1:]
    got, report = _from_line(raw, "post")
    assert got is None and report == {reason: 1}


def test_string_booleans_and_numbers_are_repaired_only_where_the_meaning_is_certain():
    report = BadInputReport()
    p = post_from_raw(_post(over_18="false", is_self="True", stickied=0, edited="false", score="12",
                            num_comments=3.0, upvote_ratio="0.9"), None, "f", 1, report)
    assert (p.over_18, p.is_self, p.stickied, p.edited, p.score, p.num_comments, p.upvote_ratio) == \
        (False, True, False, False, 12, 3, 0.9)
    assert set(report.as_dict()["f"]) == {"over_18_string", "is_self_string", "stickied_number", "edited_string",
                                          "score_string", "num_comments_float", "upvote_ratio_string"}
    assert all(v["input"] == "kept" for v in report.as_dict()["f"].values())
    c = comment_from_raw(_comment(stickied="false", is_submitter="0", edited="1706745600"), None, "f", 2, report)
    assert (c.stickied, c.is_submitter, c.edited) == (False, False, True)


@pytest.mark.parametrize("raw", [
    b'{"id": "c1", "link_id": "t3_p1", "parent_id": "t3_p1", "body": "a \\ud83d b", "created_utc": 1, "score": 2, "subreddit": "S"}',
    b'{"id": "c1", "link_id": "t3_p1", "parent_id": "t3_p1", "body": "a \xed\xa0\xbd b", "created_utc": 1, "score": 2, "subreddit": "S"}',
    b'{"id": "c1", "link_id": "t3_p1", "parent_id": "t3_p1", "body": "ok", "author": "\\udfff", "created_utc": 1, "score": 2, "subreddit": "S\\ud800"}',
])
def test_lone_surrogates_are_replaced_and_counted_as_escapes_and_as_raw_bytes(raw, tmp_path):
    from rmbench.prepare.store import ThreadStore

    c, report = _from_line(raw)
    assert c is not None and report == {"surrogates_replaced": 1}
    assert all("\ud800" > ch or ch > "\udfff" for text in (c.body, c.author or "", c.subreddit) for ch in text)
    with ThreadStore(tmp_path / "t.sqlite") as store:  # the store (UTF-8 only) takes it
        assert store.add_comments([c]) == 1
