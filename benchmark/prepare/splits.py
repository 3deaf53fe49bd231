"""Which split a post belongs to, and the fingerprints that prove two builds are the same.

The default split (``--split-by hash``) is a pure function of the post id: sha256 of a
versioned salt and the id, read as an integer. No RNG state, no Python ``hash()`` (salted
per process), no dependence on the order the data arrives in, so every machine and Python
version puts every post in the same split, and all pairs of one post land together (no
post in two splits).

``--split-by time:YYYY-MM-DD`` is the future window for contamination checks: posts
created before that day (UTC) go to train/validation (by the same hash, in the same 90:5
proportion), posts from that day on go to test, so nothing after the date is trained on
(``rmbench.prepare.timesplit`` applies it when the splits are written).

``--split-by source`` keeps the split a source publishes for each post it places (SHP's
own train/validation/test, ``rmbench.sources.hub_splits``), so that a model trained on
SHP's train split is tested on posts it never saw; posts no source places (dumps, the
demo) keep their hash split.

Split files: ``train``, ``validation``, ``test`` (every post in exactly one), ``test_hard``
(the hard pairs of test posts) and ``all_hard`` (the hard pairs of every post, at most
``max_hard_pairs_per_post`` each).
Evaluation splits composed from them (``EVAL_SPLITS``): ``heldout_all`` is every pair of
every post (train + validation + test), ``heldout_all_hard`` is ``all_hard``.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import hashlib
from collections.abc import Iterable

from rmbench.errors import ConfigError

# Bump the salt (and every task's version) to reshuffle; old fingerprints then stop matching.
SPLIT_SALT = "rmbench-split-v1"
# Cumulative shares out of 10,000 buckets: 90% train, 5% validation, 5% test.
SPLIT_BOUNDS = (("train", 9_000), ("validation", 9_500), ("test", 10_000))
SPLITS = ("train", "validation", "test")
_PRE_DATE_TRAIN = 9_474  # round(10_000 * 90 / 95)
ALL_SPLITS = SPLITS + ("test_hard", "all_hard")
# Splits a held-out task is scored on that are unions of split files (every post once).
EVAL_SPLITS = {"heldout_all": SPLITS, "heldout_all_hard": ("all_hard",)}


def split_of(post_id: str) -> str:
    """``train``, ``validation`` or ``test`` for this post id, identical everywhere."""
    bucket = _bucket(post_id)
    for name, bound in SPLIT_BOUNDS:
        if bucket < bound:
            return name
    raise AssertionError("unreachable: the last bound is 10,000")


def split_by_rule(spec: str) -> dict:
    """``hash`` or ``time:YYYY-MM-DD`` -> the manifest's ``split_by`` block (ConfigError otherwise)."""
    spec = (spec or "hash").strip()
    if spec == "hash":
        return {"rule": "hash", "salt": SPLIT_SALT}
    if spec == "source":  # the source's own split where it publishes one (SHP), else the hash
        return {"rule": "source", "salt": SPLIT_SALT}
    kind, _, date = spec.partition(":")
    if kind == "time":
        try:
            day = _dt.date.fromisoformat(date)
        except ValueError:
            day = None
        if day is not None:
            return {"rule": "time", "date": day.isoformat(), "cutoff_utc": calendar.timegm(day.timetuple()),
                    "salt": SPLIT_SALT}
    raise ConfigError(f"--split-by {spec!r}: expected 'hash', 'source' or 'time:YYYY-MM-DD' (e.g. time:2021-01-01)")


def time_split_of(post_id: str, post_created_utc: int, cutoff_utc: int) -> str:
    """Under ``time:DATE``: test from the cutoff on; before it, train or validation by hash."""
    if post_created_utc >= cutoff_utc:
        return "test"
    # The hash split's train:validation proportion, 90:5, over the pre-date posts alone.
    return "train" if _bucket(post_id) < _PRE_DATE_TRAIN else "validation"


def _bucket(post_id: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{SPLIT_SALT}:{post_id}".encode()).digest()[:8], "big") % 10_000


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
