"""What counts as "the same text" across tasks, and its hash.

Cross-task duplicates are found by hashing each response's normalized text (lower case,
punctuation and symbols removed, whitespace collapsed); ``rmbench.prepare.store.PairTable``
keeps the (hash, task) set on disk and flags pairs whose responses occur in another task.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

# Punctuation and symbols (Unicode categories P* and S*) in the Basic Multilingual Plane,
# and every astral character (mostly emoji): deleted by normalize_text. Most bodies are
# ASCII, for which bytes.translate deletes in one C pass; for the rest, one regex with this
# character class is ~3x faster than str.translate with a 65,536-entry dict.
_PS_BMP = [cp for cp in range(0x10000) if unicodedata.category(chr(cp))[0] in "PS"]
_ASCII_PS = bytes(cp for cp in _PS_BMP if cp < 0x80)


def _char_class(codepoints: list[int]) -> str:
    """A regex character class body for sorted code points, as ranges (compiles fast)."""
    runs: list[list[int]] = []
    for cp in codepoints:
        if runs and cp == runs[-1][1] + 1:
            runs[-1][1] = cp
        else:
            runs.append([cp, cp])
    return "".join(re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in runs)


_DROP = re.compile(f"[{_char_class(_PS_BMP)}\U00010000-\U0010FFFF]")


def normalize_text(text: str) -> str:
    """Lower case, punctuation stripped, whitespace collapsed: what counts as 'the same text'."""
    text = text.lower()
    if text.isascii():
        text = text.encode().translate(None, _ASCII_PS).decode()
    else:
        text = _DROP.sub("", text)
    return " ".join(text.split())


def text_hash(text: str) -> bytes:
    return hashlib.blake2b(normalize_text(text).encode(), digest_size=16).digest()
