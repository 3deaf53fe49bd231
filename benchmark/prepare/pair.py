"""The pairing engine: one thread in, the task's preference pairs out, every drop counted.

For each task the engine calls the task's own rule methods (``post_drop_reason``,
``comment_drop_reason``, ``pair_drop_reason``, ``is_hard``) and never looks at the
task's name, so a plugin changes behaviour by overriding a method. Per post:

1. post rules; a dropped post's comments are counted as ``post_dropped``;
2. comment rules on every comment; a duplicate id is counted as ``duplicate``;
3. every unordered pair of kept comments is a candidate: equal scores are ``score_tie``,
   otherwise the higher score is ``chosen`` and the pair rules run; a pair they keep whose
   two responses are the same text up to case, whitespace, punctuation and emoji is
   ``indistinguishable`` (``drop_indistinguishable``; ``rmbench.prepare.surface``);
4. survivors are capped at ``max_pairs_per_post`` by a stable hash of the pair id
   (an unbiased sample, counted as ``capped``);
5. every survivor *before* the cap that ``is_hard`` is a hard candidate; the
   ``max_hard_pairs_per_post`` of them with the smallest hash (the same order as the cap
   above) go to ``all_hard`` (every post: a held-out task's ``heldout_all_hard``) and, on
   ``test`` posts, to ``test_hard`` (the rest are counted as ``hard_capped``).

Invariants the manifest states (and tests check):
``posts.seen == posts.kept + sum(posts.dropped)``,
``comments.seen == comments.kept + sum(comments.dropped) + comments.orphans``,
``pairs.candidates == pairs.kept + pairs.capped + sum(pairs.dropped)``.
"""

from __future__ import annotations

import heapq
import json
from collections import Counter
from dataclasses import dataclass, field
from json.encoder import encode_basestring

from rmbench.prepare.dedup import response_hash
from rmbench.prepare.splits import pair_order_key
from rmbench.prepare.surface import surface_key
from rmbench.records import Comment, Post
from rmbench.task import DELETED_BODIES, RedditTask

# Bodies a moderator or the author wiped; their share drives the removed-fraction warning.
_WIPED = frozenset(b for b in DELETED_BODIES if b)

def prompt_of(post: Post) -> str:
    """Title, blank line, selftext; the selftext is omitted when empty (docs/formats.md)."""
    title, body = post.title.strip(), (post.selftext or "").strip()
    return f"{title}\n\n{body}" if body else title


@dataclass
class TaskStats:
    """Every count the manifest reports for one task."""

    posts_seen: int = 0
    posts_kept: int = 0
    posts_dropped: Counter = field(default_factory=Counter)
    comments_seen: int = 0
    comments_kept: int = 0
    comments_dropped: Counter = field(default_factory=Counter)
    orphans: int = 0
    wiped_bodies: int = 0  # "[deleted]"/"[removed]" bodies among comments seen (orphans excluded)
    score_age_unknown: int = 0  # comments min_score_age_s could not judge (no snapshot time)
    candidates: int = 0
    pairs_dropped: Counter = field(default_factory=Counter)
    capped: int = 0
    pairs_kept: int = 0  # after the cap, over train/validation/test
    split_pairs: Counter = field(default_factory=Counter)
    split_posts: Counter = field(default_factory=Counter)
    hard_candidates: int = 0  # hard pairs of every post before max_hard_pairs_per_post
    hard_capped: int = 0  # of those, left out by the cap
    hard_posts_capped: int = 0  # posts that had more hard pairs than the cap

    def check(self) -> None:
        """The bookkeeping identities; a violation is a bug in the engine, not bad input."""
        assert self.posts_seen == self.posts_kept + sum(self.posts_dropped.values())
        assert self.comments_seen == self.comments_kept + sum(self.comments_dropped.values()) + self.orphans
        assert self.candidates == self.pairs_kept + self.capped + sum(self.pairs_dropped.values())


@dataclass
class PairRow:
    split: str
    pair_id: str
    row: dict
    chosen_hash: bytes
    rejected_hash: bytes
    line: str = ""  # row_json(row), built from text escaped once per post and comment


def count_orphans(stats: TaskStats, n: int) -> None:
    """Comments whose post never appeared in the input: counted, never paired."""
    stats.comments_seen += n
    stats.orphans += n


def judge_post(task: RedditTask, post: Post, stats: TaskStats, duplicate_posts: int = 0) -> str | None:
    """The post rules, counted: None to keep, else the drop reason."""
    stats.posts_seen += 1 + duplicate_posts
    if duplicate_posts:
        stats.posts_dropped["duplicate"] += duplicate_posts
    reason = task.post_drop_reason(post)
    if reason is None:
        stats.posts_kept += 1
    else:
        stats.posts_dropped[reason] += 1
    return reason


def judge_comments(tasks, c: Comment, post: Post, post_reasons) -> int:
    """The comment rules, counted, for every ``(task, stats)`` of the comment's subreddit at
    once (the wiped-body test runs once, not once per task); ``post_reasons[i]`` is task
    i's post verdict, and a dropped post's comments are ``post_dropped``. Returns the mask
    of the tasks that keep it: bit i for the i-th task."""
    wiped = c.body.strip() in _WIPED
    mask = 0
    for i, (task, stats) in enumerate(tasks):
        stats.comments_seen += 1
        if wiped:
            stats.wiped_bodies += 1
        if post_reasons[i] is not None:
            stats.comments_dropped["post_dropped"] += 1
            continue
        why = task.comment_drop_reason(c, post)
        if c.retrieved_utc is None and task.min_score_age_s:
            stats.score_age_unknown += 1
        if why is None:
            stats.comments_kept += 1
            mask |= 1 << i
        else:
            stats.comments_dropped[why] += 1
    return mask


def first_rule_drops_replies(task: RedditTask) -> bool:
    """Whether ``task``'s first comment rule drops every reply (``not_top_level``): its
    comment rules are ``RedditTask``'s own, with ``top_level_only``. A plugin that
    overrides ``comment_drop_reason`` is asked about every comment, as always."""
    return type(task).comment_drop_reason is RedditTask.comment_drop_reason and bool(task.top_level_only)


def judge_replies(tasks, n: int, post_reasons, wiped: bool, no_snapshot: bool) -> None:
    """``judge_comments`` for ``n`` replies to posts with verdicts ``post_reasons``, counted
    at once, when ``first_rule_drops_replies`` holds for every task (each would drop them as
    ``not_top_level`` and keep none). ``wiped``: their bodies are "[deleted]"/"[removed]";
    ``no_snapshot``: their ``retrieved_utc`` is None. Most comments of a dump are replies."""
    for i, (task, stats) in enumerate(tasks):
        stats.comments_seen += n
        if wiped:
            stats.wiped_bodies += n
        if post_reasons[i] is not None:
            stats.comments_dropped["post_dropped"] += n
            continue
        if no_snapshot and task.min_score_age_s:
            stats.score_age_unknown += n
        stats.comments_dropped["not_top_level"] += n


def dedupe_kept(kept: list[Comment], stats: TaskStats) -> list[Comment]:
    """One comment per id (the last copy read wins); extra copies count as ``duplicate``."""
    by_id = {c.id: c for c in kept}
    extra = len(kept) - len(by_id)
    if extra:
        stats.comments_kept -= extra
        stats.comments_dropped["duplicate"] += extra
        return list(by_id.values())
    return kept


def pair_kept(task: RedditTask, post: Post, kept: list[Comment], split: str, stats: TaskStats) -> list[PairRow]:
    """Candidate pairs of a kept post's kept comments: pair rules, cap, test_hard."""
    if len(kept) < 2:
        return []

    # Highest score first, so for i < j comment i is chosen unless the scores tie.
    kept.sort(key=lambda c: (-c.score, c.id))
    # A megathread has k(k-1)/2 candidates; the cap keeps the pairs with the smallest stable
    # hash in a heap of max_pairs_per_post entries. Hard pairs (similar length *and* within
    # the hour) are a small share of them: they are listed whole and capped after the loop.
    cap = task.max_pairs_per_post
    heap: list[tuple[int, int, int]] = []  # (-hash, i, j): the root is the largest kept hash
    hard: list[tuple[int, int, int]] = []  # (-hash, i, j), as in the heap
    is_hard = task.is_hard
    drop = task.pair_drop_reason
    dropped = stats.pairs_dropped
    pid_prefix = f"{post.id}:"
    n = len(kept)
    n_survivors = ties = 0
    stats.candidates += n * (n - 1) // 2
    scores = [c.score for c in kept]
    # One key per comment, not per pair (a megathread has k comments and k(k-1)/2
    # candidates), and only for comments in a pair the task's rules keep: most never are.
    keys: list[str | None] | None = [None] * n if task.drop_indistinguishable else None
    whys: list[str] = []  # drop reasons, counted in bulk: Counter.update counts in C
    note = whys.append
    for i in range(n - 1):
        a = kept[i]
        sa = scores[i]
        prefix = f"{pid_prefix}{a.id}:"
        # Sorted by (integer) score, the comments tied with ``a`` come right after it: they
        # are counted as ties and skipped in one step, and never reach the pair rules.
        first = i + 1
        while first < n and scores[first] == sa:
            first += 1
        ties += first - i - 1
        for j in range(first, n):
            b = kept[j]
            why = drop(a, b, post)
            if why is None and keys is not None:  # after the task's rules: it counts the pairs they would keep
                ka, kb = keys[i], keys[j]
                if ka is None:
                    ka = keys[i] = surface_key(a.body)
                if kb is None:
                    kb = keys[j] = surface_key(b.body)
                if ka == kb:
                    why = "indistinguishable"
            if why is not None:
                note(why)
                continue
            n_survivors += 1
            key = -int.from_bytes(pair_order_key(prefix + b.id), "big")
            if len(heap) < cap:
                heapq.heappush(heap, (key, i, j))
            elif key > heap[0][0]:
                heapq.heapreplace(heap, (key, i, j))
            if is_hard(a, b):
                hard.append((key, i, j))
        if len(whys) >= 65_536:  # a megathread: keep the list bounded
            dropped.update(whys)
            whys.clear()
    dropped.update(whys)
    if ties:
        dropped["score_tie"] += ties
    if not n_survivors:
        return []

    out: list[PairRow] = []
    hashes: dict[str, bytes] = {}
    prompt = prompt_of(post)
    text = _Escaped(task, post, prompt, kept)
    stats.capped += n_survivors - len(heap)
    for _, i, j in sorted(heap, reverse=True):  # smallest hash first; the files are sorted later anyway
        out.append(_row(text, i, j, split, hashes))
    stats.pairs_kept += len(heap)
    stats.split_pairs[split] += len(heap)
    stats.split_posts[split] += 1
    hard = _cap_hard(task, hard, stats)
    for hard_split in ("all_hard", "test_hard") if split == "test" else ("all_hard",):
        for _, i, j in hard:
            out.append(_row(text, i, j, hard_split, hashes))
        if hard:
            stats.split_pairs[hard_split] += len(hard)
            stats.split_posts[hard_split] += 1
    return out


def _cap_hard(task: RedditTask, hard: list[tuple[int, int, int]], stats: TaskStats) -> list[tuple[int, int, int]]:
    """A post's hard candidates, at most ``max_hard_pairs_per_post`` of them: those with the
    smallest stable hash, so the choice is the same on every run and in every shard."""
    stats.hard_candidates += len(hard)
    cap = task.max_hard_pairs_per_post
    if not cap or len(hard) <= cap:
        return hard
    stats.hard_capped += len(hard) - cap
    stats.hard_posts_capped += 1
    return heapq.nlargest(cap, hard)  # keys are -hash: the largest keys are the smallest hashes


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


class _Escaped:
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


def _row(text: _Escaped, i: int, j: int, split: str, hashes: dict[str, bytes]) -> PairRow:
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


def task_warnings(task: RedditTask, stats: TaskStats) -> list[str]:
    """Data-quality notes for the manifest; none of them stops the build."""
    warnings = []
    seen = stats.comments_seen - stats.orphans
    if seen and stats.wiped_bodies / seen > task.removed_warning_fraction:
        warnings.append(f"{stats.wiped_bodies / seen:.0%} of comments are [deleted]/[removed] "
                        f"(warning threshold {task.removed_warning_fraction:.0%})")
    if stats.comments_seen and stats.orphans / stats.comments_seen > 0.5:
        warnings.append(f"{stats.orphans} of {stats.comments_seen} comments have no post in the input "
                        "(is the submissions file missing?)")
    if stats.posts_seen == 0:
        warnings.append("no posts of this task's subreddits in the input")
    if task.min_score_age_s and stats.score_age_unknown:
        warnings.append(f"min_score_age_s={task.min_score_age_s} could not judge {stats.score_age_unknown} "
                        "responses whose score snapshot time is unknown (kept)")
    hard = stats.split_pairs["test_hard"]
    if hard < task.hard_min_pairs:
        warnings.append(f"test_hard has {hard} pairs, fewer than hard_min_pairs={task.hard_min_pairs}: "
                        "treat its accuracy as indicative only")
    return warnings


__all__ = ["PairRow", "TaskStats", "count_orphans", "dedupe_kept", "first_rule_drops_replies", "judge_comments",
           "judge_post", "judge_replies", "pair_kept", "prompt_of", "row_json", "task_warnings"]
