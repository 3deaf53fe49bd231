"""What counts as "the same text" across tasks: near-duplicate keys, and the contamination index.

Text is normalized (lower case, punctuation and symbols removed, whitespace collapsed)
and only a text that can identify something is compared: one of at least
``MIN_IDENTIFYING_CHARS`` normalized characters. Short replies ("congrats", "yes", "thank
you") and emoji-only ones (which normalize to the empty string) occur everywhere and say
nothing about where a thread came from; comparing them flagged almost every "duplicate".

- At prepare time, ``rmbench.prepare.pairtable.PairTable`` (or ``held.HeldPairs``) flags
  pairs whose response occurs in another task (``cross_task_dup``); ``response_hash`` gives
  a short response a key of its own (its comment id), so it only matches itself.
- At run time, ``ContaminationIndex`` holds the keys of every prompt and response of the
  held-in tasks; ``rmbench run`` / ``evaluate`` drop the held-out pairs whose prompt or
  either response it contains (docs/harness.md). A text's keys are its whole normalized
  form and, for a long one, its first and its last ``_EDGE`` normalized characters (an
  edit at one end -- "EDIT: thanks!", "x-post from r/..." -- still matches); a prompt adds
  its title and its body on their own (cross-posts often change only the title).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

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


# ~7 words: below it, identical texts are mostly stock replies (measured on the college
# dumps: every cross-task match under 20 characters was one, e.g. "congrats dr").
MIN_IDENTIFYING_CHARS = 40
_EDGE = 200  # characters of a long text's head and tail that are keys on their own


def identifying(normalized: str) -> bool:
    """Whether a normalized text is long enough to identify anything (never the empty string)."""
    return len(normalized) >= MIN_IDENTIFYING_CHARS


def response_hash(body: str, comment_id: str) -> bytes:
    """The prepare-time duplicate key of a response: its normalized text when that can
    identify anything, else a key only this comment has."""
    norm = normalize_text(body)
    if identifying(norm):
        return hashlib.blake2b(norm.encode(), digest_size=16).digest()
    return hashlib.blake2b(f"comment:{comment_id}".encode(), digest_size=16, person=b"rmbench-short").digest()


def text_keys(text: str) -> set[bytes]:
    """Near-duplicate keys of one text (empty for a text too short to identify anything)."""
    norm = normalize_text(text)
    if not identifying(norm):
        return set()
    parts = {norm}
    if len(norm) > _EDGE:
        parts |= {"head:" + norm[:_EDGE], "tail:" + norm[-_EDGE:]}
    return {hashlib.blake2b(p.encode(), digest_size=16).digest() for p in parts}


def prompt_keys(prompt: str) -> set[bytes]:
    """Keys of a post: the whole prompt, its title and its body (title, blank line, body)."""
    title, _, body = prompt.partition("\n\n")
    return text_keys(prompt) | text_keys(title) | text_keys(body)


class ContaminationIndex:
    """Keys of the prompts and responses of some tasks' pairs; ``reason(row)`` says which
    part of a pair from elsewhere occurs among them ("prompt" or "response"), or None."""

    def __init__(self) -> None:
        self.keys: set[bytes] = set()
        self._posts: set[str] = set()
        self._prompt_hits: dict[str, bool] = {}  # post id -> whether its prompt matched (asked once)

    def add_rows(self, rows: Iterable[dict]) -> ContaminationIndex:
        for r in rows:
            if r["post_id"] not in self._posts:  # a post's prompt is hashed once
                self._posts.add(r["post_id"])
                self.keys |= prompt_keys(r["prompt"])
            self.keys |= text_keys(r["chosen"]) | text_keys(r["rejected"])
        return self

    def reason(self, row: dict) -> str | None:
        hit = self._prompt_hits.get(row["post_id"])
        if hit is None:
            hit = self._prompt_hits[row["post_id"]] = not self.keys.isdisjoint(prompt_keys(row["prompt"]))
        if hit:
            return "prompt"
        if not self.keys.isdisjoint(text_keys(row["chosen"]) | text_keys(row["rejected"])):
            return "response"
        return None
