"""``--split-by time:YYYY-MM-DD`` and ``--split-by source``: the staged pairs re-routed to
splits by their post's date, or by the split the source itself publishes for the post.

Pairing puts every pair in its post's hash split; under a time or source split the writer
asks this module for the split files instead. Each file is one sorted pass over the task's staged
train/validation/test pairs (merged by pair id), keeping the pairs whose post falls in that
split (``rmbench.prepare.splits.time_split_of``), so memory stays flat. ``test_hard`` is
re-derived from ``all_hard`` (the hard pairs of every post): those of test posts.

A post's time is the chosen response's time minus its delay. A pair whose post has no
known time (SHP rows) cannot be placed: it is dropped and counted as ``post_time_unknown``
(in the task's pair drops and in the manifest's ``split_by`` block), never guessed.

Under a source split a post keeps the split its source publishes (SHP's train/validation/
test: ``Source.source_splits``), and a post the source does not place keeps its hash split;
the manifest counts the pairs placed each way (``split_by.placed``).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator

from rmbench.prepare.pair import TaskStats, row_json
from rmbench.prepare.splits import SPLITS, split_of, time_split_of

Row = tuple[str, str, bool]  # (pair_id, split-file line, cross_task_dup), as the writer takes them
UNKNOWN = "post_time_unknown"


def _post_time(row: dict) -> int | None:
    if row.get("chosen_delay_s") is None or row.get("chosen_created_utc") is None:
        return None
    return row["chosen_created_utc"] - row["chosen_delay_s"]


def by_time(cutoff: int) -> Callable[[dict], str | None]:
    """A row's split under a time split; None: its post has no known time."""
    def route(row: dict) -> str | None:
        t = _post_time(row)
        return None if t is None else time_split_of(row["post_id"], t, cutoff)
    return route


def by_source(placed: dict[str, str]) -> Callable[[dict], str]:
    """A row's split under a source split: its post's published split, else its hash split."""
    return lambda row: placed.get(row["post_id"]) or split_of(row["post_id"])


def _routed(rows: Iterable[Row], route: Callable[[dict], str | None]) -> Iterator[tuple[str | None, dict, Row]]:
    from rmbench.jsonl import loads  # here: only a re-routed split reads rows back (jsonlines is ~10 ms to import)

    for pair_id, line, dup in rows:
        row = loads(line)
        yield route(row), row, (pair_id, line, dup)


def routed_split_rows(rows_of: Callable[[str], Iterable[Row]],
                      route: Callable[[dict], str | None]) -> dict[str, Callable[[], Iterator[Row]]]:
    """Per output split, a function giving its rows sorted by pair id. ``rows_of(split)``
    gives the staged rows of one hash split (fresh on every call); ``route(row)`` names the
    split a row goes to (None: none, it is dropped)."""

    def merged() -> Iterator[Row]:
        return heapq.merge(*(rows_of(s) for s in SPLITS), key=lambda r: r[0])

    def split_rows(target: str) -> Callable[[], Iterator[Row]]:
        def gen() -> Iterator[Row]:
            for split, row, (pair_id, _, dup) in _routed(merged(), route):
                if split == target:
                    row["split"] = target
                    yield pair_id, row_json(row), dup
        return gen

    def hard(target: str) -> Callable[[], Iterator[Row]]:
        def gen() -> Iterator[Row]:
            for split, row, (pair_id, line, dup) in _routed(rows_of("all_hard"), route):
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


def count_placed(rows_of: Callable[[str], Iterable[Row]], placed: dict[str, str]) -> dict[str, int]:
    """Pairs of one task whose post its source placed, and those left to the hash split."""
    from rmbench.jsonl import loads

    out = {"source": 0, "hash": 0}
    for s in SPLITS:
        for _, line, _ in rows_of(s):
            out["source" if loads(line)["post_id"] in placed else "hash"] += 1
    return out


def count_unknown(rows_of: Callable[[str], Iterable[Row]], stats: TaskStats,
                  span: list | None = None) -> int:
    """Pairs that cannot be placed; moved from kept to dropped in ``stats`` (the sums still hold).
    ``span``, when given, is filled with the first and last known post time (the same pass, so
    a date outside the data can be reported with the range it missed)."""
    from rmbench.jsonl import loads

    n = 0
    for s in SPLITS:
        for _, line, _ in rows_of(s):
            t = _post_time(loads(line))
            if t is None:
                n += 1
            elif span is not None:
                span[:] = [t, t] if not span else [min(span[0], t), max(span[1], t)]
    if n:
        stats.pairs_kept -= n
        stats.pairs_dropped[UNKNOWN] += n
    return n


def _day(t: int | None) -> str | None:
    import datetime as dt

    return None if t is None else dt.datetime.fromtimestamp(t, dt.timezone.utc).date().isoformat()


def date_counts(splits: dict[str, dict], span: list) -> dict:
    """Per task, for the manifest's ``split_by`` block: posts before the date (train and
    validation), posts from it on (test), and the days of the first and last post."""
    return {"before": splits["train"]["posts"] + splits["validation"]["posts"], "on_or_after": splits["test"]["posts"],
            "first_post": _day(span[0] if span else None), "last_post": _day(span[1] if span else None)}


def emptied_by_date(rule: dict, task: str, before: int, after: int, counts: dict | None = None) -> str | None:
    """Why a split of ``task`` is empty when the date, not the task's rules, emptied it (every
    post on one side of it); None otherwise. Shared by prepare's warning and evaluate's error,
    so both say the same thing."""
    if rule.get("rule") != "time" or (before > 0) == (after > 0):
        return None  # a split with posts on both sides, or none at all, is not the date's doing
    span = ""
    if counts and counts.get("first_post"):
        span = f" (its posts run from {counts['first_post']} to {counts['last_post']})"
    side, empty, fix = (("before", "test", "an earlier") if after == 0 else
                        ("on or after", "train and validation", "a later"))
    return (f"the time split at {rule['date']} put every post of {task} {side} the date{span}, so its {empty} "
            f"split{'s are' if ' and ' in empty else ' is'} empty; choose {fix} date (--split-by time:YYYY-MM-DD)")


def date_problems(manifest: dict) -> list[str]:
    """One line per task whose time split left train or test empty because of the date."""
    rule = manifest.get("split_by") or {}
    out = []
    for task, c in sorted((rule.get("posts_by_date") or {}).items()):
        msg = emptied_by_date(rule, task, c["before"], c["on_or_after"], c)
        if msg:
            out.append(msg)
    return out


def restate(stats: TaskStats, splits: dict[str, dict]) -> None:
    """The per-split counts the warnings read, from the files as written."""
    for s, info in splits.items():
        stats.split_pairs[s] = info["pairs"]
        stats.split_posts[s] = info["posts"]
