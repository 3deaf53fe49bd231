"""One raw dump object (a parsed JSON line) -> ``Post`` / ``Comment``, counting every repair.

Accepts everything from 2011 Pushshift dumps (few fields, string timestamps) to the
71-field Arctic Shift schema of 2024 (float timestamps, ``edited`` as an epoch). Fields
a record lacks stay ``None`` ("unknown"), never a guessed value.

Reasons written to the ``BadInputReport`` (stable keys: the manifest shows them):
- skipped: ``missing_<field>`` (absent or null), ``bad_<field>`` (wrong type, unparsable);
- repaired and kept: ``created_utc_string``, ``score_null`` (null or absent score: kept so
  the pairing rule can drop it as ``score_missing``), ``score_string``.
This module is the hot path of every dump read: keep per-record work to plain dict gets.
"""

from __future__ import annotations

from rmbench.records import BadInputReport, Comment, Post

COMMENT_REQUIRED = ("id", "link_id", "parent_id", "body", "created_utc")
POST_REQUIRED = ("id", "title", "created_utc")


def _skip(d: dict, required: tuple[str, ...], path: str, line: int, report: BadInputReport) -> None:
    for name in required:
        v = d.get(name)
        if v is None:
            report.add(path, f"missing_{name}", line)
            return
        if name != "created_utc" and not isinstance(v, str):
            report.add(path, f"bad_{name}", line)
            return
    report.add(path, "bad_created_utc", line)


def _epoch(v, path: str, line: int, report: BadInputReport) -> int | None:
    t = type(v)
    if t is int:
        return v
    if t is float:  # the 2024 schema writes 1706745600.0
        return int(v)
    if t is str:  # old Pushshift dumps: "1303272568"
        try:
            x = int(float(v))
        except ValueError:
            return None
        report.add(path, "created_utc_string", line)
        return x
    return None


def _score(v, path: str, line: int, report: BadInputReport) -> int | None:
    if type(v) is int:
        return v
    if v is None:
        report.add(path, "score_null", line)
        return None
    try:
        x = int(v)
    except (TypeError, ValueError):
        report.add(path, "score_null", line)
        return None
    report.add(path, "score_string", line)
    return x


def _flag(v) -> bool | None:
    """``edited`` is false, true, or the epoch of the edit; other flags are bools or absent."""
    return None if v is None else bool(v)


def comment_from_raw(d: dict, subreddit: str | None, path: str, line: int, report: BadInputReport,
                     synthetic: bool = False) -> Comment | None:
    get = d.get
    cid, link, parent, body = get("id"), get("link_id"), get("parent_id"), get("body")
    if type(cid) is not str or type(link) is not str or type(parent) is not str or type(body) is not str:
        _skip(d, COMMENT_REQUIRED, path, line, report)
        return None
    created = get("created_utc")
    created = created if type(created) is int else _epoch(created, path, line, report)
    if created is None:
        _skip(d, COMMENT_REQUIRED, path, line, report)
        return None
    sub = get("subreddit") or subreddit
    if not sub:
        report.add(path, "missing_subreddit", line)
        return None
    if cid.startswith("t1_"):
        cid = cid[3:]
    if link.startswith("t3_"):
        link = link[3:]
    if not parent.startswith(("t1_", "t3_")):  # a few old dumps drop the prefix
        parent = ("t3_" if parent == link else "t1_") + parent
    score = get("score")
    if type(score) is not int:
        score = _score(score, path, line, report)
    edited = get("edited")
    if edited is not None and edited is not False:  # _flag, inlined: this runs once per comment
        edited = bool(edited)
    # Positional, in Comment's field order: measurably cheaper than keywords per record.
    return Comment(cid, link, parent, sub, body, created, get("author"), score, edited, get("distinguished"),
                   get("stickied"), get("is_submitter"), synthetic)


def post_from_raw(d: dict, subreddit: str | None, path: str, line: int, report: BadInputReport,
                  synthetic: bool = False) -> Post | None:
    get = d.get
    pid, title = get("id"), get("title")
    if type(pid) is not str or type(title) is not str:
        _skip(d, POST_REQUIRED, path, line, report)
        return None
    created = get("created_utc")
    created = created if type(created) is int else _epoch(created, path, line, report)
    if created is None:
        _skip(d, POST_REQUIRED, path, line, report)
        return None
    sub = get("subreddit") or subreddit
    if not sub:
        report.add(path, "missing_subreddit", line)
        return None
    if pid.startswith("t3_"):
        pid = pid[3:]
    score = get("score")
    if type(score) is not int:
        score = _score(score, path, line, report)
    ratio = get("upvote_ratio")
    return Post(id=pid, subreddit=sub, title=title, selftext=get("selftext") or "", created_utc=created,
                author=get("author"), score=score, is_self=get("is_self"),
                upvote_ratio=float(ratio) if isinstance(ratio, (int, float)) else None,
                over_18=get("over_18"), stickied=get("stickied"), distinguished=get("distinguished"),
                edited=_flag(get("edited")), removed_by_category=get("removed_by_category"),
                num_comments=get("num_comments"), synthetic=synthetic)


def looks_like_comment(d: dict) -> bool:
    """For files whose name does not say what they hold (e.g. an API export)."""
    return "link_id" in d or "body" in d
