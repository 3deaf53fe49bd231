"""A kept pair as its output row: the row dict, its split-file line, its responses' hashes.

The line is ``row_json(row)`` (fixed key order, no ASCII escaping, so re-runs are
byte-identical), but built from JSON string literals escaped once per post (the prompt)
and once per comment (its body), not once per pair: a thread of k kept comments has up to
k(k-1)/2 pairs, each repeating the prompt and two bodies, and escaping that text was most
of the cost of the rows. ``tests/prepare/test_rows.py`` checks line == row_json(row).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from json.encoder import encode_basestring

from rmbench.prepare.dedup import response_hash
from rmbench.records import Comment, Post
from rmbench.task import RedditTask


@dataclass
class PairRow:
    split: str
    pair_id: str
    row: dict
    chosen_hash: bytes
    rejected_hash: bytes
    line: str = ""  # row_json(row), built from text escaped once per post and comment


def _pair_id(post: Post, chosen: Comment, rejected: Comment) -> str:
    return f"{post.id}:{chosen.id}:{rejected.id}"


def _hash(c: Comment, cache: dict[str, bytes]) -> bytes:
    h = cache.get(c.id)
    if h is None:
        h = cache[c.id] = response_hash(c.body, c.id)
    return h


def _age(c: Comment) -> int | None:
    """Seconds between the comment and its score snapshot; None when the dump does not say."""
    return c.retrieved_utc - c.created_utc if c.retrieved_utc is not None else None


class Escaped:
    """One post's output text as JSON string literals, each escaped once: a comment is in up
    to ``k - 1`` pairs and the prompt in all of them, and escaping the long texts was most of
    the cost of a row's JSON."""

    def __init__(self, task: RedditTask, post: Post, prompt: str, kept: list[Comment]):
        self.task, self.post, self.prompt, self.kept = task, post, prompt, kept
        # Every line of this post starts the same after pair_id and split.
        self.head = (f'"task": {encode_basestring(task.name.lower())}, ',
                     f'"subreddit": {encode_basestring(post.subreddit)}, "post_id": {encode_basestring(post.id)}, '
                     f'"prompt": {encode_basestring(prompt)}, ')
        self._bodies: dict[int, str] = {}

    def body(self, i: int) -> str:
        s = self._bodies.get(i)
        if s is None:
            s = self._bodies[i] = encode_basestring(self.kept[i].body)
        return s


def build_row(text: Escaped, i: int, j: int, split: str, hashes: dict[str, bytes]) -> PairRow:
    post, chosen, rejected = text.post, text.kept[i], text.kept[j]
    pair_id = _pair_id(post, chosen, rejected)
    known_time = bool(post.created_utc)  # SHP rows carry no post time: delays are unknown, not 0
    # The columns after "rejected", in order: short values the C encoder writes quickly.
    tail = {
        "chosen_id": chosen.id,
        "rejected_id": rejected.id,
        "chosen_score": chosen.score,
        "rejected_score": rejected.score,
        "chosen_created_utc": chosen.created_utc,
        "rejected_created_utc": rejected.created_utc,
        "chosen_delay_s": chosen.created_utc - post.created_utc if known_time else None,
        "rejected_delay_s": rejected.created_utc - post.created_utc if known_time else None,
        "chosen_score_age_s": _age(chosen),
        "rejected_score_age_s": _age(rejected),
        "time_gap_s": chosen.created_utc - rejected.created_utc,
        # A task may allow scores <= 0; a ratio against them is undefined, not infinite.
        "score_ratio": chosen.score / rejected.score if rejected.score > 0 else None,
        "length_ratio": len(chosen.body) / max(1, len(rejected.body)),
        "cross_task_dup": False,  # set when the output is written, once every task is paired
        "synthetic": bool(post.synthetic or chosen.synthetic or rejected.synthetic),
    }
    row = {"pair_id": pair_id, "task": text.task.name.lower(), "split": split, "subreddit": post.subreddit,
           "post_id": post.id, "prompt": text.prompt, "chosen": chosen.body, "rejected": rejected.body, **tail}
    # Exactly row_json(row): the encoder writes '{' + '"key": value' joined by ', ' + '}'.
    task_part, post_part = text.head
    line = (f'{{"pair_id": {encode_basestring(pair_id)}, {task_part}"split": {encode_basestring(split)}, '
            f'{post_part}"chosen": {text.body(i)}, "rejected": {text.body(j)}, {_ROW_ENCODER.encode(tail)[1:]}')
    return PairRow(split, pair_id, row, _hash(chosen, hashes), _hash(rejected, hashes), line)


def row_json(row: dict) -> str:
    """One split-file line: fixed key order, no ASCII escaping, so re-runs are byte-identical."""
    return _ROW_ENCODER.encode(row)


# What json.dumps(row, ensure_ascii=False, separators=(", ", ": ")) builds on every call.
_ROW_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))


__all__ = ["Escaped", "PairRow", "build_row", "row_json"]
