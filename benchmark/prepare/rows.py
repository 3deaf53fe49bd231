"""A kept pair as its output row: its split-file line and its responses' hashes.

The line is ``row_json(row_dict(...))`` (fixed key order, no ASCII escaping, so re-runs
are byte-identical), but built from JSON string literals escaped once per post (the
prompt) and once per comment (its body), not once per pair: a thread of k kept comments has
up to k(k-1)/2 pairs, each repeating the prompt and two bodies, and escaping that text was
most of the cost of the rows. The short columns after the bodies are formatted directly
when their values have the usual types (ints, None), as the encoder would write them; any
other value goes through the encoder. ``tests/prepare/test_rows.py`` checks line ==
row_json(row_dict(...)) on both paths.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from json.encoder import encode_basestring

from rmbench.prepare.dedup import response_hash
from rmbench.records import Comment, Post
from rmbench.task import RedditTask


@dataclass(slots=True)
class PairRow:
    split: str
    pair_id: str
    chosen_hash: bytes
    rejected_hash: bytes
    line: str  # row_json(row_dict(...)), built from text escaped once per post and comment

    @property
    def row(self) -> dict:
        """The row as a dict, read back from its line (the line is what gets written; only
        tests and tools look at the dict, so it is not built per pair)."""
        return json.loads(self.line)


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


def _tail(post: Post, chosen: Comment, rejected: Comment) -> dict:
    """The columns after "rejected", in order (docs/formats.md)."""
    known_time = bool(post.created_utc)  # SHP rows carry no post time: delays are unknown, not 0
    return {
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


def row_dict(text: Escaped, i: int, j: int, split: str) -> dict:
    """Pair (i, j) of ``text``'s post as a row dict: the definition ``build_row``'s line follows."""
    post, chosen, rejected = text.post, text.kept[i], text.kept[j]
    return {"pair_id": _pair_id(post, chosen, rejected), "task": text.task.name.lower(), "split": split,
            "subreddit": post.subreddit, "post_id": post.id, "prompt": text.prompt, "chosen": chosen.body,
            "rejected": rejected.body, **_tail(post, chosen, rejected)}


def _tail_json(post: Post, c: Comment, r: Comment) -> str:
    """``row_json(_tail(...))`` without its "{": formatted directly when every number is an int
    (or None where a column allows it), as the encoder writes them (str of an int, repr of a
    float, null); otherwise by the encoder. ~3x faster than a dict through the encoder."""
    cs, rs, cc, rc, pc = c.score, r.score, c.created_utc, r.created_utc, post.created_utc
    ca, ra = c.retrieved_utc, r.retrieved_utc
    if not (type(cs) is int and type(rs) is int and type(cc) is int and type(rc) is int
            and (pc is None or type(pc) is int) and (ca is None or type(ca) is int)
            and (ra is None or type(ra) is int)):
        return _ROW_ENCODER.encode(_tail(post, c, r))[1:]
    delays = f"{cc - pc}, \"rejected_delay_s\": {rc - pc}" if pc else "null, \"rejected_delay_s\": null"
    ages = (f"{'null' if ca is None else ca - cc}, \"rejected_score_age_s\": "
            f"{'null' if ra is None else ra - rc}")
    ratio = repr(cs / rs) if rs > 0 else "null"
    synthetic = "true" if post.synthetic or c.synthetic or r.synthetic else "false"
    return (f'"chosen_id": {encode_basestring(c.id)}, "rejected_id": {encode_basestring(r.id)}, '
            f'"chosen_score": {cs}, "rejected_score": {rs}, "chosen_created_utc": {cc}, "rejected_created_utc": {rc}, '
            f'"chosen_delay_s": {delays}, "chosen_score_age_s": {ages}, "time_gap_s": {cc - rc}, '
            f'"score_ratio": {ratio}, "length_ratio": {len(c.body) / max(1, len(r.body))!r}, '
            f'"cross_task_dup": false, "synthetic": {synthetic}}}')


def build_row(text: Escaped, i: int, j: int, split: str, hashes: dict[str, bytes]) -> PairRow:
    post, chosen, rejected = text.post, text.kept[i], text.kept[j]
    pair_id = _pair_id(post, chosen, rejected)
    # Exactly row_json(row_dict(...)): the encoder writes '{' + '"key": value' joined by ', ' + '}'.
    task_part, post_part = text.head
    line = (f'{{"pair_id": {encode_basestring(pair_id)}, {task_part}"split": {encode_basestring(split)}, '
            f'{post_part}"chosen": {text.body(i)}, "rejected": {text.body(j)}, {_tail_json(post, chosen, rejected)}')
    return PairRow(split, pair_id, _hash(chosen, hashes), _hash(rejected, hashes), line)


def row_json(row: dict) -> str:
    """One split-file line: fixed key order, no ASCII escaping, so re-runs are byte-identical."""
    return _ROW_ENCODER.encode(row)


# What json.dumps(row, ensure_ascii=False, separators=(", ", ": ")) builds on every call.
_ROW_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))


__all__ = ["Escaped", "PairRow", "build_row", "row_dict", "row_json"]
