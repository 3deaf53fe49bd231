"""What a task is: a frozen dataclass of rule parameters plus the rules, in Python.

A subreddit's task is one file in ``tasks/`` that subclasses ``RedditTask``, sets its
parameters, overrides a rule method where the community differs, and is registered
with ``@register``. The pairing engine (``rmbench.prepare.pair``) only calls the three rule
methods below; it never looks at a task's name.

Each rule method returns ``None`` to keep, or a short snake_case reason to drop. The
reason strings are the keys of the manifest's drop counts, so keep them stable.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass
from typing import ClassVar

from rmbench.fields import opt
from rmbench.records import Comment, Post

DELETED_BODIES = frozenset({"[deleted]", "[removed]", ""})
# Accounts that post on schedule, not from preference. Tasks add their own (DeltaBot...).
DEFAULT_BOTS = ("AutoModerator", "RemindMeBot", "WikiSummarizerBot", "sneakpeekbot", "RepostSleuthBot")
# test_hard's confound bounds: within 25% of each other's length, written within an hour.
# Every "similar length" in rmbench (agent win rates, human-feedback pairs) reads these
# through a task's rules, so one change here moves them all.
HARD_MAX_LENGTH_RATIO = 1.25
HARD_MAX_TIME_GAP_S = 3600


def length_ratio(a: str, b: str) -> float:
    """Longer over shorter, in characters (>= 1; an empty text counts as one character)."""
    la, lb = len(a), len(b)
    return max(la, lb) / max(1, min(la, lb))


@dataclass(frozen=True)
class Task:
    """Anything ``rmbench tasks`` lists and ``rmbench run`` can run."""

    name: str = ""
    version: str = "1"
    description: str = ""
    kind: ClassVar[str] = "base"

    def summary(self) -> str:
        return self.description

    def rules(self) -> dict[str, object]:
        """Every parameter and its value, for `rmbench tasks show` and the manifest."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def rule_help(self) -> dict[str, str]:
        return {f.name: f.metadata.get("help", "") for f in dataclasses.fields(self)}


def rule(default, help: str):
    """A rule parameter: a dataclass field that carries its own help line."""
    return opt(default, help)


# The least each numeric rule may be (and the most, where there is one): a value outside
# these yields no pairs or nonsense, so a task is refused when it registers, naming the rule.
_RULE_RANGES: dict[str, tuple[float, float | None]] = {
    "min_score_ratio": (0, None), "max_pairs_per_post": (1, None), "max_hard_pairs_per_post": (0, None),
    "min_response_chars": (0, None), "max_response_chars": (1, None), "hard_max_length_ratio": (1, None),
    "hard_max_time_gap_s": (0, None), "min_score_age_s": (0, None), "hard_min_pairs": (0, None),
    "removed_warning_fraction": (0, 1)}


def _type_ok(value: object, annotation: str) -> bool:
    if annotation == "bool":
        return isinstance(value, bool)
    if annotation == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value)
    if annotation == "str":
        return isinstance(value, str)
    if annotation == "tuple[str, ...]":
        return isinstance(value, tuple) and all(isinstance(v, str) for v in value)
    return True  # a plugin's own field of another type: its own business


def check_rules(task: Task) -> None:
    """Every rule of ``task`` of its declared type and in range, else a ValueError naming the
    task's class, the rule and the value: a plugin's typo fails when it registers (the
    registry reports it and keeps every other task), not in the middle of a prepare."""
    where = f"{type(task).__module__}.{type(task).__qualname__}"
    for f in dataclasses.fields(task):
        value = getattr(task, f.name)
        annotation = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
        if not _type_ok(value, annotation):
            raise ValueError(f"{where}: rule {f.name}={value!r} is not of type {annotation}")
        low, high = _RULE_RANGES.get(f.name, (None, None))
        if low is not None and (value < low or (high is not None and value > high)):
            raise ValueError(f"{where}: rule {f.name}={value!r} must be at least {low:g}"
                             + (f" and at most {high:g}" if high is not None else ""))
    lo, hi = getattr(task, "min_response_chars", None), getattr(task, "max_response_chars", None)
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"{where}: rule min_response_chars={lo} is above max_response_chars={hi}: no response fits")


@dataclass(frozen=True)
class RedditTask(Task):
    """Preference pairs from one or more subreddits, with SHP's pairing rules made explicit."""

    kind: ClassVar[str] = "preference"
    subreddits: tuple[str, ...] = ()
    # 2: indistinguishable pairs are dropped and hard pairs are capped per post (issue 21);
    # every task's data changed, so none may compare with (or reuse a cache of) version 1.
    version: str = "2"

    # -- post rules ---------------------------------------------------------------
    min_post_score: int = rule(10, "posts need at least this score (unknown scores pass)")
    require_self_post: bool = rule(True, "keep only text posts (is_self), not links")
    allow_nsfw: bool = rule(False, "keep posts marked over_18")
    allow_edited_post: bool = rule(False, "keep posts whose text was edited after comments came")
    # -- comment rules ------------------------------------------------------------
    top_level_only: bool = rule(True, "both responses answer the post directly")
    min_comment_score: int = rule(2, "both responses need at least this score")
    allow_edited_comment: bool = rule(False, "keep comments edited after posting (when known)")
    excluded_authors: tuple[str, ...] = rule(("[deleted]",), "authors whose comments never pair")
    bot_authors: tuple[str, ...] = rule(DEFAULT_BOTS, "bot accounts (case-insensitive)")
    drop_distinguished: bool = rule(True, "drop moderator/admin (distinguished) comments")
    drop_stickied: bool = rule(True, "drop stickied comments")
    drop_post_author: bool = rule(True, "drop comments by the post's own author")
    min_response_chars: int = rule(1, "shortest response kept, in characters")
    max_response_chars: int = rule(10_000, "longest response kept, in characters")
    # 0 (off): the dumps' scores are one snapshot each, and most are weeks old. Set it (e.g.
    # 86400) for data collected live, where a minutes-old score says little about the votes.
    min_score_age_s: int = rule(0, "drop responses whose score was snapshotted sooner than this many seconds after posting (unknown ages pass; 0: off)")
    # -- pair rules ---------------------------------------------------------------
    min_score_ratio: float = rule(2.0, "preferred score / other score must reach this")
    preferred_later: bool = rule(True, "the preferred response was written later, so 'earlier gets more votes' works against the label")
    # On by default: such a pair's label is a vote no text-reading model can earn (issue 21:
    # 6% of one held-out heldout_all_hard was "thanks" vs "Thanks!", "F" vs "f", emoji).
    drop_indistinguishable: bool = rule(True, "drop pairs whose two responses are the same text up to case, whitespace, punctuation, symbols and emoji (rmbench.prepare.surface)")
    max_pairs_per_post: int = rule(5, "cap per post, so big threads do not dominate (the hard splits have their own cap)")
    # -- confounder rules: the test_hard and all_hard splits ---------------------------
    hard_max_length_ratio: float = rule(HARD_MAX_LENGTH_RATIO, "hard pairs: longer/shorter response length at most this (also the cue-conflict cell's bound)")
    hard_max_time_gap_s: int = rule(HARD_MAX_TIME_GAP_S, "hard pairs: the two responses at most this many seconds apart")
    # 10: on the college dumps and the demo 98-100% of posts have at most 10 hard pairs (p99:
    # 7-12), so nearly every post stays whole, while a megathread (one community gave 49,684
    # hard pairs from ~1,400 posts) counts 10 pairs like any post. Measured in docs/harness.md.
    # At least max_pairs_per_post, so every hard pair of the capped test split is in test_hard.
    max_hard_pairs_per_post: int = rule(10, "hard pairs kept per post in all_hard and test_hard, by the same stable hash as max_pairs_per_post (0: every one)")
    hard_min_pairs: int = rule(100, "a test_hard split smaller than this is flagged as small")
    # -- data-quality warnings --------------------------------------------------------
    removed_warning_fraction: float = rule(0.3, "warn in the manifest when more comments than this were deleted/removed")

    def __post_init__(self) -> None:
        check_rules(self)

    def summary(self) -> str:
        later = "later-but-higher, " if self.preferred_later else ""
        return (f"top-level, {later}ratio>={self.min_score_ratio:g}, scores>={self.min_comment_score}, "
                f"post>={self.min_post_score}, <={self.max_pairs_per_post}/post")

    @functools.cached_property
    def _bots_lower(self) -> frozenset[str]:
        # Built once per task: comment_drop_reason runs for every comment of a dump.
        return frozenset(b.lower() for b in self.bot_authors)

    def matches(self, subreddit: str) -> bool:
        return subreddit.lower() in {s.lower() for s in self.subreddits}

    # -- the rules --------------------------------------------------------------------
    def post_drop_reason(self, post: Post) -> str | None:
        if post.score is not None and post.score < self.min_post_score:
            return "post_score_low"
        if self.require_self_post and post.is_self is False:
            return "post_not_self"
        if not self.allow_nsfw and post.over_18:
            return "post_nsfw"
        if not self.allow_edited_post and post.edited:
            return "post_edited"
        if post.removed_by_category or post.selftext in ("[deleted]", "[removed]"):
            return "post_removed"
        return None

    def comment_drop_reason(self, c: Comment, post: Post) -> str | None:
        if self.top_level_only and not c.top_level:
            return "not_top_level"
        if c.body.strip() in DELETED_BODIES:
            return "body_deleted"
        if c.author is None or c.author in self.excluded_authors:
            return "author_deleted"
        if c.author.lower() in self._bots_lower:
            return "author_bot"
        if self.drop_distinguished and c.distinguished:
            return "distinguished"
        if self.drop_stickied and c.stickied:
            return "stickied"
        if self.drop_post_author and (c.is_submitter or (post.author and c.author == post.author)):
            return "post_author"
        if not self.allow_edited_comment and c.edited:
            return "comment_edited"
        if c.score is None:
            return "score_missing"
        if c.score < self.min_comment_score:
            return "comment_score_low"
        if len(c.body) < self.min_response_chars:
            return "too_short"
        if len(c.body) > self.max_response_chars:
            return "too_long"
        if self.min_score_age_s and c.retrieved_utc is not None and c.retrieved_utc - c.created_utc < self.min_score_age_s:
            return "score_too_young"
        return None

    def pair_drop_reason(self, chosen: Comment, rejected: Comment, post: Post) -> str | None:
        """``chosen`` is the higher-scored of the two; ties never reach here."""
        if chosen.score < self.min_score_ratio * rejected.score:
            return "score_ratio_low"
        if self.preferred_later and not chosen.created_utc > rejected.created_utc:
            return "preferred_not_later"
        return None

    def is_hard(self, chosen: Comment, rejected: Comment) -> bool:
        """Similar length and similar time: the confounds cannot explain the label.

        Asked of every pair that passes the pair rules, before the cap: the yes, capped at
        ``max_hard_pairs_per_post``, go to ``all_hard`` (every post) and, on test posts, to
        ``test_hard``."""
        gap = abs(chosen.created_utc - rejected.created_utc)
        return length_ratio(chosen.body, rejected.body) <= self.hard_max_length_ratio and gap <= self.hard_max_time_gap_s


@dataclass(frozen=True)
class AgentTask(Task):
    """A task that runs a pipeline (e.g. generator -> evaluator -> agent) instead of pairing."""

    kind: ClassVar[str] = "agent"

    def run_pipeline(self, out_dir: str, options: dict) -> dict:  # pragma: no cover - abstract
        raise NotImplementedError
