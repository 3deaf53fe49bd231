"""The dump reader's fast decoder: only the fields a record needs, with msgspec.

Why: ``json.loads`` builds every field of every line (the 2024 schema has 71) as Python
objects, then ``normalize`` reads a dozen of them. A ``msgspec.json.Decoder`` for a Struct
that lists only those fields skips the rest while still checking their syntax, at several
times the speed. The fields are typed ``Any``, so a wrong type (a score as a string, a body
as a list) decodes as the same Python value ``json.loads`` gives and ``normalize``'s rules
judge it exactly as before; nothing here classifies anything.

Exactly equivalent, or not used: ``decode_line`` returns ``None`` (and the reader takes its
``json`` path, ``rmbench.sources.dumps``) for every line where msgspec could answer differently
from ``json.loads``:
- not starting ``{"`` (blank lines, a BOM, arrays, leading spaces): as the old fast path;
- any msgspec error: NaN/Infinity, a lone surrogate escape (``"\\ud800"``), raw surrogate
  bytes in a needed field, ``1e400`` in a needed field (json gives ``inf``), trailing data,
  control characters, too-deep nesting; json then decides, with its reasons;
- bytes that are not UTF-8 (with surrogatepass, as ``json.loads`` decodes them) anywhere on
  the line: msgspec skips an unneeded string without checking it, json reports
  ``invalid_utf8``. Checked only on non-ASCII lines (``bytes.isascii`` is nearly free);
- a line that could nest deeper than ``rmbench.sources.depth.MAX_DEPTH``: msgspec counts
  depth its own way, so only lines whose ``[``/``{`` count proves them shallow are taken;
- a line longer than ``sys.get_int_max_str_digits()``: it may hold an integer json refuses
  (ValueError: malformed_json) in a field msgspec skips without converting.
Absent and null fields both decode as ``None``, which is what ``normalize``'s ``d.get`` sees
for both.

Records are first decoded as ``CheckedComment`` / ``CheckedPost``, whose fields carry the
types and ranges that need no repair (strings, an int time in range, an int score, booleans
or null...): msgspec checks them in C while parsing, and ``normalize.comment_from_checked``
/ ``post_from_checked`` test only what a type cannot say. A line whose values do not fit (a
missing id, a float time, a string score, duplicate keys with a bad first value...) raises
``ValidationError`` and is decoded again as ``CommentFields`` / ``PostFields`` (``Any``
values: ``normalize``'s careful path decides it, as before); msgspec's syntax errors still
send the line to the json path. Neither record can
hold a lone surrogate: msgspec refuses them, escaped or as raw bytes, as a syntax error. Files whose records are told apart by which keys are present ("mixed" files) keep
the json path: there, presence matters. ``tests/sources/test_typed_decoder.py`` checks all of
this against ``json.loads``, line by line and on the whole prepared output.

``RMBENCH_DECODER=json`` forces the json path (for that comparison, or to rule the decoder
out when chasing a bug); anything else, or nothing, uses this one.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import msgspec

from rmbench.sources.depth import MAX_DEPTH
from rmbench.sources.values import INT64_MAX, INT64_MIN, TIME_MAX


class _Record(msgspec.Struct, gc=False):
    """``get`` as on the dict ``json.loads`` returns, so ``normalize``'s careful paths take
    either. ``gc=False``: these hold only decoded JSON values, never a cycle."""

    def get(self, name: str, default: Any = None) -> Any:
        return getattr(self, name, default)


class CommentFields(_Record, gc=False):
    # Every field comment_from_raw reads; nothing else is built.
    id: Any = None
    link_id: Any = None
    parent_id: Any = None
    body: Any = None
    created_utc: Any = None
    subreddit: Any = None
    author: Any = None
    score: Any = None
    distinguished: Any = None
    edited: Any = None
    stickied: Any = None
    is_submitter: Any = None
    # when the score was read (normalize.snapshot_value)
    retrieved_utc: Any = None
    retrieved_on: Any = None
    _meta: Any = None


class PostFields(_Record, gc=False):
    # Every field post_from_raw reads.
    id: Any = None
    title: Any = None
    selftext: Any = None
    created_utc: Any = None
    subreddit: Any = None
    author: Any = None
    score: Any = None
    is_self: Any = None
    upvote_ratio: Any = None
    over_18: Any = None
    stickied: Any = None
    distinguished: Any = None
    edited: Any = None
    removed_by_category: Any = None
    num_comments: Any = None


_Int64 = Annotated[int, msgspec.Meta(ge=INT64_MIN, le=INT64_MAX)]
# A time as epoch seconds: an int, or a float as the 2024 schema writes them (normalize.epoch
# truncates it, without a note), in [0, TIME_MAX).
_Time = Annotated[int, msgspec.Meta(ge=0, lt=TIME_MAX)] | Annotated[float, msgspec.Meta(ge=0, lt=TIME_MAX)]


class CheckedMeta(msgspec.Struct, gc=False):
    # Arctic Shift's ``_meta``: only the second retrieval's time is read (its other keys are skipped).
    retrieved_2nd_on: _Time | None = None


class CheckedComment(_Record, gc=False):
    # CommentFields with the types of normalize.comment_from_values' fast path: a value of any
    # other type (or out of range, or a required field absent or null) fails the decode.
    id: str
    link_id: str
    parent_id: str
    body: str
    created_utc: _Time
    score: _Int64
    subreddit: str | None = None
    author: str | None = None
    distinguished: str | None = None
    edited: bool | None = None
    stickied: bool | None = None
    is_submitter: bool | None = None
    retrieved_utc: _Time | None = None
    retrieved_on: _Time | None = None
    _meta: CheckedMeta | None = None


class CheckedPost(_Record, gc=False):
    # PostFields with the types normalize.post_from_raw keeps unrepaired (a null score is a
    # repair: score_null); anything else fails the decode.
    id: str
    title: str
    created_utc: _Time
    score: _Int64
    selftext: str | None = None
    subreddit: str | None = None
    author: str | None = None
    is_self: bool | None = None
    upvote_ratio: Annotated[float, msgspec.Meta(ge=0, le=1)] | None = None
    over_18: bool | None = None
    stickied: bool | None = None
    distinguished: str | None = None
    edited: bool | None = None
    removed_by_category: str | None = None
    num_comments: _Int64 | None = None


_DECODERS = {True: msgspec.json.Decoder(PostFields).decode, False: msgspec.json.Decoder(CommentFields).decode}
_CHECKED = {True: msgspec.json.Decoder(CheckedPost).decode, False: msgspec.json.Decoder(CheckedComment).decode}
_FAILED = (msgspec.DecodeError, msgspec.ValidationError, RecursionError)


def enabled() -> bool:
    """Whether the reader uses this decoder (``RMBENCH_DECODER=json`` turns it off)."""
    return os.environ.get("RMBENCH_DECODER", "").strip().lower() != "json"


def line_decoder(want_posts: bool):
    """``decode_line`` for posts or comments, with this process's limits read once per file."""
    decode = _DECODERS[want_posts]
    checked = _CHECKED[want_posts]
    digits = getattr(sys, "get_int_max_str_digits", lambda: 0)() or sys.maxsize  # 0: no limit

    def decode_line(raw: bytes):
        """The needed fields of ``raw``, or ``None``: the json path must decide this line."""
        n = len(raw)
        if raw[:2] != b'{"' or n > digits:
            return None
        # depth.may_nest_deep, inlined (it runs once per line): the depth rule is the json path's to apply
        if n > 2 * MAX_DEPTH and raw.count(b"[") + raw.count(b"{") > MAX_DEPTH:
            return None
        if not raw.isascii():
            try:
                raw.decode("utf-8", "surrogatepass")
            except UnicodeDecodeError:
                return None
        try:
            try:
                return checked(raw)
            except msgspec.ValidationError:  # some value is not of its usual type: decided by normalize
                return decode(raw)
        except _FAILED:
            return None

    return decode_line
