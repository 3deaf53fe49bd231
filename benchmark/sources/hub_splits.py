"""The split SHP itself gives each post, for ``prepare --split-by source``.

Why: SHP publishes its own train/validation/test, by post. A reward model trained on SHP's
train split (SteamSHP, or any mix that includes it) has seen those posts, and rmbench's own
hash split puts about 5% of SHP's train posts in its ``test``: only SHP's own split keeps
such a model's training posts out of ``test``. Under ``--split-by source`` every post SHP places keeps SHP's split; the pairs are
still rmbench's, paired by the task's rules from the comments SHP's rows hold.

Where a row says its split: its ``domain`` ends in it (``askculinary_test``), and in the
hub's layout its file is named after it (``askculinary/test.json``); the domain wins. Only
``post_id`` and ``domain`` are read, with a pattern over each line's bytes (parquet: those
two columns), so the pass costs a fraction of reading the rows. A post the files place in
two splits is placed in neither (it keeps its hash split) and counted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from rmbench.sources.hub_rows import subreddit_of_domain

# Suffixes SHP and its copies write, and the split each means (hub_rows._SPLIT_SUFFIXES).
SPLIT_OF_SUFFIX = {"train": "train", "validation": "validation", "val": "validation", "dev": "validation",
                   "test": "test"}
_POST = re.compile(rb'"post_id"\s*:\s*"([^"\\]*)"')
_DOMAIN = re.compile(rb'"domain"\s*:\s*"([^"\\]*)"')


def split_of_name(name: str) -> str | None:
    """``askculinary_test`` or ``test`` -> ``test``; None when the name says no split."""
    tail = name.lower().rsplit("_", 1)[-1]
    return SPLIT_OF_SUFFIX.get(tail)


def _rows(path: Path) -> Iterable[tuple[str | None, str | None]]:
    """(post_id, domain) of every row of one file; None where a row does not say."""
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        names = set(pq.read_schema(path).names)
        if not {"post_id", "domain"} <= names:
            return []
        t = pq.read_table(path, columns=["post_id", "domain"])
        return zip(t.column("post_id").to_pylist(), t.column("domain").to_pylist())

    def lines() -> Iterable[tuple[str | None, str | None]]:
        with open(path, "rb") as f:
            for line in f:
                p, d = _POST.search(line), _DOMAIN.search(line)
                yield (p.group(1).decode("utf-8", "replace") if p else None,
                       d.group(1).decode("utf-8", "replace") if d else None)
    return lines()


def shp_post_splits(paths: Iterable[Path], subreddits: set[str] | None = None) -> tuple[dict[str, str], int]:
    """(post id -> its split, posts placed in two splits) over SHP files, for the posts of
    ``subreddits`` (lower case; None: every post)."""
    placed: dict[str, str] = {}
    twice: set[str] = set()
    for path in paths:
        by_file = split_of_name(path.stem)
        sub_of: dict[str, str] = {}  # domain -> lower-case subreddit (a file holds one or a few)
        for pid, domain in _rows(path):
            if not isinstance(pid, str) or not pid:
                continue
            if subreddits is not None:
                if not isinstance(domain, str):
                    continue
                sub = sub_of.get(domain)
                if sub is None:
                    sub = sub_of[domain] = subreddit_of_domain(domain).lower()
                if sub not in subreddits:
                    continue
            split = (split_of_name(domain) if isinstance(domain, str) else None) or by_file
            if split is None or pid in twice:
                continue
            seen = placed.setdefault(pid, split)
            if seen != split:
                twice.add(pid)
                del placed[pid]
    return placed, len(twice)
