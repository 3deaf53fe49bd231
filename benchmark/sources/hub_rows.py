"""Row converters for the hub sources: SHP pair rows and WritingPrompts_preferences post rows
-> ``Post``/``Comment``. Shared by the hub load and the local-files load (``hub.py``).

Bad rows are counted in the report under ``<spec>[<split>]`` with their row numbers:
``missing_<column>`` (skipped), ``score_null`` (kept, dropped later as score_missing),
``bad_comment_time`` (that comment skipped), ``ragged_row`` (WritingPrompts lists of
unequal length: the extra entries are skipped), ``duplicate_post`` (a WritingPrompts row
identical to an earlier one). Post-level problems are counted in the posts pass only,
so a row is never counted twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from functools import lru_cache

from rmbench.records import BadInputReport, Comment, Post

SHP_COLUMNS = frozenset({"post_id", "domain", "history", "c_root_id_A", "c_root_id_B", "human_ref_A",
                         "human_ref_B", "score_A", "score_B"})
WP_COLUMNS = frozenset({"post_title", "comment_texts", "comment_scores"})
# Reddit usernames cannot contain brackets, so this never names a real account; a null
# author would read as a deleted account to the task rules.
UNKNOWN_AUTHOR = "[unknown]"
WP_SUBREDDIT = "WritingPrompts"
_SPLIT_SUFFIXES = ("_train", "_validation", "_test", "_dev", "_val")

Rows = Iterable[tuple[str, int, dict]]  # (where, row number, row)


def shp_features():
    """SHP's column types as its dataset card declares them (so local files load identically)."""
    from datasets import Features, Value

    ints = {c: Value("int64") for c in ("created_at_utc_A", "created_at_utc_B", "score_A", "score_B", "labels")}
    floats = {c: Value("float64") for c in ("upvote_ratio", "seconds_difference", "score_ratio")}
    strings = {c: Value("string") for c in ("post_id", "domain", "history", "c_root_id_A", "c_root_id_B",
                                            "human_ref_A", "human_ref_B")}
    order = ("post_id", "domain", "upvote_ratio", "history", "c_root_id_A", "c_root_id_B", "created_at_utc_A",
             "created_at_utc_B", "score_A", "score_B", "human_ref_A", "human_ref_B", "labels",
             "seconds_difference", "score_ratio")
    types = {**ints, **floats, **strings}
    return Features({c: types[c] for c in order})


@lru_cache(maxsize=None)
def subreddit_of_domain(domain: str) -> str:
    """"askculinary_train" -> "AskCulinary": the split suffix goes, the task's spelling comes."""
    name = domain
    for suffix in _SPLIT_SUFFIXES:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    from rmbench.registry import all_tasks

    for task in all_tasks().values():
        for sub in getattr(task, "subreddits", ()):
            if sub.lower() == name.lower():
                return sub
    return name


def _missing(row: dict, columns: tuple[str, ...]) -> str | None:
    for c in columns:
        if row.get(c) is None:
            return c
    return None


# -- SHP ---------------------------------------------------------------------------------------
def shp_rows_to_posts(rows: Rows, report: BadInputReport) -> Iterator[Post]:
    seen: set[str] = set()
    for where, i, row in rows:
        gone = _missing(row, ("post_id", "domain", "history"))
        if gone:
            report.add(where, f"missing_{gone}", i)
            continue
        pid = row["post_id"]
        if pid in seen:
            continue  # one post, many pairs
        seen.add(pid)
        ratio = row.get("upvote_ratio")
        yield Post(id=pid, subreddit=subreddit_of_domain(row["domain"]), title=row["history"], selftext="",
                   created_utc=None,  # type: ignore[arg-type]  # SHP has no post time: delays stay null
                   upvote_ratio=float(ratio) if ratio is not None else None)


def shp_rows_to_comments(rows: Rows, report: BadInputReport) -> Iterator[Comment]:
    seen: set[str] = set()
    for where, i, row in rows:
        if _missing(row, ("post_id", "domain", "history")):
            continue  # counted in the posts pass
        pid = row["post_id"]
        sub = subreddit_of_domain(row["domain"])
        for side in ("A", "B"):
            cols = (f"c_root_id_{side}", f"human_ref_{side}", f"created_at_utc_{side}")
            gone = _missing(row, cols)
            if gone:
                report.add(where, f"missing_{gone}", i)
                continue
            cid = row[cols[0]]
            if cid in seen:
                continue  # the same comment in another pair
            seen.add(cid)
            score = row.get(f"score_{side}")
            if score is None:
                report.add(where, "score_null", i)
            yield Comment(id=cid, post_id=pid, parent_id="t3_" + pid, subreddit=sub, body=row[cols[1]],
                          created_utc=int(row[cols[2]]), author=UNKNOWN_AUTHOR,
                          score=int(score) if score is not None else None)


# -- WritingPrompts_preferences -----------------------------------------------------------------
def stable_id(*parts: str) -> str:
    """A short id derived from a row's content: the same row gets the same id everywhere."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:12]


def parse_time(value) -> int | None:
    """Epoch seconds from an int, a numeric string, or an ISO 8601 string (naive = UTC)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    if not isinstance(value, str) or not value.strip():
        return None
    s = value.strip()
    try:
        return int(float(s))
    except ValueError:
        pass
    try:
        t = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return int(t.timestamp())


def _wp_post_id(row: dict) -> str:
    times = row.get("comment_times") or []
    return stable_id(row.get("post_title") or "", row.get("post_text") or "", *map(str, times))


def wp_rows_to_posts(rows: Rows, report: BadInputReport) -> Iterator[Post]:
    seen: set[str] = set()
    for where, i, row in rows:
        gone = _missing(row, ("post_title", "comment_texts", "comment_scores"))
        if gone:
            report.add(where, f"missing_{gone}", i)
            continue
        pid = _wp_post_id(row)
        if pid in seen:
            report.add(where, "duplicate_post", i)
            continue
        seen.add(pid)
        lengths = {len(row["comment_texts"]), len(row["comment_scores"]), len(row.get("comment_times") or [])}
        if len(lengths) > 1:
            report.add(where, "ragged_row", i)
        score = row.get("post_scores")
        yield Post(id=pid, subreddit=WP_SUBREDDIT, title=row["post_title"], selftext=row.get("post_text") or "",
                   created_utc=None,  # type: ignore[arg-type]  # the dataset has no post time
                   score=int(score) if score is not None else None)


def wp_rows_to_comments(rows: Rows, report: BadInputReport) -> Iterator[Comment]:
    seen: set[str] = set()
    for where, i, row in rows:
        if _missing(row, ("post_title", "comment_texts", "comment_scores")):
            continue  # counted in the posts pass
        pid = _wp_post_id(row)
        if pid in seen:
            continue  # a duplicate row: counted in the posts pass
        seen.add(pid)
        times = row.get("comment_times") or []
        for j, (body, score, when) in enumerate(zip(row["comment_texts"], row["comment_scores"], times)):
            if body is None:
                report.add(where, "missing_comment_text", i)
                continue
            created = parse_time(when)
            if created is None:
                report.add(where, "bad_comment_time", i)
                continue
            if score is None:
                report.add(where, "score_null", i)
            yield Comment(id=stable_id(pid, str(j), body), post_id=pid, parent_id="t3_" + pid,
                          subreddit=WP_SUBREDDIT, body=body, created_utc=created, author=UNKNOWN_AUTHOR,
                          score=int(score) if score is not None else None)
