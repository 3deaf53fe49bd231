"""One raw dump object (a parsed JSON line) -> ``Post`` / ``Comment``: every field checked
for type and range, every repair and every drop counted.

Accepts everything from 2011 Pushshift dumps (few fields, string timestamps) to the
71-field Arctic Shift schema of 2024 (float timestamps, ``edited`` as an epoch). Fields
a record lacks stay ``None`` ("unknown"), never a guessed value. With the single-value
checks of ``rmbench.sources.values``, this is the one place value-level input hygiene lives;
the hub converters (``hub_rows``) use the same checks. Nothing here decodes JSON: it
classifies values the decoder produced, so the decoder can change (``dumps.py``;
``typed.py`` decodes only the fields read here, into a record with ``get`` like a dict)
without touching the rules.

Reasons written to the ``BadInputReport`` (stable keys: the manifest shows them):
- record skipped: ``missing_<field>`` (a required field absent or null), ``bad_<field>``
  (wrong type, unparsable, not finite, or out of range: times outside [0, 2**33), integers
  outside SQLite's 64-bit range, an upvote ratio outside [0, 1]);
- repaired and kept, only where the meaning is certain: ``created_utc_string``,
  ``score_string`` / ``num_comments_string`` (numeric strings), ``<field>_float`` (an
  integral float such as ``5.0``), ``<flag>_string`` (``"true"/"false"/"0"/"1"`` for a
  boolean flag), ``<flag>_number`` (0/1 for a flag), ``surrogates_replaced`` (lone UTF-16
  surrogates in a text, as JSON escapes or raw bytes, replaced with U+FFFD), ``score_null``
  (null or absent score: kept so the pairing rule can drop it as ``score_missing``),
  ``retrieved_unusable`` (a comment's score snapshot time that is not a time, or is before
  the comment: its score age is unknown, as when the dump does not say, and the comment kept).

When a comment's score was read (``Comment.retrieved_utc``, the score age's clock) is decided
by ``snapshot_value`` and ``snapshot``.

This module is the hot path of every dump read: a comment whose values all have their type
and range takes one combined check (``comment_from_raw``'s fast path); anything else goes
through the careful path, which decides it field by field.
"""

from __future__ import annotations

from rmbench.records import BadInputReport, Comment, Post
# The single-value checks (rmbench.sources.values), also importable from here as they long were.
from rmbench.sources.values import (_SURROGATE, INT64_MAX, INT64_MIN, TIME_MAX, Bad, edited, epoch, flag, integer,
                                    opt_integer, opt_text, ratio, score, subreddit_of, text)

COMMENT_REQUIRED = ("id", "link_id", "parent_id", "body", "created_utc")
POST_REQUIRED = ("id", "title", "created_utc")
_UNUSABLE = object()  # snapshot_value: a ``_meta`` that is not an object says nothing usable


def snapshot_value(get):
    """The raw value that says when a comment's score was read, from a record's ``get``: Arctic
    Shift's ``_meta.retrieved_2nd_on``, else ``retrieved_utc``, else ``retrieved_on``; None when
    it has none of them. Why that order: Arctic Shift reads every record twice, seconds after it
    is posted (when the score is Reddit's placeholder 1) and ~36 hours later, which writes
    ``_meta.retrieved_2nd_on`` and the settled values; Pushshift wrote ``retrieved_utc`` (later
    dumps) or ``retrieved_on``."""
    meta = get("_meta")
    if meta is not None:
        if type(meta) is dict:
            second = meta.get("retrieved_2nd_on")
        else:  # the typed decoder's CheckedMeta, or something that is not an object at all
            second = getattr(meta, "retrieved_2nd_on", _UNUSABLE)
        if second is not None:
            return second
    v = get("retrieved_utc")
    return get("retrieved_on") if v is None else v


def snapshot(v, created: int, fixes: list) -> int | None:
    """A snapshot time as epoch seconds (``epoch``'s repairs), or None: unknown, because the
    record does not say or because what it says is not a time at or after ``created``
    (``retrieved_unusable``; the comment is kept, as one without a snapshot would be)."""
    if v is None:
        return None
    own: list = []
    try:
        x = _UNUSABLE if v is _UNUSABLE else integer(v, "retrieved_utc", own, 0, TIME_MAX - 1, fraction=True)
    except Bad:
        x = _UNUSABLE
    if x is _UNUSABLE or x < created:
        fixes.append("retrieved_unusable")
        return None
    fixes.extend(own)
    return x


def required(d: dict, names: tuple[str, ...], fixes: list) -> list[str]:
    """The required text fields, in order; the first absent/null one is ``missing_<name>``."""
    out = []
    for name in names:
        v = d.get(name)
        if v is None:
            raise Bad(f"missing_{name}")
        out.append(text(v, name, fixes))
    return out


def _count(report: BadInputReport, path: str, line: int, fixes: list) -> None:
    for reason in dict.fromkeys(fixes):  # once per record and reason
        report.add(path, reason, line)


def comment_from_raw(d: dict, subreddit: str | None, path: str, line: int, report: BadInputReport,
                     synthetic: bool = False) -> Comment | None:
    get = d.get
    return comment_from_values(get("id"), get("link_id"), get("parent_id"), get("body"), get("created_utc"),
                               get("subreddit"), get("author"), get("score"), get("distinguished"), get("edited"),
                               get("stickied"), get("is_submitter"), snapshot_value(get), d, subreddit, path, line,
                               report, synthetic)


def comment_from_fields(s, subreddit: str | None, path: str, line: int, report: BadInputReport,
                        synthetic: bool = False) -> Comment | None:
    """``comment_from_raw`` for the typed decoder's record (``rmbench.sources.typed``)."""
    return comment_from_values(s.id, s.link_id, s.parent_id, s.body, s.created_utc, s.subreddit, s.author, s.score,
                               s.distinguished, s.edited, s.stickied, s.is_submitter, snapshot_value(s.get), s,
                               subreddit, path, line, report, synthetic)


def comment_from_checked(s, subreddit: str | None, path: str, line: int, report: BadInputReport,
                         synthetic: bool = False) -> Comment | None:
    """``comment_from_fields`` for a ``typed.CheckedComment``: its decoder already checked
    every type and range ``comment_from_values``' fast path tests, and msgspec never yields a
    lone surrogate, so only what a type cannot say is left: a non-blank subreddit (or a file
    that names one) and a prefixed parent id. Anything else takes the careful path."""
    sub, parent, created = s.subreddit, s.parent_id, s.created_utc
    if type(created) is float:  # the 2024 schema's 1706745600.0: truncated, as epoch() does
        created = int(created)
    # snapshot_value's order, inlined (this runs once per comment); a CheckedMeta's time, like
    # the two below, already has its type and range. test_typed_decoder checks both paths agree.
    meta = s._meta
    snap = meta.retrieved_2nd_on if meta is not None and meta.retrieved_2nd_on is not None else (
        s.retrieved_utc if s.retrieved_utc is not None else s.retrieved_on)
    if type(snap) is float:
        snap = int(snap)
    if ((sub.strip() if sub is not None else subreddit) and parent.startswith(("t1_", "t3_"))
            and (snap is None or snap >= created)):
        cid, link = s.id, s.link_id
        return Comment(cid[3:] if cid.startswith("t1_") else cid, link[3:] if link.startswith("t3_") else link,
                       parent, sub or subreddit, s.body, created, s.author, s.score, s.edited, s.distinguished,
                       s.stickied, s.is_submitter, synthetic, snap)
    return _careful_comment(s, subreddit, path, line, report, synthetic)


def comment_from_values(cid, link, parent, body, created, sub, author, sc, dist, ed, stk, sbm, snap, d,
                        subreddit: str | None, path: str, line: int, report: BadInputReport,
                        synthetic: bool) -> Comment | None:
    """The comment whose fields are these values; ``d`` (a dict, or anything with its ``get``)
    holds them too, for the careful path. One function for both decoders: one set of rules."""
    # The fast path: every value already of its type and range (nearly every line of a real
    # dump) in one combined test, inlined because it runs once per comment; the careful path
    # below decides everything else, with its reasons.
    if (type(cid) is str and type(link) is str and type(parent) is str and type(body) is str
            and type(created) is int and 0 <= created < TIME_MAX and type(sc) is int and INT64_MIN <= sc <= INT64_MAX
            and (type(sub) is str and sub.strip() or sub is None and subreddit)
            and (author is None or type(author) is str) and (dist is None or type(dist) is str)
            and (ed is None or ed is True or ed is False) and (stk is None or stk is True or stk is False)
            and (sbm is None or sbm is True or sbm is False) and parent.startswith(("t1_", "t3_"))
            and (snap is None or type(snap) is int and created <= snap < TIME_MAX)):
        short = cid + link + parent + (sub or "") + (author or "") + (dist or "")
        if (short.isascii() or _SURROGATE.search(short) is None) and (body.isascii() or _SURROGATE.search(body) is None):
            # Positional, in Comment's field order: measurably cheaper than keywords per record.
            return Comment(cid[3:] if cid.startswith("t1_") else cid, link[3:] if link.startswith("t3_") else link,
                           parent, sub or subreddit, body, created, author, sc, ed, dist, stk, sbm, synthetic, snap)
    return _careful_comment(d, subreddit, path, line, report, synthetic)


def _careful_comment(d, subreddit: str | None, path: str, line: int, report: BadInputReport,
                     synthetic: bool) -> Comment | None:
    fixes: list = []
    get = d.get
    try:
        cid, link, parent, body = required(d, ("id", "link_id", "parent_id", "body"), fixes)
        created = epoch(get("created_utc"), fixes)
        sub = subreddit_of(get("subreddit"), subreddit, fixes)
        author = opt_text(get("author"), "author", fixes)
        distinguished = opt_text(get("distinguished"), "distinguished", fixes)
        sc = score(get("score"), fixes)
        c = Comment(cid[3:] if cid.startswith("t1_") else cid, link[3:] if link.startswith("t3_") else link,
                    parent, sub, body, created, author, sc, edited(get("edited"), fixes), distinguished,
                    flag(get("stickied"), "stickied", fixes), flag(get("is_submitter"), "is_submitter", fixes),
                    synthetic, snapshot(snapshot_value(get), created, fixes))
    except Bad as e:
        report.add(path, e.reason, line)
        return None
    if not c.parent_id.startswith(("t1_", "t3_")):  # a few old dumps drop the prefix
        c.parent_id = ("t3_" if c.parent_id == c.post_id else "t1_") + c.parent_id
    if fixes:
        _count(report, path, line, fixes)
    return c


def post_from_raw(d: dict, subreddit: str | None, path: str, line: int, report: BadInputReport,
                  synthetic: bool = False) -> Post | None:
    fixes: list = []  # posts are few beside comments: the careful path is cheap enough for all
    get = d.get
    try:
        pid, title = required(d, ("id", "title"), fixes)
        created = epoch(get("created_utc"), fixes)
        p = Post(id=pid[3:] if pid.startswith("t3_") else pid, subreddit=subreddit_of(get("subreddit"), subreddit, fixes),
                 title=title, selftext=opt_text(get("selftext"), "selftext", fixes) or "", created_utc=created,
                 author=opt_text(get("author"), "author", fixes), score=score(get("score"), fixes),
                 is_self=flag(get("is_self"), "is_self", fixes), upvote_ratio=ratio(get("upvote_ratio"), fixes),
                 over_18=flag(get("over_18"), "over_18", fixes), stickied=flag(get("stickied"), "stickied", fixes),
                 distinguished=opt_text(get("distinguished"), "distinguished", fixes),
                 edited=edited(get("edited"), fixes),
                 removed_by_category=opt_text(get("removed_by_category"), "removed_by_category", fixes),
                 num_comments=opt_integer(get("num_comments"), "num_comments", fixes), synthetic=synthetic)
    except Bad as e:
        report.add(path, e.reason, line)
        return None
    if fixes:
        _count(report, path, line, fixes)
    return p


def post_from_checked(s, subreddit: str | None, path: str, line: int, report: BadInputReport,
                      synthetic: bool = False) -> Post | None:
    """``post_from_raw`` for a ``typed.CheckedPost``: every value already has a type and range
    ``post_from_raw`` keeps without a repair (and no lone surrogate), so only the subreddit
    is left to test (present and not blank, or named by the file). Anything else: the careful path."""
    sub = s.subreddit
    if not (sub.strip() if sub else subreddit):
        return post_from_raw(s, subreddit, path, line, report, synthetic)
    pid, created = s.id, s.created_utc
    if type(created) is float:  # truncated, as epoch() does
        created = int(created)
    return Post(pid[3:] if pid.startswith("t3_") else pid, sub or subreddit, s.title, s.selftext or "", created,
                s.author, s.score, s.is_self, s.upvote_ratio, s.over_18, s.stickied, s.distinguished, s.edited,
                s.removed_by_category, s.num_comments, synthetic)


def looks_like_comment(d: dict) -> bool:
    """For files whose name does not say what they hold (e.g. an API export)."""
    return "link_id" in d or "body" in d


__all__ = ["COMMENT_REQUIRED", "INT64_MAX", "INT64_MIN", "POST_REQUIRED", "TIME_MAX", "Bad", "comment_from_checked",
           "comment_from_fields", "comment_from_raw", "comment_from_values", "edited", "epoch", "flag", "integer",
           "looks_like_comment", "opt_integer", "opt_text", "post_from_checked", "post_from_raw", "ratio", "required",
           "score", "snapshot", "snapshot_value", "subreddit_of", "text"]
