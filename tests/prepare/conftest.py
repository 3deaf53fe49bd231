"""Builders for the prepare tests: the one-thread pairing oracle.

``pair_thread`` runs every rule of one task on one thread in a single pass -- what
``rmbench prepare`` does in two stages (comment rules while loading, pairs when the store
is read back). Tests check the engine's stages against it; production code never needs it.
"""

from __future__ import annotations

import pytest

from rmbench.prepare.pair import PairRow, TaskStats, dedupe_kept, judge_comments, judge_post, pair_kept
from rmbench.records import Comment, Post
from rmbench.task import RedditTask


def pair_thread(task: RedditTask, post: Post, comments: list[Comment], split: str,
                stats: TaskStats, duplicate_posts: int = 0) -> list[PairRow]:
    """All output rows of one thread for one task: post rules, comment rules, then pairs."""
    reason = judge_post(task, post, stats, duplicate_posts)
    kept = [c for c in comments if judge_comments(((task, stats),), c, post, (reason,)) == 1]
    if reason is not None:
        return []
    return pair_kept(task, post, dedupe_kept(kept, stats), split, stats)


@pytest.fixture(name="pair_thread", scope="session")
def _pair_thread_fixture():
    """``pair_thread(task, post, comments, split, stats, duplicate_posts=0) -> rows``."""
    return pair_thread
