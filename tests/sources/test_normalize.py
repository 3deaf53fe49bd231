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
