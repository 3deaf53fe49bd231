"""Builders for the prepare tests: the one-thread pairing oracle, and raw dump folders.

``pair_thread`` runs every rule of one task on one thread in a single pass -- what
``rmbench prepare`` does in two stages (comment rules while loading, pairs when the store
is read back). Tests check the engine's stages against it; production code never needs it.
"""

from __future__ import annotations

import json
from pathlib import Path

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


# -- dump folders written line by line, as the Pushshift / Arctic Shift files are ---------------
T0 = 1_500_000_000


def dump_thread(pid: str, sub: str, n: int = 4, **post_fields) -> tuple[dict, list[dict]]:
    """One raw post and its top-level comments, each later comment scoring 3x the previous one."""
    post = {"id": pid, "subreddit": sub, "title": f"Question {pid}?", "selftext": "details", "is_self": True,
            "author": "op", "created_utc": T0, "score": 40, "over_18": False, **post_fields}
    comments = [{"id": f"{pid}c{i}", "link_id": f"t3_{pid}", "parent_id": f"t3_{pid}", "subreddit": sub,
                 "body": f"Answer {i} to {pid}, in {sub}.", "author": f"u{i}", "created_utc": T0 + 60 * (i + 1),
                 "score": 2 * 3 ** i} for i in range(n)]
    return post, comments


def add_thread(files: dict[str, list], file_sub: str, pid: str, sub: str) -> None:
    """Append a thread of r/``sub`` to the dump files named for ``file_sub`` (mis-filed when they differ)."""
    post, comments = dump_thread(pid, sub)
    files.setdefault(f"{file_sub}_submissions.ndjson", []).append(post)
    files.setdefault(f"{file_sub}_comments.ndjson", []).extend(comments)


def write_dumps(folder: Path, files: dict[str, list]) -> Path:
    """``files``: file name -> raw records (dicts, or bytes written as they are), one per line."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in files.items():
        (folder / name).write_bytes(b"".join((r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n"
                                             for r in rows))
    return folder


@pytest.fixture(name="dump_thread", scope="session")
def _dump_thread_fixture():
    """``dump_thread(post_id, subreddit, n=4, **post_fields) -> (post, comments)`` as raw dump dicts."""
    return dump_thread


@pytest.fixture(name="add_thread", scope="session")
def _add_thread_fixture():
    """``add_thread(files, file_sub, post_id, subreddit)``: a thread into ``write_dumps``' files."""
    return add_thread


@pytest.fixture(name="write_dumps", scope="session")
def _write_dumps_fixture():
    """``write_dumps(folder, {file name: [records]}) -> folder``."""
    return write_dumps
