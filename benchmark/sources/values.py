"""One raw JSON value -> the checked value a record keeps, or ``Bad(reason)``.

The leaf rules of input hygiene: types, ranges and the repairs whose meaning is certain (a
numeric string, an integral float, a boolean spelled as a string or 0/1, lone surrogates),
each noted by appending its reason to ``fixes``. ``rmbench.sources.normalize`` builds records
from them (and writes the notes to the bad-input report); the hub converters
(``rmbench.sources.hub_rows``) use them too, so every source judges a value alike.
"""

from __future__ import annotations

import math
import re

INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1  # what SQLite stores as an integer
TIME_MAX = 1 << 33  # year 2242: a bigger "epoch" is milliseconds or garbage, not a Reddit time
_SURROGATE = re.compile("[\ud800-\udfff]")
_TRUE, _FALSE = frozenset({"true", "1"}), frozenset({"false", "0"})


class Bad(Exception):
    """A value that cannot be used: the record is skipped under ``reason``."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def text(v, name: str, fixes: list) -> str:
    """A string as it is, or with its lone surrogates replaced (``surrogates_replaced``)."""
    if type(v) is not str:
        raise Bad(f"bad_{name}")
    if v.isascii() or _SURROGATE.search(v) is None:
        return v
    fixes.append("surrogates_replaced")
    return _SURROGATE.sub("\ufffd", v)


def opt_text(v, name: str, fixes: list) -> str | None:
    return None if v is None else text(v, name, fixes)


def integer(v, name: str, fixes: list, lo: int = INT64_MIN, hi: int = INT64_MAX, fraction: bool = False) -> int:
    """An int in [lo, hi]; integral floats and numeric strings repaired (``fraction``: truncate)."""
    t = type(v)
    if t is int:
        x = v
    elif t is float:
        if not math.isfinite(v) or not (fraction or v.is_integer()):
            raise Bad(f"bad_{name}")
        x = int(v)
        if not fraction:
            fixes.append(f"{name}_float")
    elif t is str:
        try:
            x = int(v)
        except ValueError:
            try:
                f = float(v)
            except ValueError:
                raise Bad(f"bad_{name}") from None
            if not math.isfinite(f) or not (fraction or f.is_integer()):
                raise Bad(f"bad_{name}") from None
            x = int(f)
        fixes.append(f"{name}_string")
    else:  # bool, list, dict
        raise Bad(f"bad_{name}")
    if not lo <= x <= hi:
        raise Bad(f"bad_{name}")
    return x


def opt_integer(v, name: str, fixes: list) -> int | None:
    return None if v is None else integer(v, name, fixes)


def flag(v, name: str, fixes: list) -> bool | None:
    """True/False/None; 0/1 and the strings true/false/0/1 repaired; anything else is bad."""
    if v is None or v is True or v is False:
        return v
    if type(v) is int and v in (0, 1):
        fixes.append(f"{name}_number")
        return v == 1
    if type(v) is str:
        low = v.strip().lower()
        if low in _TRUE or low in _FALSE:
            fixes.append(f"{name}_string")
            return low in _TRUE
    raise Bad(f"bad_{name}")


def edited(v, fixes: list) -> bool | None:
    """``edited`` is false, true, or the epoch of the edit (a number or a numeric string)."""
    if v is None or v is False or v is True:
        return v
    t = type(v)
    if t is int or t is float:
        if not math.isfinite(v) or v < 0:
            raise Bad("bad_edited")
        return v != 0
    if t is str:
        low = v.strip().lower()
        if low in ("true", "false"):
            fixes.append("edited_string")
            return low == "true"
        try:
            x = float(low)
        except ValueError:
            raise Bad("bad_edited") from None
        if not math.isfinite(x) or x < 0:
            raise Bad("bad_edited")
        fixes.append("edited_string")
        return x != 0
    raise Bad("bad_edited")


def ratio(v, fixes: list) -> float | None:
    if v is None:
        return None
    t = type(v)
    if t is str:
        try:
            v = float(v)
        except ValueError:
            raise Bad("bad_upvote_ratio") from None
        fixes.append("upvote_ratio_string")
    elif t is not int and t is not float:
        raise Bad("bad_upvote_ratio")
    if not (math.isfinite(v) and 0 <= v <= 1):
        raise Bad("bad_upvote_ratio")
    return float(v)


def score(v, fixes: list) -> int | None:
    if type(v) is int and INT64_MIN <= v <= INT64_MAX:
        return v
    if v is None:
        fixes.append("score_null")
        return None
    return integer(v, "score", fixes)


def epoch(v, fixes: list) -> int:
    """Seconds since 1970; floats (the 2024 schema's 1706745600.0) truncate without a note."""
    if type(v) is int and 0 <= v < TIME_MAX:
        return v
    if v is None:
        raise Bad("missing_created_utc")
    return integer(v, "created_utc", fixes, 0, TIME_MAX - 1, fraction=True)


def subreddit_of(v, hint: str | None, fixes: list) -> str:
    if v is None or v == "":
        if not hint:
            raise Bad("missing_subreddit")
        return hint
    s = text(v, "subreddit", fixes)
    if not s.strip():
        raise Bad("bad_subreddit")
    return s


__all__ = ["INT64_MAX", "INT64_MIN", "TIME_MAX", "Bad", "edited", "epoch", "flag", "integer", "opt_integer", "opt_text",
           "ratio", "score", "subreddit_of", "text"]
