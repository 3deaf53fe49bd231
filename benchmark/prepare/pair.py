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
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field

from rmbench.prepare.rows import Escaped, PairRow, build_row, row_json
from rmbench.prepare.splits import pair_order_key
from rmbench.prepare.surface import spaceless_key, surface_key
from rmbench.records import Comment, Post
from rmbench.task import DELETED_BODIES, RedditTask

# Bodies a moderator or the author wiped; their share drives the removed-fraction warning.
_WIPED = frozenset(b for b in DELETED_BODIES if b)
# A score read this soon after its comment may still be moving (Arctic Shift's first read, seconds
# after posting, is Reddit's placeholder 1): the manifest counts the kept pairs with one, and warns
# past YOUNG_WARNING_FRACTION of them (the shared dumps: 3.4%). min_score_age_s drops them.
YOUNG_SCORE_S = 2 * 86_400
YOUNG_WARNING_FRACTION = 0.10

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
    score_age_pairs: int = 0  # kept pairs (train/validation/test) whose two score ages are known
    young_score_pairs: int = 0  # of those, pairs with a score read within YOUNG_SCORE_S of its comment

    def check(self) -> None:
        """The bookkeeping identities; a violation is a bug in the engine, not bad input."""
        assert self.posts_seen == self.posts_kept + sum(self.posts_dropped.values())
        assert self.comments_seen == self.comments_kept + sum(self.comments_dropped.values()) + self.orphans
        assert self.candidates == self.pairs_kept + self.capped + sum(self.pairs_dropped.values())


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


_BASE_PAIR_RULE = RedditTask.pair_drop_reason
_BASE_IS_HARD = RedditTask.is_hard


def _surface(full: dict[int, str], i: int, c: Comment) -> str:
    key = full.get(i)
    if key is None:
        key = full[i] = surface_key(c.body)
    return key


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
    # Spaceless keys first (cheap; unequal ones settle the pair), full keys only when they match.
    keys: list[str | None] | None = [None] * n if task.drop_indistinguishable else None
    full: dict[int, str] = {}
    whys: list[str] = []  # drop reasons, counted in bulk: Counter.update counts in C
    note = whys.append
    # RedditTask's own pair rules are decided per row of the candidate triangle, not per
    # pair: scores fall along a row, so "chosen.score < min_score_ratio * rejected.score" holds
    # for a prefix of it (a bisection finds where it stops) and only the rest meet the
    # preferred_later test. A plugin's own pair_drop_reason is called for every pair.
    ratio = task.min_score_ratio
    by_row = type(task).pair_drop_reason is _BASE_PAIR_RULE and isinstance(ratio, (int, float)) and ratio >= 0
    later = task.preferred_later
    created = [c.created_utc for c in kept] if by_row and later else None
    # RedditTask's own is_hard, inlined on lengths and times listed once per post (a call per
    # survivor was ~15% of pairing); a plugin's own is_hard is called for every survivor.
    own_hard = type(task).is_hard is not _BASE_IS_HARD
    if not own_hard:
        max_ratio, max_gap = task.hard_max_length_ratio, task.hard_max_time_gap_s
        lens, times = [len(c.body) for c in kept], [c.created_utc for c in kept]
    low = late = 0
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
        if by_row:
            k = bisect_left(scores, True, first, n, key=lambda s: not sa < ratio * s)
            low += k - first
            if created is not None:
                ca = created[i]
                kept_js = [j for j in range(k, n) if ca > created[j]]
                late += n - k - len(kept_js)
            else:
                kept_js = range(k, n)
        else:
            kept_js = []
            for j in range(first, n):
                why = drop(a, kept[j], post)
                if why is None:
                    kept_js.append(j)
                else:
                    note(why)
        for j in kept_js:
            b = kept[j]
            if keys is not None:  # after the task's rules: it counts the pairs they would keep
                ka, kb = keys[i], keys[j]
                if ka is None:
                    ka = keys[i] = spaceless_key(a.body)
                if kb is None:
                    kb = keys[j] = spaceless_key(b.body)
                if ka == kb and _surface(full, i, a) == _surface(full, j, b):
                    note("indistinguishable")
                    continue
            n_survivors += 1
            key = -int.from_bytes(pair_order_key(prefix + b.id), "big")
            if len(heap) < cap:
                heapq.heappush(heap, (key, i, j))
            elif key > heap[0][0]:
                heapq.heapreplace(heap, (key, i, j))
            if own_hard:
                if is_hard(a, b):
                    hard.append((key, i, j))
            else:  # length_ratio(a.body, b.body) <= max ratio and |time gap| <= max gap, as RedditTask.is_hard
                la, lb = lens[i], lens[j]
                if (la / (lb or 1) if la >= lb else lb / (la or 1)) <= max_ratio and abs(times[i] - times[j]) <= max_gap:
                    hard.append((key, i, j))
        if len(whys) >= 65_536:  # a megathread: keep the list bounded
            dropped.update(whys)
            whys.clear()
    dropped.update(whys)
    if ties:
        dropped["score_tie"] += ties
    if low:
        dropped["score_ratio_low"] += low
    if late:
        dropped["preferred_not_later"] += late
    if not n_survivors:
        return []

    out: list[PairRow] = []
    hashes: dict[str, bytes] = {}
    prompt = prompt_of(post)
    text = Escaped(task, post, prompt, kept)
    stats.capped += n_survivors - len(heap)
    for _, i, j in sorted(heap, reverse=True):  # smallest hash first; the files are sorted later anyway
        out.append(build_row(text, i, j, split, hashes))
        a, b = kept[i], kept[j]
        if a.retrieved_utc is not None and b.retrieved_utc is not None:
            stats.score_age_pairs += 1
            if min(a.retrieved_utc - a.created_utc, b.retrieved_utc - b.created_utc) < YOUNG_SCORE_S:
                stats.young_score_pairs += 1
    stats.pairs_kept += len(heap)
    stats.split_pairs[split] += len(heap)
    stats.split_posts[split] += 1
    hard = _cap_hard(task, hard, stats)
    for hard_split in ("all_hard", "test_hard") if split == "test" else ("all_hard",):
        for _, i, j in hard:
            out.append(build_row(text, i, j, hard_split, hashes))
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
    elif stats.comments_seen == 0:
        warnings.append("no comments of this task's subreddits in the input (is the comments file missing, "
                        "or named for another subreddit?)")
    young = stats.young_score_pairs
    if young > YOUNG_WARNING_FRACTION * stats.score_age_pairs:
        warnings.append(f"{young} of {stats.score_age_pairs} pairs ({young / stats.score_age_pairs:.0%}) have a "
                        f"response whose score was read within {YOUNG_SCORE_S // 3600} h of it, when it may still "
                        "have been moving (min_score_age_s drops them)")
    if task.min_score_age_s and stats.score_age_unknown:
        warnings.append(f"min_score_age_s={task.min_score_age_s} could not judge {stats.score_age_unknown} "
                        "responses whose score snapshot time is unknown (kept)")
    hard = stats.split_pairs["test_hard"]
    if hard < task.hard_min_pairs:
        warnings.append(f"test_hard has {hard} pair{'' if hard == 1 else 's'}, fewer than hard_min_pairs={task.hard_min_pairs}: "
                        "treat its accuracy as indicative only")
    return warnings


__all__ = ["YOUNG_SCORE_S", "PairRow", "TaskStats", "count_orphans", "dedupe_kept", "first_rule_drops_replies",
           "judge_comments", "judge_post", "judge_replies", "pair_kept", "prompt_of", "row_json", "task_warnings"]
