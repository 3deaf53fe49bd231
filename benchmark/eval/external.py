"""Rewards scored outside rmbench: ``rmbench evaluate --model rewards:FILE``.

Why: a model rmbench cannot load (an API judge, a JAX or vLLM server, a closed model) still
gets the whole card -- the baselines, post-clustered intervals, the "adds information"
verdict, a leaderboard entry -- from its rewards alone. FILE is JSON lines in the layout of
a run's own ``predictions.jsonl`` (so one of those is a rewards file too), one pair a line:

    {"pair_id": "ezhmn2:fgndf1i:fgnb7nv", "reward_chosen": 1.25, "reward_rejected": -0.5}

The pair ids and texts are the prepared split files' (``rmbench export --format trl`` writes
them with ``pair_id``): score ``chosen`` and ``rejected`` as replies to ``prompt``. Only which
side scores higher counts (a tie is half right, as for every scorer), so a pairwise judge may
write P(chosen is better) and its complement. Other keys on a line are ignored.

Bad input never aborts: a line that is not JSON, has no string ``pair_id`` or whose rewards
are not finite numbers is dropped and counted by reason, with its first line numbers. A pair
id given again with the same rewards is read once; with different ones (a judge asked
twice) the first is kept and the repeat counted. A split is scored only when the file has
every pair of it: one it has none of is left out and named; one it has in part is an error
that names what is missing, since part of a split is a sample nobody drew.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from pathlib import Path

from rmbench.errors import DataError
from rmbench.jsonl import LINE_MAX_CHARS, loads

PREFIX = "rewards:"
FIRST_LINES = 5  # line numbers kept per drop reason


def parse_rewards_model(model: str) -> str | None:
    """``rewards:scores.jsonl`` -> ``scores.jsonl``; anything else -> None."""
    return model[len(PREFIX):] if model.lower().startswith(PREFIX) else None


def _reward(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        x = float(value)
    except OverflowError:  # an integer past float's range (JSON has no limit)
        return None
    return x if math.isfinite(x) else None


class ExternalRewards:
    """The rewards of one file, by pair id, with what was dropped and why."""

    def __init__(self, path: str | Path):
        self.path = Path(path).expanduser()
        if not self.path.is_file():
            raise DataError(f"rewards file {self.path}: {'a directory' if self.path.is_dir() else 'no such file'}"
                            " (expected JSON lines of pair_id, reward_chosen, reward_rejected)")
        self.by_pair: dict[str, tuple[float, float]] = {}
        self.dropped: Counter = Counter()
        self.first_lines: dict[str, list[int]] = {}
        self.lines = 0
        self.left_out: list[str] = []  # task/split the file has no pair of (set by the harness)
        digest = hashlib.sha256()
        with open(self.path, "rb") as f:
            while raw := f.readline(LINE_MAX_CHARS + 1):
                digest.update(raw)
                self.lines += 1
                if len(raw) > LINE_MAX_CHARS:  # read past the rest of it, in bounded pieces
                    while not raw.endswith(b"\n") and (raw := f.readline(LINE_MAX_CHARS + 1)):
                        digest.update(raw)
                    self._drop("line_too_long")
                    continue
                self._line(raw)
        self.sha256 = digest.hexdigest()
        if not self.by_pair:
            raise DataError(f"rewards file {self.path}: no usable line in {self.lines:,} ({self._dropped_text()})")

    def _drop(self, why: str) -> None:
        self.dropped[why] += 1
        lines = self.first_lines.setdefault(why, [])
        if len(lines) < FIRST_LINES:
            lines.append(self.lines)

    def _line(self, raw: bytes) -> None:
        if not raw.strip():
            return  # a blank line (a trailing newline) is no record
        try:
            row = loads(raw.decode("utf-8-sig"))  # -sig: a byte-order mark some Windows tools write first
        except (UnicodeDecodeError, ValueError):
            return self._drop("not_json")
        if not isinstance(row, dict):
            return self._drop("not_an_object")
        pair_id = row.get("pair_id")
        if not isinstance(pair_id, str) or not pair_id:
            return self._drop("no_pair_id")
        chosen, rejected = _reward(row.get("reward_chosen")), _reward(row.get("reward_rejected"))
        if chosen is None or rejected is None:
            return self._drop("reward_not_a_finite_number")
        seen = self.by_pair.get(pair_id)
        if seen is None:
            self.by_pair[pair_id] = (chosen, rejected)
        elif seen != (chosen, rejected):
            self._drop("repeated_pair_differs_first_kept")

    def _dropped_text(self) -> str:
        if not self.dropped:
            return "nothing dropped"
        return ", ".join(f"{why}: {n:,} (first at line {', '.join(map(str, self.first_lines[why]))})"
                         for why, n in self.dropped.most_common())

    # -- what the harness asks -----------------------------------------------------------
    def missing(self, pair_ids: list[str]) -> list[str]:
        return [i for i in pair_ids if i not in self.by_pair]

    def covers(self, pair_ids: list[str], where: str) -> bool:
        """Whether the file has every one of ``pair_ids`` (False: none of them); having some but
        not all is an error naming ``where`` and the missing ones."""
        missing = self.missing(pair_ids)
        if missing and len(missing) < len(pair_ids):
            raise DataError(f"rewards file {self.path} has {len(pair_ids) - len(missing):,} of the "
                            f"{len(pair_ids):,} pairs of {where}, not the other {len(missing):,} (first: "
                            f"{', '.join(missing[:3])}): score every pair of a split, or none of it")
        return not missing

    def rewards(self, rows: list[dict]) -> tuple[list[float], list[float]]:
        """(rewards of chosen, rewards of rejected) of ``rows``, as ``ConfoundsModel.rewards`` gives them."""
        got = [self.by_pair[r["pair_id"]] for r in rows]
        return [c for c, _ in got], [r for _, r in got]

    def provenance(self) -> dict:
        """results.json's ``model.rewards_file``."""
        return {"path": str(self.path), "sha256": self.sha256, "lines": self.lines, "pairs": len(self.by_pair),
                "dropped": dict(self.dropped.most_common()), "first_lines": self.first_lines,
                "splits_left_out": list(self.left_out)}

    def summary(self) -> str:
        return (f"rewards file {self.path.name}: {len(self.by_pair):,} pairs from {self.lines:,} lines; "
                f"{self._dropped_text()}")
