"""Which split a post belongs to, and the fingerprints that prove two builds are the same.

The split is a pure function of the post id: sha256 of a versioned salt and the id, read
as an integer. No RNG state, no Python ``hash()`` (salted per process), no dependence on
the order the data arrives in, so every machine and Python version puts every post in
the same split, and all pairs of one post land together (no post in two splits).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

# Bump the salt (and every task's version) to reshuffle; old fingerprints then stop matching.
SPLIT_SALT = "rmbench-split-v1"
# Cumulative shares out of 10,000 buckets: 90% train, 5% validation, 5% test.
SPLIT_BOUNDS = (("train", 9_000), ("validation", 9_500), ("test", 10_000))
SPLITS = ("train", "validation", "test")
ALL_SPLITS = SPLITS + ("test_hard",)


def split_of(post_id: str) -> str:
    """``train``, ``validation`` or ``test`` for this post id, identical everywhere."""
    digest = hashlib.sha256(f"{SPLIT_SALT}:{post_id}".encode()).digest()
    bucket = int.from_bytes(digest[:8], "big") % 10_000
    for name, bound in SPLIT_BOUNDS:
        if bucket < bound:
            return name
    raise AssertionError("unreachable: the last bound is 10,000")


def fingerprint(pair_ids: Iterable[str]) -> str:
    """sha256 of the sorted pair ids joined by newlines (docs/formats.md)."""
    h = FingerprintBuilder()
    for pid in sorted(pair_ids):
        h.add(pid)
    return h.hexdigest()


class FingerprintBuilder:
    """The same fingerprint, fed one already-sorted pair id at a time (no list in memory)."""

    def __init__(self) -> None:
        self._h = hashlib.sha256()
        self._first = True
        self._last: str | None = None

    def add(self, pair_id: str) -> None:
        if self._last is not None and pair_id < self._last:
            raise ValueError(f"pair ids must come sorted: {pair_id!r} after {self._last!r}")
        self._h.update((pair_id if self._first else "\n" + pair_id).encode())
        self._first = False
        self._last = pair_id

    def hexdigest(self) -> str:
        return self._h.hexdigest()


def pair_order_key(pair_id: str) -> bytes:
    """A stable hash for picking which pairs of a big post survive the cap.

    Unrelated to score, length or time, so the kept subset is an unbiased sample, and the
    same on every machine.
    """
    return hashlib.blake2b(pair_id.encode(), digest_size=8, person=b"rmbench-cap").digest()
