"""When two replies say the same thing: the surface key the pairing engine compares.

A pair whose two responses differ only in case, whitespace, punctuation or emoji ("thanks"
vs "Thanks!", "F" vs "f", two emoji-only replies) has a vote label no reward model can
earn: a scorer that reads text gives both sides (nearly) the same reward and the pair is a
coin flip that dilutes every accuracy (6% of one held-out ``heldout_all_hard``, issue 21).
The engine drops such pairs as ``indistinguishable`` (``RedditTask.drop_indistinguishable``).

``surface_key(text)``, in order:

1. NFKC: compatibility forms become their plain letters (full-width "ＦＦ", ligatures,
   mathematical bold letters), so they compare as what a reader sees;
2. ``str.casefold`` (Unicode's case-insensitive form: "Straße" and "STRASSE" match);
3. every punctuation mark and symbol (Unicode categories ``P*`` and ``S*``: emoji are
   ``So``, skin tones ``Sk``), every control, format and unassigned character (``C*``:
   the zero-width joiner of emoji sequences, flag tag characters, emoji newer than this
   Python's Unicode tables), the variation selectors (``FE00-FE0F``, ``E0100-E01EF``:
   the text/emoji presentation switches) and enclosing marks (``Me``: the keycap) are
   deleted; other combining marks stay, since they change words in many scripts;
4. whitespace runs become one space, none at either end.

Two texts whose keys are equal are indistinguishable, the empty key included (two
emoji-only or punctuation-only replies). Unlike ``rmbench.prepare.dedup.normalize_text``
(the cross-task key, which must stay stable for fingerprints) nothing here is hashed or
stored: only the equality of a pair's two keys matters.
"""

from __future__ import annotations

import re
import string
import unicodedata
from functools import cache

from rmbench.prepare.dedup import _char_class

_ASCII_DROP = (string.punctuation + "".join(map(chr, range(32))) + "\x7f").encode()
_ASCII_DROP = bytes(b for b in _ASCII_DROP if not chr(b).isspace())  # whitespace separates words
# The same, and the whitespace too (what str.split splits on): for ``spaceless_key``.
_ASCII_DROP_ALL = _ASCII_DROP + bytes(b for b in range(128) if chr(b).isspace())


def _dropped(cp: int) -> bool:
    ch = chr(cp)
    if ch.isspace():
        return False
    cat = unicodedata.category(ch)
    return (cat[0] in "PSC" or cat == "Me" or 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF)


class _Table(dict):
    """A ``str.translate`` table built on demand: each code point is classified once per
    process, and only those that occur (a full table would be 1.1 million entries)."""

    def __missing__(self, cp: int) -> int | None:
        out = self[cp] = None if _dropped(cp) else cp
        return out


_TABLE = _Table()


@cache
def _bmp_dropped() -> frozenset[int]:
    """The Basic Multilingual Plane's dropped code points, classified once (~10 ms) for both regexes."""
    return frozenset(cp for cp in range(0x10000) if _dropped(cp))


@cache
def _bmp_drop(spaces: bool) -> re.Pattern:
    """One regex deleting the dropped characters of the Basic Multilingual Plane (and, with
    ``spaces``, the whitespace too): ~2x faster on a non-ASCII body than ``str.translate``,
    which looks each character up in a dict. Built on first use, not at import."""
    dropped = _bmp_dropped()
    cps = [cp for cp in range(0x10000) if cp in dropped or (spaces and chr(cp).isspace())]
    return re.compile(f"[{_char_class(cps)}]")


_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")  # emoji and the rest: classified one by one (_TABLE)


def _unicode_drop(text: str, spaces: bool) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    # The ASCII characters to delete go first, with one bytes.translate (ASCII bytes never
    # occur inside a multi-byte UTF-8 sequence, and deleting part of a character set before
    # the rest deletes the same characters): most of a non-ASCII reply is ASCII, and the regex
    # pays per match, so it then has little left to cut (~12 -> ~4 us on a real body).
    text = text.encode("utf-8", "surrogatepass").translate(None, _ASCII_DROP_ALL if spaces else _ASCII_DROP)
    text = _bmp_drop(spaces).sub("", text.decode("utf-8", "surrogatepass"))
    return text.translate(_TABLE) if _ASTRAL.search(text) else text


def surface_key(text: str) -> str:
    """What a reply says once case, whitespace, punctuation, symbols and emoji are set aside."""
    if text.isascii():  # most bodies: one C pass, no per-character lookups
        text = text.lower().encode().translate(None, _ASCII_DROP).decode()
    else:
        text = _unicode_drop(text, False)
    return " ".join(text.split())


def spaceless_key(text: str) -> str:
    """``surface_key(text)`` without its spaces: equal surface keys have equal spaceless keys,
    so unequal spaceless keys prove two replies distinguishable. For an ASCII text it is one
    C pass, without the split and join that were most of ``surface_key``'s cost; the engine
    compares full keys only when these are equal (rare: near-identical replies)."""
    if text.isascii():
        return text.lower().encode().translate(None, _ASCII_DROP_ALL).decode()
    return _unicode_drop(text, True)  # no whitespace is astral: none is left


def indistinguishable(a: str, b: str) -> bool:
    """Whether two replies are the same text up to case, whitespace, punctuation and emoji."""
    return surface_key(a) == surface_key(b)


__all__ = ["indistinguishable", "spaceless_key", "surface_key"]
