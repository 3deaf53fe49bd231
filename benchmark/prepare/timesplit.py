"""``--split-by time:YYYY-MM-DD``: the staged pairs re-routed to splits by their post's date.

Pairing puts every pair in its post's hash split; under a time split the writer asks this
module for the split files instead. Each file is one sorted pass over the task's staged
train/validation/test pairs (merged by pair id), keeping the pairs whose post falls in that
split (``rmbench.prepare.splits.time_split_of``), so memory stays flat. ``test_hard`` is
re-derived from ``all_hard`` (the hard pairs of every post): those of test posts.

A post's time is the chosen response's time minus its delay. A pair whose post has no
known time (SHP rows) cannot be placed: it is dropped and counted as ``post_time_unknown``
(in the task's pair drops and in the manifest's ``split_by`` block), never guessed.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Callable, Iterable, Iterator

from rmbench.prepare.pair import TaskStats, row_json
from rmbench.prepare.splits import SPLITS, time_split_of

Row = tuple[str, str, bool]  # (pair_id, split-file line, cross_task_dup), as the writer takes them
UNKNOWN = "post_time_unknown"


def _post_time(row: dict) -> int | None:
    if row.get("chosen_delay_s") is None or row.get("chosen_created_utc") is None:
        return None
    return row["chosen_created_utc"] - row["chosen_delay_s"]


def _routed(rows: Iterable[Row], cutoff: int) -> Iterator[tuple[str | None, dict, Row]]:
    for pair_id, line, dup in rows:
        row = json.loads(line)
        t = _post_time(row)
        yield (None if t is None else time_split_of(row["post_id"], t, cutoff)), row, (pair_id, line, dup)


def time_split_rows(rows_of: Callable[[str], Iterable[Row]], cutoff: int) -> dict[str, Callable[[], Iterator[Row]]]:
    """Per output split, a function giving its rows sorted by pair id. ``rows_of(split)``
    gives the staged rows of one hash split (fresh on every call)."""

    def merged() -> Iterator[Row]:
        return heapq.merge(*(rows_of(s) for s in SPLITS), key=lambda r: r[0])

    def split_rows(target: str) -> Callable[[], Iterator[Row]]:
        def gen() -> Iterator[Row]:
            for split, row, (pair_id, _, dup) in _routed(merged(), cutoff):
                if split == target:
                    row["split"] = target
                    yield pair_id, row_json(row), dup
        return gen

    def hard(target: str) -> Callable[[], Iterator[Row]]:
        def gen() -> Iterator[Row]:
            for split, row, (pair_id, line, dup) in _routed(rows_of("all_hard"), cutoff):
                if split is None:
                    continue
                if target == "all_hard":
                    yield pair_id, line, dup
                elif split == "test":
                    row["split"] = "test_hard"
                    yield pair_id, row_json(row), dup
        return gen

    out = {s: split_rows(s) for s in SPLITS}
    out["test_hard"], out["all_hard"] = hard("test_hard"), hard("all_hard")
    return out


def count_unknown(rows_of: Callable[[str], Iterable[Row]], stats: TaskStats) -> int:
    """Pairs that cannot be placed; moved from kept to dropped in ``stats`` (the sums still hold)."""
    n = sum(1 for s in SPLITS for _, line, _ in rows_of(s) if _post_time(json.loads(line)) is None)
    if n:
        stats.pairs_kept -= n
        stats.pairs_dropped[UNKNOWN] += n
    return n


def restate(stats: TaskStats, splits: dict[str, dict]) -> None:
    """The per-split counts the warnings read, from the files as written."""
    for s, info in splits.items():
        stats.split_pairs[s] = info["pairs"]
        stats.split_posts[s] = info["posts"]
