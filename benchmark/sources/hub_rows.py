"""Row converters for the hub sources: SHP pair rows and WritingPrompts_preferences post rows
-> ``Post``/``Comment``. Shared by the hub download and local files (``hub.py``).

Every value goes through the checks of ``rmbench.sources.normalize`` (types, finite
numbers, 64-bit integers, surrogates), and bad rows are counted in the report under the
file they came from with their row numbers. Row-level reasons are counted in the posts
pass, side- and comment-level ones in the comments pass, so nothing is counted twice:
- SHP: ``missing_<column>`` / ``bad_<column>`` (the row, or that side, skipped),
  ``labels_disagree`` (``labels`` is not 1 exactly when score_A > score_B: the row is
  skipped), ``duplicate_row`` (the same pair again), ``duplicate_post_conflict`` /
  ``duplicate_comment_conflict`` (an id seen before with other content: the first copy is
  kept), ``score_null`` (kept, dropped later as score_missing);
- WritingPrompts: ``missing_<column>`` / ``bad_<column>`` (row skipped),
  ``missing_comment_text`` / ``bad_comment_text`` / ``bad_comment_score`` /
  ``bad_comment_time`` (that comment skipped), ``ragged_row`` (lists of unequal length: the
  extra entries are skipped), ``duplicate_post`` (a row identical to an earlier one).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from functools import lru_cache

from rmbench.records import BadInputReport, Comment, Post
from rmbench.sources.values import TIME_MAX, Bad, epoch, flag, opt_integer, opt_text, ratio, score, text

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


def _req(row: dict, name: str, fixes: list) -> str:
    v = row.get(name)
    if v is None:
        raise Bad(f"missing_{name}")
    return text(v, name, fixes)


def _add(report: BadInputReport, where: str, i: int, fixes: list) -> None:
    for reason in dict.fromkeys(fixes):
        report.add(where, reason, i)


# -- SHP ---------------------------------------------------------------------------------------
def _shp_row(row: dict, fixes: list) -> tuple[str, str, str, float | None]:
    """(post_id, subreddit, history, upvote_ratio) of a usable row, else ``Bad``."""
    pid, domain, history = _req(row, "post_id", fixes), _req(row, "domain", fixes), _req(row, "history", fixes)
    up = ratio(row.get("upvote_ratio"), fixes)
    labels = row.get("labels")
    if labels is not None:
        lab = flag(labels, "labels", [])
        a, b = row.get("score_A"), row.get("score_B")
        if type(a) in (int, float) and type(b) in (int, float) and math.isfinite(a) and math.isfinite(b) \
                and lab != (a > b):
            raise Bad("labels_disagree")
    return pid, subreddit_of_domain(domain), history, up


class _Rows:
    """The row-level verdict both passes share: usable rows, first copies of pairs."""

    def __init__(self):
        self.pairs: set[tuple] = set()

    def check(self, row: dict, fixes: list):
        got = _shp_row(row, fixes)
        key = (got[0], repr(row.get("c_root_id_A")), repr(row.get("c_root_id_B")))  # any JSON value hashes
        if key in self.pairs:
            raise Bad("duplicate_row")
        self.pairs.add(key)
        return got


def shp_rows_to_posts(rows: Rows, report: BadInputReport) -> Iterator[Post]:
    seen: dict[str, tuple] = {}
    verdict = _Rows()
    for where, i, row in rows:
        fixes: list = []
        try:
            pid, sub, history, up = verdict.check(row, fixes)
        except Bad as e:
            report.add(where, e.reason, i)
            continue
        _add(report, where, i, fixes)
        if pid in seen:  # one post, many pairs
            if seen[pid] != (sub, history):
                report.add(where, "duplicate_post_conflict", i)
            continue
        seen[pid] = (sub, history)
        yield Post(id=pid, subreddit=sub, title=history, selftext="",
                   created_utc=None,  # type: ignore[arg-type]  # SHP has no post time: delays stay null
                   upvote_ratio=up)


def shp_rows_to_comments(rows: Rows, report: BadInputReport) -> Iterator[Comment]:
    seen: dict[str, tuple] = {}
    verdict = _Rows()
    for where, i, row in rows:
        try:
            pid, sub, _, _ = verdict.check(row, [])
        except Bad:
            continue  # counted in the posts pass
        for side in ("A", "B"):
            fixes: list = []
            try:
                cid, body, created, sc = _shp_side(row, side, fixes)
            except Bad as e:
                report.add(where, e.reason, i)
                continue
            content = (pid, body, created, sc)
            if cid in seen:  # the same comment in another pair
                if seen[cid] != content:
                    report.add(where, "duplicate_comment_conflict", i)
                continue
            seen[cid] = content
            _add(report, where, i, fixes)
            yield Comment(id=cid, post_id=pid, parent_id="t3_" + pid, subreddit=sub, body=body,
                          created_utc=created, author=UNKNOWN_AUTHOR, score=sc)


def _shp_side(row: dict, side: str, fixes: list) -> tuple[str, str, int, int | None]:
    """(comment id, text, time, score) of side A or B; reasons name the side's own column."""
    cid, body = _req(row, f"c_root_id_{side}", fixes), _req(row, f"human_ref_{side}", fixes)
    own: list = []
    try:
        created = epoch(row.get(f"created_at_utc_{side}"), own)
        sc = score(row.get(f"score_{side}"), own)
    except Bad as e:
        raise Bad(_sided(e.reason, side)) from None
    fixes += [f if f == "score_null" else _sided(f, side) for f in own]
    return cid, body, created, sc


def _sided(reason: str, side: str) -> str:
    return reason.replace("created_utc", f"created_at_utc_{side}").replace("score", f"score_{side}")


# -- WritingPrompts_preferences -----------------------------------------------------------------
def stable_id(*parts: str) -> str:
    """A short id derived from a row's content: the same row gets the same id everywhere."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:12]


def parse_time(value) -> int | None:
    """Epoch seconds in [0, 2**33) from an int, a numeric string, or an ISO 8601 string (naive = UTC)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value) if math.isfinite(value) and 0 <= value < TIME_MAX else None
    if not isinstance(value, str) or not value.strip():
        return None
    s = value.strip()
    try:
        x = float(s)
    except ValueError:
        pass
    else:
        return int(x) if math.isfinite(x) and 0 <= x < TIME_MAX else None
    try:
        t = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    x = t.timestamp()
    return int(x) if 0 <= x < TIME_MAX else None


def _wp_row(row: dict, fixes: list) -> tuple[str, str, int | None, list, list, list]:
    title = _req(row, "post_title", fixes)
    body = opt_text(row.get("post_text"), "post_text", fixes) or ""
    post_score = opt_integer(row.get("post_scores"), "post_scores", fixes)
    lists = []
    for name in ("comment_texts", "comment_scores", "comment_times"):
        v = row.get(name)
        if v is None and name != "comment_times":
            raise Bad(f"missing_{name}")
        if v is not None and not isinstance(v, (list, tuple)):
            raise Bad(f"bad_{name}")
        lists.append(list(v or ()))
    return title, body, post_score, *lists


def _wp_post_id(title: str, body: str, times: list) -> str:
    return stable_id(title, body, *map(str, times))


def wp_rows_to_posts(rows: Rows, report: BadInputReport) -> Iterator[Post]:
    seen: set[str] = set()
    for where, i, row in rows:
        fixes: list = []
        try:
            title, body, post_score, texts, scores, times = _wp_row(row, fixes)
        except Bad as e:
            report.add(where, e.reason, i)
            continue
        pid = _wp_post_id(title, body, times)
        if pid in seen:
            report.add(where, "duplicate_post", i)
            continue
        seen.add(pid)
        _add(report, where, i, fixes)
        if len({len(texts), len(scores), len(times)}) > 1:
            report.add(where, "ragged_row", i)
        yield Post(id=pid, subreddit=WP_SUBREDDIT, title=title, selftext=body,
                   created_utc=None,  # type: ignore[arg-type]  # the dataset has no post time
                   score=post_score)


def wp_rows_to_comments(rows: Rows, report: BadInputReport) -> Iterator[Comment]:
    seen: set[str] = set()
    for where, i, row in rows:
        try:
            title, body, _, texts, scores, times = _wp_row(row, [])
        except Bad:
            continue  # counted in the posts pass
        pid = _wp_post_id(title, body, times)
        if pid in seen:
            continue  # a duplicate row: counted in the posts pass
        seen.add(pid)
        for j, (story, sc, when) in enumerate(zip(texts, scores, times)):
            fixes: list = []
            try:
                if story is None:
                    raise Bad("missing_comment_text")
                story = text(story, "comment_text", fixes)
                sc = score(sc, fixes)
            except Bad as e:
                report.add(where, e.reason if e.reason != "bad_score" else "bad_comment_score", i)
                continue
            created = parse_time(when)
            if created is None:
                report.add(where, "bad_comment_time", i)
                continue
            _add(report, where, i, fixes)
            yield Comment(id=stable_id(pid, str(j), story), post_id=pid, parent_id="t3_" + pid,
                          subreddit=WP_SUBREDDIT, body=story, created_utc=created, author=UNKNOWN_AUTHOR, score=sc)
